package zmqx_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zmqx/zmqx"
	"github.com/zmqx/zmqx/internal/ztest"
)

// TestPoller: Wait returns the sockets that are ready and only those,
// without taking their messages; it sleeps until something happens; REQ
// and REP are not moved on by polling; writability follows the peers.
func TestPoller(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			transports(t, func(t *testing.T, ep string) {
				ctx := ztest.Ctx(t)
				rt := zmqx.NewRuntime(m.cfg)
				defer rt.Close()
				pullA := mustSocket(t, rt, zmqx.PULL)
				pullB := mustSocket(t, rt, zmqx.PULL)
				for i, s := range []*zmqx.Socket{pullA, pullB} {
					if err := s.Bind(distinct(ep, i)); err != nil {
						t.Fatal(err)
					}
				}
				push := mustSocket(t, rt, zmqx.PUSH)
				p := zmqx.NewPoller()
				p.Add(pullA, zmqx.PollIn)
				p.Add(pullB, zmqx.PollIn)
				p.Add(push, zmqx.PollOut)

				// Nothing ready: Wait ends with its context.
				short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
				if r, err := p.Wait(short); !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("nothing ready: %v %v", r, err)
				}
				cancel()

				// A peer makes PUSH writable.
				if err := push.Connect(pullB.LastEndpoint()); err != nil {
					t.Fatal(err)
				}
				r, err := p.Wait(ctx)
				if err != nil || len(r) != 1 || r[0].Socket != push || r[0].Events != zmqx.PollOut {
					t.Fatalf("after connect: %v %v", r, err)
				}
				p.Remove(push)

				// A message makes pullB readable, and stays there for Recv.
				ztest.Send(t, ctx, push, "for B", "two frames")
				r, err = p.Wait(ctx)
				if err != nil || len(r) != 1 || r[0].Socket != pullB || r[0].Events != zmqx.PollIn {
					t.Fatalf("after a send: %v %v", r, err)
				}
				r, err = p.Wait(ctx) // level-triggered: still ready
				if err != nil || len(r) != 1 || r[0].Socket != pullB {
					t.Fatalf("second Wait: %v %v", r, err)
				}
				ztest.Expect(t, ctx, pullB, "for B", "two frames")
				if _, err := pullB.Recv(zmqx.NoWait); !errors.Is(err, zmqx.ErrWouldBlock) {
					t.Fatalf("a second message appeared: %v", err)
				}

				// A Wait that sleeps wakes when a message comes.
				got := make(chan []zmqx.Polled, 1)
				go func() {
					r, err := p.Wait(ctx)
					if err != nil {
						t.Error(err)
					}
					got <- append([]zmqx.Polled(nil), r...)
				}()
				ztest.Send(t, ctx, push, "later")
				if r := <-got; len(r) != 1 || r[0].Socket != pullB {
					t.Fatalf("woken with %v", r)
				}
				ztest.Expect(t, ctx, pullB, "later")

				// REP: polling for in does not take the request from the
				// state machine; the REP still replies after Recv.
				rep := mustSocket(t, rt, zmqx.REP)
				if err := rep.Bind(distinct(ep, 2)); err != nil {
					t.Fatal(err)
				}
				req := mustSocket(t, rt, zmqx.REQ)
				if err := req.Connect(rep.LastEndpoint()); err != nil {
					t.Fatal(err)
				}
				q := zmqx.NewPoller()
				q.Add(rep, zmqx.PollIn|zmqx.PollOut)
				ztest.Send(t, ctx, req, "ping")
				r, err = q.Wait(ctx)
				if err != nil || len(r) != 1 || r[0].Events != zmqx.PollIn {
					t.Fatalf("REP with a request: %v %v", r, err)
				}
				ztest.Expect(t, ctx, rep, "ping")
				r, err = q.Wait(ctx)
				if err != nil || len(r) != 1 || r[0].Events != zmqx.PollOut {
					t.Fatalf("REP owing a reply: %v %v", r, err)
				}
				ztest.Send(t, ctx, rep, "pong")
				ztest.Expect(t, ctx, req, "pong")
			})
		})
	}
}

// distinct makes an inproc endpoint unique per index (tcp and ipc bind to
// fresh addresses anyway).
func distinct(ep string, i int) string {
	if strings.HasPrefix(ep, "inproc://") {
		return fmt.Sprint(ep, "-", i)
	}
	return ep
}

// A socket closed while a Poller watches it ends the Wait with ErrClosed,
// whether it was closed before the Wait or during it; before, the Wait
// spun on the closed socket's wake-up (a whole CPU) until its context
// ended, and never said why. Removed, the others are waited on as usual.
func TestPollerClosedSocket(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			ctx := ztest.Ctx(t)
			rt := zmqx.NewRuntime(m.cfg)
			defer rt.Close()
			a, b := mustSocket(t, rt, zmqx.PULL), mustSocket(t, rt, zmqx.PULL)
			p := zmqx.NewPoller()
			p.Add(a, zmqx.PollIn)
			p.Add(b, zmqx.PollIn)
			b.Close()
			if r, err := p.Wait(ctx); !errors.Is(err, zmqx.ErrClosed) {
				t.Fatalf("closed before the Wait: %v %v, want ErrClosed", r, err)
			}
			p.Remove(b)
			c := mustSocket(t, rt, zmqx.PULL)
			p.Add(c, zmqx.PollIn)
			done := make(chan error, 1)
			go func() {
				_, err := p.Wait(ctx)
				done <- err
			}()
			c.Close()
			if err := <-done; !errors.Is(err, zmqx.ErrClosed) {
				t.Fatalf("closed during the Wait: %v, want ErrClosed", err)
			}
			p.Remove(c)
			short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
			defer cancel()
			if r, err := p.Wait(short); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("the open one, nothing ready: %v %v", r, err)
			}
		})
	}
}
