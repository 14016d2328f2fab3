package ztest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

var (
	pyBin  string
	pyErr  error
	pyOnce sync.Once
)

// Python returns the first interpreter that imports zmq (pyzmq): $ZMQX_PYTHON
// if set, then the system's /usr/bin/python3 (Debian's python3-zmq belongs
// to it), then python3 on PATH, then versioned names.
func Python() (string, error) {
	pyOnce.Do(func() {
		var cands []string
		if p := os.Getenv("ZMQX_PYTHON"); p != "" {
			cands = append(cands, p)
		}
		cands = append(cands, "/usr/bin/python3", "python3", "python3.13", "python3.12", "python3.11", "python3.10", "python3.9", "python")
		var tried []string
		seen := map[string]bool{}
		for _, c := range cands {
			path, err := exec.LookPath(c)
			if err != nil {
				tried = append(tried, c+": not found")
				continue
			}
			if seen[path] {
				continue
			}
			seen[path] = true
			out, err := exec.Command(path, "-c", "import zmq").CombinedOutput()
			if err == nil {
				pyBin = path
				return
			}
			last := strings.TrimSpace(string(out))
			if i := strings.LastIndexByte(last, '\n'); i >= 0 {
				last = last[i+1:]
			}
			tried = append(tried, fmt.Sprintf("%s: %s", path, last))
		}
		pyErr = fmt.Errorf("no Python interpreter imports zmq (apt-get install python3-zmq, or set ZMQX_PYTHON); tried %s", strings.Join(tried, "; "))
	})
	return pyBin, pyErr
}

// Require returns what find finds (a peer's program), or skips the test
// saying why, or under CI fails it: CI must not pass without its peers.
func Require(t testing.TB, what string, find func() (string, error)) string {
	t.Helper()
	bin, err := find()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI needs %s for the interop tests: %v", what, err)
		}
		t.Skipf("skipping %s interop: %v", what, err)
	}
	return bin
}
