package main

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zmqx/zmqx"
)

// The built command, for what only a process shows: exit statuses, the
// standard streams, signals.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func binary(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH to build zmqx with")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "zmqx-cli")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "zmqx")
		if out, err := exec.Command(gobin, "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("go build: %v", buildErr)
	}
	return binPath
}

func exitStatus(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatal(err)
	return -1
}

func TestBinaryExitStatus(t *testing.T) {
	bin := binary(t)
	for _, c := range []struct {
		args               []string
		stdin              string
		status             int
		stdout, stderr     string
		stderrExactlyLines int
	}{
		{[]string{"-h"}, "", 0, "Usage:", "", 0},
		{[]string{"proxy", "--help"}, "", 0, "Usage: zmqx proxy", "", 0},
		{[]string{"frobnicate"}, "", 2, "", `zmqx: unknown command "frobnicate"`, 1},
		{[]string{"send", "--count", "-1", "--connect", "ipc:///nonexistent/x"}, "", 2, "", "zmqx: --count must not be negative", 1},
		{[]string{"send", "--connect", "nosuch://x", "hi"}, "", 1, "", "zmqx: ", 1},
		{[]string{"send", "--connect", "ipc:///nonexistent/x"}, "", 0, "", "zmqx: standard input is empty", 1},
		{[]string{"send", "--type", "PUSH", "--bind", "ipc://" + t.TempDir() + "/p", "--timeout", "100ms", "x"}, "", 1, "", "zmqx: nothing delivered", 1},
	} {
		cmd := exec.Command(bin, c.args...)
		cmd.Stdin = strings.NewReader(c.stdin)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		status := exitStatus(t, cmd.Run())
		if status != c.status || !strings.Contains(stdout.String(), c.stdout) || !strings.Contains(stderr.String(), c.stderr) {
			t.Errorf("zmqx %q: status %d, stdout %q, stderr %q; want %d, %q, %q", c.args, status, stdout.String(), stderr.String(), c.status, c.stdout, c.stderr)
		}
		if n := strings.Count(stderr.String(), "zmqx:"); n != c.stderrExactlyLines {
			t.Errorf("zmqx %q: %d lines of errors: %q", c.args, n, stderr.String())
		}
	}
}

// Ctrl-C on an open-ended recv: status 0, everything that arrived printed.
func TestBinaryInterrupt(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT to send on Windows")
	}
	bin := binary(t)
	ep := ipc(t, "r")
	cmd := exec.Command(bin, "recv", "--type", "PULL", "--bind", ep)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	lines := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		exited <- cmd.Wait()
	}()
	defer func() {
		cmd.Process.Kill()
		<-exited
	}()

	push := socket(t, zmqx.PUSH, zmqx.SocketOptions{})
	if err := push.Connect(ep); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	for _, m := range []string{"one", "two"} {
		if err := push.Send(ctx, []byte(m)); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-lines:
			if got != m {
				t.Fatalf("printed %q, want %q", got, m)
			}
		case <-time.After(patience):
			t.Fatalf("%q not printed", m)
		}
	}
	// The signal handler is in place: it was set up before the socket.
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		exited <- err
		if status := exitStatus(t, err); status != 0 || stderr.Len() > 0 {
			t.Fatalf("status %d, stderr %q", status, stderr.String())
		}
	case <-time.After(patience):
		t.Fatal("recv did not end on SIGINT")
	}
	for l := range lines {
		t.Errorf("printed %q after the interrupt", l)
	}
}
