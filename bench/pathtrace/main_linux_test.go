//go:build linux && amd64

package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestTrace traces testdata/marked, built with the zmqxlegs tag: its
// second turnaround (the marker at -at 2) is work(100), a loop of about
// five instructions an iteration, so the count must lie in a narrow band
// and name main.work; the program must still run to its end.
func TestTrace(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "marked")
	if out, err := exec.Command("go", "build", "-tags", "zmqxlegs", "-o", prog, "./testdata/marked").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	self := filepath.Join(dir, "pathtrace")
	if out, err := exec.Command("go", "build", "-o", self, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	out, err := exec.Command(self, "-at", "2", "-top", "5", "--", prog).CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "operation not permitted") {
			t.Skipf("ptrace is not permitted here: %s", out)
		}
		t.Fatalf("pathtrace: %v\n%s", err, out)
	}
	s := string(out)
	if !strings.Contains(s, "sum 985050") {
		t.Errorf("the traced program did not finish:\n%s", s)
	}
	m := regexp.MustCompile(`RX ring -> TX kick: (\d+) instructions`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no count:\n%s", s)
	}
	n, _ := strconv.Atoi(m[1])
	if n < 300 || n > 2000 {
		t.Errorf("%d instructions for work(100), want 300-2000:\n%s", n, s)
	}
	if !regexp.MustCompile(`(?m)^\s+\d+\s+\d+\s+main\.work$`).MatchString(s) {
		t.Errorf("main.work not among the functions:\n%s", s)
	}
}

// TestNotMarked: a program without the zmqxlegs tag has no marker to wait
// for, and pathtrace says so instead of waiting.
func TestNotMarked(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "marked")
	if out, err := exec.Command("go", "build", "-o", prog, "./testdata/marked").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	err := run([]string{prog}, 2, 5, 0, "")
	if err == nil || !strings.Contains(err.Error(), "zmqxlegs") {
		t.Fatalf("run: %v, want an error naming the zmqxlegs tag", err)
	}
}
