package zmqx_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/zmqx/zmqx"
	"github.com/zmqx/zmqx/internal/ztest"
)

// TestErrorSentinels: every documented sentinel is what errors.Is finds,
// the same way on every transport.
func TestErrorSentinels(t *testing.T) {
	rt := newRuntime(t)
	for _, ep := range []string{"tcp://127.0.0.1:*", "ipc://*", "inproc://sentinels"} {
		t.Run(ep[:3], func(t *testing.T) {
			a := mustSocket(t, rt, zmqx.PULL)
			if err := a.Bind(ep); err != nil {
				t.Fatal(err)
			}
			b := mustSocket(t, rt, zmqx.PULL)
			if err := b.Bind(a.LastEndpoint()); !errors.Is(err, zmqx.ErrAddrInUse) {
				t.Errorf("second bind of %s: %v, want ErrAddrInUse", a.LastEndpoint(), err)
			}
		})
	}
	s := mustSocket(t, rt, zmqx.PUSH)
	for _, ep := range []string{"tcp://nohost", "tcp://*:1", "tcp://127.0.0.1:*", "ipc://*", "nope://x", "inproc", "tcp://"} {
		if err := s.Connect(ep); !errors.Is(err, zmqx.ErrEndpoint) {
			t.Errorf("Connect(%q): %v, want ErrEndpoint", ep, err)
		}
	}
	for _, ep := range []string{"tcp://nohost", "nope://x", "ipc://", "inproc://"} {
		if err := s.Bind(ep); !errors.Is(err, zmqx.ErrEndpoint) {
			t.Errorf("Bind(%q): %v, want ErrEndpoint", ep, err)
		}
	}
	ctx := ztest.Ctx(t)
	if err := s.Send(ctx); !errors.Is(err, zmqx.ErrEmptyMessage) {
		t.Errorf("Send of no frames: %v", err)
	}
	if _, err := s.Recv(ctx); !errors.Is(err, zmqx.ErrNotSupported) {
		t.Errorf("Recv on PUSH: %v", err)
	}
	if err := s.Subscribe("x"); !errors.Is(err, zmqx.ErrNotSupported) {
		t.Errorf("Subscribe on PUSH: %v", err)
	}
	req := mustSocket(t, rt, zmqx.REQ)
	if _, err := req.Recv(ctx); !errors.Is(err, zmqx.ErrState) {
		t.Errorf("REQ Recv first: %v", err)
	}
	router := mustSocket(t, rt, zmqx.ROUTER, zmqx.SocketOptions{RouterMandatory: true})
	if err := router.Send(ctx, []byte("nobody"), []byte("x")); !errors.Is(err, zmqx.ErrHostUnreachable) {
		t.Errorf("mandatory ROUTER to an unknown id: %v", err)
	}

	// Non-blocking attempts: EAGAIN, told apart from a cancellation.
	if err := s.Send(zmqx.NoWait, []byte("x")); !errors.Is(err, zmqx.ErrWouldBlock) {
		t.Errorf("PUSH with no peer, NoWait: %v, want ErrWouldBlock", err)
	}
	pull := mustSocket(t, rt, zmqx.PULL)
	if _, err := pull.Recv(zmqx.NoWait); !errors.Is(err, zmqx.ErrWouldBlock) || !errors.Is(err, context.Canceled) {
		t.Errorf("empty PULL, NoWait: %v, want ErrWouldBlock that also is the context's error", err)
	}
	cctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if _, err := pull.Recv(cctx); !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, zmqx.ErrWouldBlock) {
		t.Errorf("PULL whose context ends while it waits: %v, want the context's error", err)
	}

	s.Close()
	if err := s.Send(ctx, []byte("x")); !errors.Is(err, zmqx.ErrClosed) {
		t.Errorf("Send after Close: %v", err)
	}
	if err := s.Bind("inproc://after"); !errors.Is(err, zmqx.ErrClosed) {
		t.Errorf("Bind after Close: %v", err)
	}
	if err := s.Close(); !errors.Is(err, zmqx.ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
}
