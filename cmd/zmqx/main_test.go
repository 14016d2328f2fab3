package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/zmqx/zmqx"
)

func TestMain(m *testing.M) {
	code := m.Run()
	// Runs cut short by their --timeout leave their sockets closing.
	lingering.Wait()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// patience bounds every wait in these tests, so a broken build fails
// instead of hanging; nothing waits for it to pass.
const patience = 20 * time.Second

// lineWriter collects output and hands over each line as it is written.
type lineWriter struct {
	mu    sync.Mutex
	all   bytes.Buffer
	part  []byte
	lines chan string
}

func newLineWriter() *lineWriter { return &lineWriter{lines: make(chan string, 1000)} }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.all.Write(p)
	w.part = append(w.part, p...)
	for {
		i := bytes.IndexByte(w.part, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.lines <- string(w.part[:i])
		w.part = w.part[i+1:]
	}
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.all.String()
}

// next waits for the next line.
func (w *lineWriter) next(t *testing.T) string {
	t.Helper()
	select {
	case l := <-w.lines:
		return l
	case <-time.After(patience):
		t.Fatalf("no line of output; so far: %q", w.String())
		return ""
	}
}

// invocation is one run of the command in this process.
type invocation struct {
	stdout, stderr *lineWriter
	interrupt      context.CancelFunc
	done           chan error
}

// start runs zmqx with args and stdin in a goroutine.
func start(t *testing.T, stdin string, args ...string) *invocation {
	t.Helper()
	ctx, interrupt := context.WithCancel(context.Background())
	inv := &invocation{stdout: newLineWriter(), stderr: newLineWriter(), interrupt: interrupt, done: make(chan error, 1)}
	c := &cli{stdin: strings.NewReader(stdin), stdout: inv.stdout, stderr: inv.stderr, interrupt: ctx}
	go func() { inv.done <- c.run(args) }()
	t.Cleanup(func() {
		interrupt()
		select {
		case <-inv.done:
		case <-time.After(patience):
			t.Errorf("zmqx %q did not end", args)
		}
	})
	return inv
}

// wait waits for the run to end and returns its error.
func (inv *invocation) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-inv.done:
		inv.done <- err // for the cleanup
		return err
	case <-time.After(patience):
		t.Fatal("zmqx did not end")
		return nil
	}
}

// runCLI runs zmqx to the end.
func runCLI(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	inv := start(t, stdin, args...)
	err = inv.wait(t)
	return inv.stdout.String(), inv.stderr.String(), err
}

func ipc(t *testing.T, name string) string { return "ipc://" + t.TempDir() + "/" + name }

// socket makes a zmqx socket for the test's side of the conversation.
func socket(t *testing.T, typ zmqx.SocketType, o zmqx.SocketOptions) *zmqx.Socket {
	t.Helper()
	rt := zmqx.NewRuntime(zmqx.Config{})
	t.Cleanup(func() { rt.Close() })
	s, err := rt.Socket(typ, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	t.Cleanup(cancel)
	return ctx
}

func framesEqual(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func TestSendRecvFormats(t *testing.T) {
	for _, c := range []struct {
		format, want, stdin string
		args                []string
	}{
		{"text", "hello\t\tworld", "", []string{"hello", "-", "world"}},
		{"text", "hello\t\tworld", "hello\t-\tworld\nhello\t\tworld\n", nil},
		{"hex", "68656c6c6f - 776f726c64", "", []string{"68656c6c6f", "-", "776f726c64"}},
		{"hex", "68656c6c6f - 776f726c64", "68656c6c6f - 776f726c64\n\n68656c6c6f  -  776f726c64\n", nil},
		{"json", `["hello","","world"]`, "", []string{"hello", "-", "world"}},
		{"json", `["hello","","world"]`, `["hello","","world"]` + "\n\n  \n" + `["hello",{"base64":""},"world"]` + "\n", nil},
	} {
		t.Run(fmt.Sprintf("%s/args=%v", c.format, c.args != nil), func(t *testing.T) {
			ep := ipc(t, "s")
			recv := start(t, "", "recv", "--type", "PULL", "--bind", ep, "--count", "2", "--format", c.format, "--timeout", "20s")
			args := []string{"send", "--type", "PUSH", "--connect", ep, "--format", c.format, "--multipart", "--timeout", "20s"}
			if c.args != nil {
				args = append(append(args, "--count", "2"), c.args...)
			}
			if _, stderr, err := runCLI(t, c.stdin, args...); err != nil {
				t.Fatalf("send: %v (%s)", err, stderr)
			}
			if err := recv.wait(t); err != nil {
				t.Fatal(err)
			}
			if got := recv.stdout.String(); got != c.want+"\n"+c.want+"\n" {
				t.Fatalf("got %q, want %q twice", got, c.want)
			}
		})
	}
}

func TestRoutingID(t *testing.T) {
	ep := ipc(t, "r")
	recv := start(t, "", "recv", "--type", "ROUTER", "--bind", ep, "--count", "1", "--timeout", "20s")
	if _, _, err := runCLI(t, "", "send", "--type", "DEALER", "--routing-id", "me", "--connect", ep, "--timeout", "20s", "hi"); err != nil {
		t.Fatal(err)
	}
	if err := recv.wait(t); err != nil {
		t.Fatal(err)
	}
	if got := recv.stdout.String(); got != "me\thi\n" {
		t.Fatalf("got %q", got)
	}
}
