// Package ztest holds the helpers shared by zmqx's tests: a bounded
// context, and sending, receiving and checking whole messages as strings.
package ztest

import (
	"context"
	"fmt"
	"testing"
	"time"

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
