package main

import (
	"bufio"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCycle runs the tool over tcp:// on loopback: a server on a port the
// system picks, and a client whose one line has every figure.
func TestCycle(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "cycle")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	srv := exec.Command(bin, "-server", "tcp://127.0.0.1:*")
	stderr, err := srv.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Process.Kill()
		srv.Wait()
	})
	sc := bufio.NewScanner(stderr)
	ep := ""
	for ep == "" && sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "cycle: serving "); ok {
			ep = rest
		}
	}
	if ep == "" {
		t.Fatalf("the server never said where it serves (%v)", sc.Err())
	}
	out, err := exec.Command(bin, "-n", "5", "-size", "100", ep).CombinedOutput()
	if err != nil {
		t.Fatalf("client: %v\n%s", err, out)
	}
	num := `[0-9]+\.[0-9]`
	line := regexp.MustCompile(`(?m)^cycle p25 ` + num + ` p50 ` + num + ` p75 ` + num + ` \| connect ` + num +
		` send ` + num + ` recv ` + num + ` close ` + num + ` \[us\]$`)
	if !line.Match(out) {
		t.Fatalf("no cycle line in:\n%s", out)
	}
	if out, err := exec.Command(bin, ep, "extra").CombinedOutput(); err == nil || !strings.Contains(string(out), "usage") {
		t.Errorf("two endpoints: %v\n%s", err, out)
	}
}
