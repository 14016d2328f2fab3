package core

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

// deadlineTransport records the deadline of each dial and fails it.
type deadlineTransport struct{ seen chan time.Duration }

func (deadlineTransport) Listen(string, *Options) (Listener, error) { return nil, errors.New("no") }
func (deadlineTransport) CheckDial(string) error                    { return nil }
func (d deadlineTransport) Dial(ctx context.Context, _ string, _ *Options) (net.Conn, error) {
	dl, ok := ctx.Deadline()
	left := time.Duration(-1)
	if ok {
		left = time.Until(dl)
	}
	select {
	case d.seen <- left:
	default:
	}
	return nil, errors.New("refused")
}

// TestConnectTimeoutBoundsEachAttempt: with ConnectTimeout, every dial's
// context carries a deadline no further than that; without, none.
func TestConnectTimeoutBoundsEachAttempt(t *testing.T) {
	for _, timeout := range []time.Duration{0, 250 * time.Millisecond} {
		tr := deadlineTransport{seen: make(chan time.Duration, 1)}
		rt := NewRuntime(Config{Engine: nopEngine{}, Transports: map[string]Transport{"fake": tr}})
		s, err := rt.Socket(PUSH, Options{ConnectTimeout: timeout, Linger: -1})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Connect("fake://x"); err != nil {
			t.Fatal(err)
		}
		left := <-tr.seen
		rt.Close()
		switch {
		case timeout == 0 && left != -1:
			t.Errorf("no ConnectTimeout, but the dial had %v left", left)
		case timeout > 0 && (left <= 0 || left > timeout):
			t.Errorf("ConnectTimeout %v, the dial had %v left", timeout, left)
		}
	}
}

type nopEngine struct{}

func (nopEngine) Serve(context.Context, net.Conn, *Host) error { return nil }
