package core

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"
)

// pollTransport is a Poller whose dials wait until canceled: a connection
// that is being made and never is. Its PollIdle closes polled the first
// time it is called.
type pollTransport struct {
	polled chan struct{}
	once   sync.Once
}

func (*pollTransport) Listen(string, *Options) (Listener, error) { return nil, errors.New("no") }
func (*pollTransport) CheckDial(string) error                    { return nil }
func (*pollTransport) Dial(ctx context.Context, _ string, _ *Options) (net.Conn, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}
func (p *pollTransport) PollIdle() { p.once.Do(func() { close(p.polled) }) }

// agentEngine is nopEngine, declared able to run as agents (invoker mode).
type agentEngine struct{ nopEngine }

func (agentEngine) Agents() bool { return true }

// TestInvokerPollsWhileConnecting: an invoker's Send, Recv and WaitAny that
// wait with no connection to drive yet run the transports' PollIdle, so
// that a connection being made is taken in by the waiting goroutine.
func TestInvokerPollsWhileConnecting(t *testing.T) {
	for _, tc := range []struct {
		name string
		typ  Type
		wait func(ctx context.Context, s *Socket) error
	}{
		{"Send", DEALER, func(ctx context.Context, s *Socket) error { return s.SendBytes(ctx, [][]byte{[]byte("x")}) }},
		{"Recv", REP, func(ctx context.Context, s *Socket) error { _, err := s.Recv(ctx, nil); return err }},
		{"WaitAny", REP, func(ctx context.Context, s *Socket) error {
			_, err := WaitAny(ctx, []PollItem{{Socket: s, Events: PollIn}})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := &pollTransport{polled: make(chan struct{})}
			rt := NewRuntime(Config{Engine: agentEngine{}, Invoker: true, Idle: IdleSpin, Transports: map[string]Transport{"fake": tr}})
			defer rt.Close()
			// Immediate: no pipe to queue into before the connection is
			// made, so a Send waits too.
			s, err := rt.Socket(tc.typ, Options{Linger: -1, Immediate: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Connect("fake://x"); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- tc.wait(ctx, s) }()
			select {
			case <-tr.polled:
			case err := <-done:
				t.Fatalf("returned (%v) before polling", err)
			case <-time.After(10 * time.Second):
				t.Fatal("waited 10 s without calling PollIdle")
			}
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("after cancel: %v", err)
			}
		})
	}
}
