// Package ztest holds the helpers shared by zmqx's tests: a bounded
// context, sending, receiving and checking whole messages as strings, and
// the TestMain that fails a run leaving goroutines or descriptors behind.
package ztest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/zmqx/zmqx"
)

// Ctx is a context that ends with the test, or after 30 s: a hang detector.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Send sends one message of the given frames or fails the test.
func Send(t testing.TB, ctx context.Context, s *zmqx.Socket, frames ...string) {
	t.Helper()
	b := make([][]byte, len(frames))
	for i, f := range frames {
		b[i] = []byte(f)
	}
	if err := s.Send(ctx, b...); err != nil {
		t.Fatalf("%s send %.60q: %v", s.Type(), frames, err)
	}
}

// Recv receives one message as strings or fails the test.
func Recv(t testing.TB, ctx context.Context, s *zmqx.Socket) []string {
	t.Helper()
	msg, err := s.Recv(ctx)
	if err != nil {
		t.Fatalf("%s recv: %v", s.Type(), err)
	}
	out := make([]string, len(msg))
	for i, f := range msg {
		out[i] = string(f)
	}
	return out
}

// Expect receives one message and fails the test unless it is want.
func Expect(t testing.TB, ctx context.Context, s *zmqx.Socket, want ...string) {
	t.Helper()
	if got := Recv(t, ctx, s); fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Fatalf("%s received %.80q, want %.80q", s.Type(), got, want)
	}
}

// Main runs a package's tests and fails the run when they leave goroutines
// or file descriptors behind (a socket, map or program left open would
// keep steering traffic). It is a package's whole TestMain.
func Main(m *testing.M) {
	// The runtime's network poller opens its descriptors on first use and
	// keeps them: open it before counting.
	if r, w, err := os.Pipe(); err == nil {
		r.Close()
		w.Close()
	}
	before := openFDs()
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutine leak:", err)
			code = 1
		}
		if after := openFDs(); before >= 0 && after > before {
			fmt.Fprintf(os.Stderr, "fd leak: %d open before the tests, %d after\n", before, after)
			code = 1
		}
	}
	os.Exit(code)
}

// openFDs counts this process's open descriptors, or -1 where /proc is absent.
func openFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}
