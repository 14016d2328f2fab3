package interop

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zmqx/zmqx"
	"github.com/zmqx/zmqx/core"
	"github.com/zmqx/zmqx/internal/zmtp"
	"github.com/zmqx/zmqx/internal/ztest"
)

func zsock(t *testing.T, typ zmqx.SocketType, o ...zmqx.SocketOptions) *zmqx.Socket {
	t.Helper()
	rt := zmqx.NewRuntime(zmqx.Config{})
	t.Cleanup(func() { rt.Close() })
	s, err := rt.Socket(typ, o...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// zexpectPoking waits for a message on s while making the libzmq peer
// process its commands, which it otherwise does only inside its own calls:
// a libzmq socket that binds attaches a new peer (and sends it its
// subscriptions) only then.
func zexpectPoking(t *testing.T, ctx context.Context, s *zmqx.Socket, p *peer, want ...string) {
	t.Helper()
	for {
		short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		m, err := s.Recv(short)
		cancel()
		if err == nil {
			got := make([]string, len(m))
			for i, f := range m {
				got[i] = string(f)
			}
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
				t.Fatalf("zmqx %s received %.80q, want %.80q", s.Type(), got, want)
			}
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("zmqx %s: nothing received, want %q", s.Type(), want)
		}
		p.poke()
	}
}

// link joins a zmqx socket and a libzmq peer over TCP, one binding.
func link(t *testing.T, z *zmqx.Socket, p *peer, zmqxBinds bool) {
	t.Helper()
	if zmqxBinds {
		if err := z.Bind("tcp://127.0.0.1:*"); err != nil {
			t.Fatal(err)
		}
		p.connect(z.LastEndpoint())
		return
	}
	if err := z.Connect(p.bind("tcp://127.0.0.1:*")); err != nil {
		t.Fatal(err)
	}
}

// directions runs f with zmqx binding and with libzmq binding.
func directions(t *testing.T, f func(t *testing.T, zmqxBinds bool)) {
	t.Run("zmqx-binds", func(t *testing.T) { f(t, true) })
	t.Run("libzmq-binds", func(t *testing.T) { f(t, false) })
}

func TestReqRep(t *testing.T) {
	directions(t, func(t *testing.T, zb bool) {
		t.Run("zmqx-REQ", func(t *testing.T) {
			ctx := ztest.Ctx(t)
			req, rep := zsock(t, zmqx.REQ), newPeer(t, "REP")
			link(t, req, rep, zb)
			for i := 0; i < 3; i++ {
				ztest.Send(t, ctx, req, "hello", "", "multi")
				rep.expect("hello", "", "multi")
				rep.send("world", fmt.Sprint(i))
				ztest.Expect(t, ctx, req, "world", fmt.Sprint(i))
			}
		})
		t.Run("zmqx-REP", func(t *testing.T) {
			ctx := ztest.Ctx(t)
			rep, req := zsock(t, zmqx.REP), newPeer(t, "REQ")
			link(t, rep, req, zb)
			for i := 0; i < 3; i++ {
				req.send("hello", fmt.Sprint(i))
				ztest.Expect(t, ctx, rep, "hello", fmt.Sprint(i))
				ztest.Send(t, ctx, rep, "world", "", "x")
				req.expect("world", "", "x")
			}
		})
	})
}

func TestPubSub(t *testing.T) {
	directions(t, func(t *testing.T, zb bool) {
		t.Run("zmqx-PUB", func(t *testing.T) {
			ctx := ztest.Ctx(t)
			pub, sub := zsock(t, zmqx.PUB), newPeer(t, "SUB", "rcvtimeo 100")
			sub.sub("a.")
			link(t, pub, sub, zb)
			// Publish probes until the subscription has reached us.
			for {
				ztest.Send(t, ctx, pub, "a.probe")
				if _, ok := sub.recv(); ok {
					break
				}
				if ctx.Err() != nil {
					t.Fatal("subscription never arrived")
				}
			}
			ztest.Send(t, ctx, pub, "b.filtered")
			ztest.Send(t, ctx, pub, "a.wanted", "frame 2")
			for {
				m, ok := sub.recv()
				if !ok {
					t.Fatal("a.wanted not received")
				}
				if m[0] == "a.probe" {
					continue
				}
				if m[0] != "a.wanted" || len(m) != 2 || m[1] != "frame 2" {
					t.Fatalf("got %q", m)
				}
				break
			}
		})
		t.Run("zmqx-SUB", func(t *testing.T) {
			ctx := ztest.Ctx(t)
			sub, pub := zsock(t, zmqx.SUB), newPeer(t, "PUB")
			sub.Subscribe("a.")
			link(t, sub, pub, zb)
			for {
				pub.send("a.probe")
				short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
				_, err := sub.Recv(short)
				cancel()
				if err == nil {
					break
				}
				if ctx.Err() != nil {
					t.Fatal("subscription never arrived")
				}
			}
			pub.send("b.filtered")
			pub.send("a.wanted", "frame 2")
			for {
				m := ztest.Recv(t, ctx, sub)
				if m[0] == "a.probe" {
					continue
				}
				if m[0] != "a.wanted" || len(m) != 2 {
					t.Fatalf("got %q", m)
				}
				break
			}
		})
	})
}

func TestXPubXSub(t *testing.T) {
	directions(t, func(t *testing.T, zb bool) {
		t.Run("zmqx-XPUB", func(t *testing.T) {
			ctx := ztest.Ctx(t)
			xpub, xsub := zsock(t, zmqx.XPUB), newPeer(t, "XSUB")
			link(t, xpub, xsub, zb)
			xsub.send("\x01topic")
			zexpectPoking(t, ctx, xpub, xsub, "\x01topic")
			ztest.Send(t, ctx, xpub, "topic: 1")
			xsub.expect("topic: 1")
			xsub.send("\x00topic")
			ztest.Expect(t, ctx, xpub, "\x00topic")
		})
		t.Run("zmqx-XSUB", func(t *testing.T) {
			ctx := ztest.Ctx(t)
			xsub, xpub := zsock(t, zmqx.XSUB), newPeer(t, "XPUB")
			link(t, xsub, xpub, zb)
			ztest.Send(t, ctx, xsub, "\x01topic")
			xpub.expect("\x01topic")
			xpub.send("topic: 1")
			ztest.Expect(t, ctx, xsub, "topic: 1")
			ztest.Send(t, ctx, xsub, "\x00topic")
			xpub.expect("\x00topic")
		})
		t.Run("messages-upstream-libzmq-XSUB-to-zmqx-XPUB", func(t *testing.T) {
			// RFC 29: what an XSUB sends that is not a subscription reaches
			// the XPUB's application, multipart intact.
			ctx := ztest.Ctx(t)
			xpub, xsub := zsock(t, zmqx.XPUB), newPeer(t, "XSUB")
			link(t, xpub, xsub, zb)
			xsub.send("\x01topic")
			zexpectPoking(t, ctx, xpub, xsub, "\x01topic")
			xsub.send("hello")
			ztest.Expect(t, ctx, xpub, "hello")
			xsub.send("up", "", "stream")
			ztest.Expect(t, ctx, xpub, "up", "", "stream")
		})
		t.Run("messages-upstream-zmqx-XSUB-to-libzmq-XPUB", func(t *testing.T) {
			ctx := ztest.Ctx(t)
			xsub, xpub := zsock(t, zmqx.XSUB), newPeer(t, "XPUB")
			link(t, xsub, xpub, zb)
			ztest.Send(t, ctx, xsub, "\x01topic")
			xpub.expect("\x01topic")
			ztest.Send(t, ctx, xsub, "up", "stream")
			xpub.expect("up", "stream")
		})
		t.Run("every-subscribe-upstream-to-verbose-libzmq-XPUB", func(t *testing.T) {
			// Each Subscribe goes upstream; the cancel only with the last
			// Unsubscribe (what libzmq's SUB does).
			sub, xpub := zsock(t, zmqx.SUB), newPeer(t, "XPUB", "xpub_verbose")
			link(t, sub, xpub, zb)
			if err := sub.Subscribe("a"); err != nil {
				t.Fatal(err)
			}
			xpub.expect("\x01a")
			if err := sub.Subscribe("a"); err != nil {
				t.Fatal(err)
			}
			xpub.expect("\x01a")
			if err := sub.Unsubscribe("a"); err != nil {
				t.Fatal(err)
			}
			// No cancel yet: the next thing upstream is the subscribe to b.
			if err := sub.Subscribe("b"); err != nil {
				t.Fatal(err)
			}
			xpub.expect("\x01b")
			if err := sub.Unsubscribe("a"); err != nil {
				t.Fatal(err)
			}
			xpub.expect("\x00a")
		})
		t.Run("libzmq-SUB-to-zmqx-XPUB", func(t *testing.T) {
			ctx := ztest.Ctx(t)
			xpub, sub := zsock(t, zmqx.XPUB), newPeer(t, "SUB")
			link(t, xpub, sub, zb)
			sub.sub("fx.")
			zexpectPoking(t, ctx, xpub, sub, "\x01fx.")
			sub.unsub("fx.")
			ztest.Expect(t, ctx, xpub, "\x00fx.")
		})
	})
}

func TestDealerRouter(t *testing.T) {
	directions(t, func(t *testing.T, zb bool) {
		t.Run("zmqx-ROUTER", func(t *testing.T) {
			ctx := ztest.Ctx(t)
			router, dealer := zsock(t, zmqx.ROUTER), newPeer(t, "DEALER", "routing_id "+enc([]string{"D-1"}))
			link(t, router, dealer, zb)
			dealer.send("hi", "there")
			ztest.Expect(t, ctx, router, "D-1", "hi", "there")
			ztest.Send(t, ctx, router, "D-1", "back")
			dealer.expect("back")
		})
		t.Run("zmqx-DEALER", func(t *testing.T) {
			ctx := ztest.Ctx(t)
			dealer := zsock(t, zmqx.DEALER, zmqx.SocketOptions{RoutingID: []byte("Z-1")})
			router := newPeer(t, "ROUTER", "router_mandatory")
			link(t, dealer, router, zb)
			ztest.Send(t, ctx, dealer, "hi")
			router.expect("Z-1", "hi")
			router.send("Z-1", "back", "")
			ztest.Expect(t, ctx, dealer, "back", "")
		})
	})
}

func TestPushPullRoundRobin(t *testing.T) {
	directions(t, func(t *testing.T, zb bool) {
		t.Run("zmqx-PUSH", func(t *testing.T) {
			ctx := ztest.Ctx(t)
			events := make(chan zmqx.Event, 16)
			push := zsock(t, zmqx.PUSH, zmqx.SocketOptions{Events: events})
			a, b := newPeer(t, "PULL"), newPeer(t, "PULL")
			if zb {
				link(t, push, a, true)
				b.connect(push.LastEndpoint())
			} else {
				link(t, push, a, false)
				link(t, push, b, false)
			}
			for n := 0; n < 2; {
				if e := <-events; e.Type == core.EventHandshaken {
					n++
				}
			}
			for i := 0; i < 6; i++ {
				ztest.Send(t, ctx, push, fmt.Sprint(i))
			}
			ga, gb := []string{}, []string{}
			for i := 0; i < 3; i++ {
				m, _ := a.recv()
				ga = append(ga, m...)
				m, _ = b.recv()
				gb = append(gb, m...)
			}
			if strings.Join(ga, "")+strings.Join(gb, "") != "024135" && strings.Join(gb, "")+strings.Join(ga, "") != "024135" {
				t.Fatalf("not round-robin: %q and %q", ga, gb)
			}
		})
		t.Run("zmqx-PULL", func(t *testing.T) {
			ctx := ztest.Ctx(t)
			push := newPeer(t, "PUSH")
			a, b := zsock(t, zmqx.PULL), zsock(t, zmqx.PULL)
			if zb {
				link(t, a, push, true)
				link(t, b, push, true)
			} else {
				ep := push.bind("tcp://127.0.0.1:*")
				a.Connect(ep)
				b.Connect(ep)
			}
			// libzmq deals only to peers it has finished the handshake with:
			// send probes until both have one, then check the alternation.
			got := map[*zmqx.Socket]bool{}
			for len(got) < 2 {
				push.send("probe")
				for _, s := range []*zmqx.Socket{a, b} {
					short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
					if _, err := s.Recv(short); err == nil {
						got[s] = true
					}
					cancel()
				}
				if ctx.Err() != nil {
					t.Fatal("peers never both connected")
				}
			}
			for _, s := range []*zmqx.Socket{a, b} { // drain stray probes
				for {
					short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
					_, err := s.Recv(short)
					cancel()
					if err != nil {
						break
					}
				}
			}
			for i := 0; i < 6; i++ {
				push.send(fmt.Sprint(i))
			}
			ca, cb := 0, 0
			for i := 0; i < 3; i++ {
				ztest.Recv(t, ctx, a)
				ca++
				ztest.Recv(t, ctx, b)
				cb++
			}
			if ca != 3 || cb != 3 {
				t.Fatalf("split %d/%d", ca, cb)
			}
		})
	})
}

func TestPairAndBigMessages(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 4<<20/16) // 4 MiB
	directions(t, func(t *testing.T, zb bool) {
		ctx := ztest.Ctx(t)
		z, p := zsock(t, zmqx.PAIR), newPeer(t, "PAIR")
		link(t, z, p, zb)
		ztest.Send(t, ctx, z, "small", "", big)
		p.expect("small", "", big)
		p.send(big, "tail")
		ztest.Expect(t, ctx, z, big, "tail")
	})
}

func TestPlain(t *testing.T) {
	check := func(u, p string) error {
		if u == "trader" && p == "s3cret" {
			return nil
		}
		return errors.New("no")
	}
	t.Run("zmqx-server", func(t *testing.T) {
		directions(t, func(t *testing.T, zb bool) {
			ctx := ztest.Ctx(t)
			events := make(chan zmqx.Event, 16)
			rep := zsock(t, zmqx.REP, zmqx.SocketOptions{PlainAuth: check, Events: events})
			good := newPeer(t, "REQ", "plain_client trader s3cret")
			link(t, rep, good, zb)
			good.send("order")
			ztest.Expect(t, ctx, rep, "order")
			ztest.Send(t, ctx, rep, "filled")
			good.expect("filled")

			bad := newPeer(t, "REQ", "plain_client trader guess", "rcvtimeo 300")
			if zb {
				bad.connect(rep.LastEndpoint())
			} else {
				rep.Connect(bad.bind("tcp://127.0.0.1:*"))
			}
			for e := range events {
				if e.Type == core.EventHandshakeFailed {
					if !errors.Is(e.Err, zmtp.ErrAuthFailed) {
						t.Fatalf("refusal reason %v", e.Err)
					}
					break
				}
			}
			if zb {
				// libzmq may queue the request (until it learns of the
				// refusal) or refuse it at once; either way nothing answers.
				if resp := bad.do("send " + enc([]string{"order"})); resp == "ok" {
					if m, ok := bad.recv(); ok {
						t.Fatalf("refused client got %q", m)
					}
				}
			}
		})
	})
	t.Run("libzmq-server", func(t *testing.T) {
		directions(t, func(t *testing.T, zb bool) {
			ctx := ztest.Ctx(t)
			rep := newPeer(t, "REP", "plain_server trader s3cret")
			good := zsock(t, zmqx.REQ, zmqx.SocketOptions{PlainUsername: "trader", PlainPassword: "s3cret"})
			link(t, good, rep, zb)
			ztest.Send(t, ctx, good, "order")
			rep.expect("order")
			rep.send("filled")
			ztest.Expect(t, ctx, good, "filled")

			events := make(chan zmqx.Event, 16)
			bad := zsock(t, zmqx.REQ, zmqx.SocketOptions{PlainUsername: "trader", PlainPassword: "guess", Events: events})
			if zb {
				if err := bad.Bind("tcp://127.0.0.1:*"); err != nil {
					t.Fatal(err)
				}
				rep.connect(bad.LastEndpoint())
			} else {
				link(t, bad, rep, false)
			}
			for e := range events {
				if e.Type == core.EventHandshaken {
					t.Fatal("bad credentials accepted")
				}
				if e.Type == core.EventHandshakeFailed {
					t.Logf("refused: %v", e.Err)
					break
				}
			}
		})
	})
}

// TestCloseDeliversToSlowReader: a zmqx PUSH closing right after its last
// send must not lose what a slow libzmq reader has not read yet. Over ipc,
// closing a Unix socket outright while the reader still had data queued
// made libzmq drop the tail (about one run in three with 5000 messages);
// zmqx now half-closes and waits, within Linger (at most a second), for
// the peer to finish reading and close its side.
func TestCloseDeliversToSlowReader(t *testing.T) {
	for _, ep := range []string{"ipc://" + tmpDir + "/slow.ipc", "tcp://127.0.0.1:*"} {
		t.Run(ep[:3], func(t *testing.T) {
			ctx := ztest.Ctx(t)
			pull := newPeer(t, "PULL", "rcvhwm 10")
			bound := pull.bind(ep)
			rt := zmqx.NewRuntime(zmqx.Config{})
			defer rt.Close()
			push, err := rt.Socket(zmqx.PUSH, zmqx.SocketOptions{Linger: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if err := push.Connect(bound); err != nil {
				t.Fatal(err)
			}
			const n = 3000
			got := make(chan int, 1)
			go func() { // the slow reader: one message per round trip to the peer process
				i := 0
				for ; i < n; i++ {
					m, ok := pull.recv()
					if !ok || len(m) != 1 || m[0] != fmt.Sprintf("%04d", i) {
						break
					}
				}
				got <- i
			}()
			for i := 0; i < n; i++ {
				ztest.Send(t, ctx, push, fmt.Sprintf("%04d", i))
			}
			if err := push.Close(); err != nil {
				t.Fatal(err)
			}
			if i := <-got; i != n {
				t.Fatalf("libzmq read %d of %d messages in order", i, n)
			}
		})
	}
}

// TestReqCorrelate: ZMQ_REQ_CORRELATE and ZMQ_REQ_RELAXED are on the wire
// the same as libzmq's (a 4-byte request id frame before the delimiter):
// libzmq's REQ talks to zmqx's ROUTER, zmqx's REQ to libzmq's REP.
func TestReqCorrelate(t *testing.T) {
	directions(t, func(t *testing.T, zb bool) {
		t.Run("libzmq-REQ-to-zmqx-ROUTER", func(t *testing.T) {
			ctx := ztest.Ctx(t)
			router, req := zsock(t, zmqx.ROUTER), newPeer(t, "REQ", "req_correlate", "req_relaxed")
			link(t, router, req, zb)
			req.send("first")
			first := ztest.Recv(t, ctx, router)
			req.send("second") // relaxed
			second := ztest.Recv(t, ctx, router)
			for _, m := range [][]string{first, second} {
				if len(m) != 4 || len(m[1]) != 4 || len(m[2]) != 0 {
					t.Fatalf("libzmq's correlated request: %q", m)
				}
			}
			ztest.Send(t, ctx, router, first[0], first[1], "", "late")
			ztest.Send(t, ctx, router, second[0], second[1], "", "answer")
			req.expect("answer")
		})
		t.Run("zmqx-REQ-to-libzmq-REP", func(t *testing.T) {
			ctx := ztest.Ctx(t)
			req, rep := zsock(t, zmqx.REQ, zmqx.SocketOptions{ReqCorrelate: true, ReqRelaxed: true}), newPeer(t, "REP")
			link(t, req, rep, zb)
			for i := range 3 {
				ztest.Send(t, ctx, req, fmt.Sprint("q", i))
				rep.expect(fmt.Sprint("q", i))
				rep.send(fmt.Sprint("a", i))
				ztest.Expect(t, ctx, req, fmt.Sprint("a", i))
			}
		})
	})
}
