package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestFootprintGenerated: footprint_gen.go is what gen_footprint.go writes.
func TestFootprintGenerated(t *testing.T) {
	out := filepath.Join(t.TempDir(), "gen.go")
	if b, err := exec.Command("go", "run", "gen_footprint.go", "-o", out).CombinedOutput(); err != nil {
		t.Fatalf("go run gen_footprint.go: %v\n%s", err, b)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("footprint_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("footprint_gen.go differs from what gen_footprint.go writes: run go generate ./bench/cmd/xdp_floor")
	}
}

// TestFootprint: every generated function runs, and the control calls
// only two of them.
func TestFootprint(t *testing.T) {
	footprintSink = 1
	footprint(footprintMax, false)
	all := footprintSink
	footprintSink = 1
	footprint(footprintMax, true)
	if footprintSink == all {
		t.Fatal("the control computed what the distinct functions did")
	}
	if footprintLimit(false) != footprintMax || footprintLimit(true) != 100*footprintMax {
		t.Fatal("limits")
	}
}
