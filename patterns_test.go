package zmqx_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/zmqx/zmqx"
	"github.com/zmqx/zmqx/internal/ztest"
)

// transports runs f over each transport, giving it a fresh endpoint.
func transports(t *testing.T, f func(t *testing.T, ep string)) {
	for _, tr := range []string{"inproc", "tcp", "ipc"} {
		t.Run(tr, func(t *testing.T) {
			ep := map[string]string{"inproc": "inproc://" + t.Name(), "tcp": "tcp://127.0.0.1:*", "ipc": "ipc://*"}[tr]
			f(t, ep)
		})
	}
}

// waitEvents waits for n events of type typ on ch.
func waitEvents(t *testing.T, ctx context.Context, ch <-chan zmqx.Event, typ zmqx.EventType, n int) {
	t.Helper()
	for n > 0 {
		select {
		case e := <-ch:
			if e.Type == typ {
				n--
			}
		case <-ctx.Done():
			t.Fatalf("still waiting for %d %v events", n, typ)
		}
	}
}

// handshaken returns options that report events, and the channel.
func watched() (zmqx.SocketOptions, chan zmqx.Event) {
	ch := make(chan zmqx.Event, 256)
	return zmqx.SocketOptions{Events: ch}, ch
}

func TestReqRepAlternation(t *testing.T) {
	transports(t, func(t *testing.T, ep string) {
		ctx := ztest.Ctx(t)
		rt := newRuntime(t)
		rep := mustSocket(t, rt, zmqx.REP)
		req := mustSocket(t, rt, zmqx.REQ)
		if err := rep.Bind(ep); err != nil {
			t.Fatal(err)
		}
		if err := req.Connect(rep.LastEndpoint()); err != nil {
			t.Fatal(err)
		}
		if _, err := req.Recv(ctx); !errors.Is(err, zmqx.ErrState) {
			t.Fatalf("REQ recv before send: %v", err)
		}
		if err := rep.Send(ctx, []byte("x")); !errors.Is(err, zmqx.ErrState) {
			t.Fatalf("REP send before recv: %v", err)
		}
		ztest.Send(t, ctx, req, "a", "", "b") // multipart with an empty frame
		if err := req.Send(ctx, []byte("again")); !errors.Is(err, zmqx.ErrState) {
			t.Fatalf("REQ second send: %v", err)
		}
		ztest.Expect(t, ctx, rep, "a", "", "b")
		if _, err := rep.Recv(ctx); !errors.Is(err, zmqx.ErrState) {
			t.Fatalf("REP second recv: %v", err)
		}
		ztest.Send(t, ctx, rep, "c", "d")
		ztest.Expect(t, ctx, req, "c", "d")
	})
}

func TestEnvelopes(t *testing.T) {
	transports(t, func(t *testing.T, ep string) {
		ctx := ztest.Ctx(t)
		rt := newRuntime(t)
		router := mustSocket(t, rt, zmqx.ROUTER)
		if err := router.Bind(ep); err != nil {
			t.Fatal(err)
		}
		req := mustSocket(t, rt, zmqx.REQ, zmqx.SocketOptions{RoutingID: []byte("client-1")})
		if err := req.Connect(router.LastEndpoint()); err != nil {
			t.Fatal(err)
		}
		ztest.Send(t, ctx, req, "hello")
		ztest.Expect(t, ctx, router, "client-1", "", "hello")
		ztest.Send(t, ctx, router, "client-1", "", "world")
		ztest.Expect(t, ctx, req, "world")
		// Replies without the delimiter, with a frame before it, or without
		// a body are dropped; the REQ takes the next good one.
		ztest.Send(t, ctx, req, "again")
		ztest.Expect(t, ctx, router, "client-1", "", "again")
		ztest.Send(t, ctx, router, "client-1", "no delimiter")
		ztest.Send(t, ctx, router, "client-1", "x", "", "frame before it")
		ztest.Send(t, ctx, router, "client-1", "")
		ztest.Send(t, ctx, router, "client-1", "", "good", "two frames")
		ztest.Expect(t, ctx, req, "good", "two frames")

		// DEALER talking to REP builds the envelope itself.
		rep := mustSocket(t, rt, zmqx.REP)
		dealer := mustSocket(t, rt, zmqx.DEALER)
		rep2 := ep
		if ep[:6] == "inproc" {
			rep2 = ep + "-rep"
		}
		if err := rep.Bind(rep2); err != nil {
			t.Fatal(err)
		}
		if err := dealer.Connect(rep.LastEndpoint()); err != nil {
			t.Fatal(err)
		}
		ztest.Send(t, ctx, dealer, "", "q")
		ztest.Expect(t, ctx, rep, "q")
		ztest.Send(t, ctx, rep, "r")
		ztest.Expect(t, ctx, dealer, "", "r")
		// Requests without a delimiter or without a body are dropped; a
		// longer envelope (hops of a proxy) goes back with the reply whole.
		ztest.Send(t, ctx, dealer, "no delimiter")
		ztest.Send(t, ctx, dealer, "hop", "")
		ztest.Send(t, ctx, dealer, "hop-1", "hop-2", "", "q2", "")
		ztest.Expect(t, ctx, rep, "q2", "")
		ztest.Send(t, ctx, rep, "r2")
		ztest.Expect(t, ctx, dealer, "hop-1", "hop-2", "", "r2")
	})
}

func TestRouterMandatoryAndGeneratedIDs(t *testing.T) {
	ctx := ztest.Ctx(t)
	rt := newRuntime(t)
	o, ev := watched()
	o.RouterMandatory = true
	router := mustSocket(t, rt, zmqx.ROUTER, o)
	if err := router.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	if err := router.Send(ctx, []byte("nobody"), []byte("x")); !errors.Is(err, zmqx.ErrHostUnreachable) {
		t.Fatalf("mandatory send to unknown id: %v", err)
	}
	anon := mustSocket(t, rt, zmqx.DEALER)
	if err := anon.Connect(router.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	waitEvents(t, ctx, ev, zmqx.EventType(4), 1) // handshaken
	ztest.Send(t, ctx, anon, "hi")
	got, err := router.Recv(ctx)
	if err != nil || len(got) != 2 || len(got[0]) != 5 || got[0][0] != 0 {
		t.Fatalf("generated id: %q %v", got, err)
	}
	if err := router.Send(ctx, got[0], []byte("back")); err != nil {
		t.Fatal(err)
	}
	ztest.Expect(t, ctx, anon, "back")

	plain := mustSocket(t, rt, zmqx.ROUTER)
	if err := plain.Send(ctx, []byte("nobody"), []byte("x")); err != nil {
		t.Fatalf("non-mandatory ROUTER must drop silently: %v", err)
	}
}

func TestDealerRoundRobinAndFairQueue(t *testing.T) {
	ctx := ztest.Ctx(t)
	rt := newRuntime(t)
	o, ev := watched()
	dealer := mustSocket(t, rt, zmqx.DEALER, o)
	if err := dealer.Bind("inproc://dealer"); err != nil {
		t.Fatal(err)
	}
	var peers []*zmqx.Socket
	for i := 0; i < 3; i++ {
		p := mustSocket(t, rt, zmqx.DEALER)
		if err := p.Connect("inproc://dealer"); err != nil {
			t.Fatal(err)
		}
		peers = append(peers, p)
	}
	waitEvents(t, ctx, ev, zmqx.EventType(2), 3) // accepted
	for i := 0; i < 6; i++ {
		ztest.Send(t, ctx, dealer, fmt.Sprint(i))
	}
	for _, p := range peers {
		a, b := ztest.Recv(t, ctx, p), ztest.Recv(t, ctx, p)
		if a[0] == b[0] {
			t.Fatalf("peer got %q twice", a)
		}
	}
	// Fair queue: each peer sends two; the dealer alternates between them.
	for round := 0; round < 2; round++ {
		for i, p := range peers {
			ztest.Send(t, ctx, p, fmt.Sprint("p", i))
		}
	}
	seen := map[string]int{}
	for i := 0; i < 6; i++ {
		seen[ztest.Recv(t, ctx, dealer)[0]]++
	}
	for i := range peers {
		if seen[fmt.Sprint("p", i)] != 2 {
			t.Fatalf("fair queue: %v", seen)
		}
	}
}

func TestPushRoundRobinNeverBroadcasts(t *testing.T) {
	transports(t, func(t *testing.T, ep string) {
		ctx := ztest.Ctx(t)
		rt := newRuntime(t)
		o, ev := watched()
		push := mustSocket(t, rt, zmqx.PUSH, o)
		if err := push.Bind(ep); err != nil {
			t.Fatal(err)
		}
		a, b := mustSocket(t, rt, zmqx.PULL), mustSocket(t, rt, zmqx.PULL)
		for _, p := range []*zmqx.Socket{a, b} {
			if err := p.Connect(push.LastEndpoint()); err != nil {
				t.Fatal(err)
			}
		}
		if ep[:6] == "inproc" {
			waitEvents(t, ctx, ev, zmqx.EventType(2), 2)
		} else {
			waitEvents(t, ctx, ev, zmqx.EventType(4), 2)
		}
		for i := 0; i < 10; i++ {
			ztest.Send(t, ctx, push, fmt.Sprint(i))
		}
		got := map[string]bool{}
		for i := 0; i < 5; i++ {
			for _, p := range []*zmqx.Socket{a, b} {
				m := ztest.Recv(t, ctx, p)[0]
				if got[m] {
					t.Fatalf("message %s delivered twice", m)
				}
				got[m] = true
			}
		}
		// Nothing else is pending: a broadcast would have left copies.
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if m, err := a.Recv(short); err == nil {
			t.Fatalf("extra message %q", m)
		}
	})
}

func TestPubSubFiltering(t *testing.T) {
	transports(t, func(t *testing.T, ep string) {
		ctx := ztest.Ctx(t)
		rt := newRuntime(t)
		pub := mustSocket(t, rt, zmqx.XPUB)
		if err := pub.Bind(ep); err != nil {
			t.Fatal(err)
		}
		sub := mustSocket(t, rt, zmqx.SUB)
		if err := sub.Subscribe("quotes.EUR"); err != nil {
			t.Fatal(err)
		}
		if err := sub.Connect(pub.LastEndpoint()); err != nil {
			t.Fatal(err)
		}
		ztest.Expect(t, ctx, pub, "\x01quotes.EUR") // XPUB sees the subscription
		ztest.Send(t, ctx, pub, "quotes.USDJPY 150")
		ztest.Send(t, ctx, pub, "quotes.EURUSD 1.08", "second frame")
		ztest.Expect(t, ctx, sub, "quotes.EURUSD 1.08", "second frame")

		if err := sub.Subscribe(""); err != nil {
			t.Fatal(err)
		}
		ztest.Expect(t, ctx, pub, "\x01")
		ztest.Send(t, ctx, pub, "anything")
		ztest.Expect(t, ctx, sub, "anything")
		if err := sub.Unsubscribe(""); err != nil {
			t.Fatal(err)
		}
		ztest.Expect(t, ctx, pub, "\x00") // XPUB sees the cancel
		ztest.Send(t, ctx, pub, "other")
		ztest.Send(t, ctx, pub, "quotes.EURGBP")
		ztest.Expect(t, ctx, sub, "quotes.EURGBP")
		if err := sub.Send(ctx, []byte("x")); !errors.Is(err, zmqx.ErrNotSupported) {
			t.Fatalf("SUB send: %v", err)
		}
	})
}

func TestXSubForwardsSubscriptions(t *testing.T) {
	transports(t, func(t *testing.T, ep string) {
		ctx := ztest.Ctx(t)
		rt := newRuntime(t)
		xpub := mustSocket(t, rt, zmqx.XPUB)
		if err := xpub.Bind(ep); err != nil {
			t.Fatal(err)
		}
		xsub := mustSocket(t, rt, zmqx.XSUB)
		if err := xsub.Connect(xpub.LastEndpoint()); err != nil {
			t.Fatal(err)
		}
		ztest.Send(t, ctx, xsub, "\x01news")
		ztest.Expect(t, ctx, xpub, "\x01news")
		ztest.Send(t, ctx, xpub, "news: up")
		ztest.Send(t, ctx, xpub, "sport: down")
		ztest.Send(t, ctx, xpub, "news: down")
		ztest.Expect(t, ctx, xsub, "news: up")
		ztest.Expect(t, ctx, xsub, "news: down")
		ztest.Send(t, ctx, xsub, "\x00news")
		ztest.Expect(t, ctx, xpub, "\x00news")
	})
}

func TestPubDropsAtHWM(t *testing.T) {
	ctx := ztest.Ctx(t)
	rt := newRuntime(t)
	pub := mustSocket(t, rt, zmqx.XPUB, zmqx.SocketOptions{SendHWM: 10})
	if err := pub.Bind("inproc://hwm"); err != nil {
		t.Fatal(err)
	}
	sub := mustSocket(t, rt, zmqx.SUB, zmqx.SocketOptions{RecvHWM: 10})
	sub.Subscribe("")
	if err := sub.Connect("inproc://hwm"); err != nil {
		t.Fatal(err)
	}
	ztest.Expect(t, ctx, pub, "\x01")
	// The subscriber reads nothing: sends must neither block nor queue
	// beyond the two HWMs.
	for i := 0; i < 1000; i++ {
		if err := pub.Send(ctx, []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	for {
		if _, err := sub.Recv(short); err != nil {
			break
		}
		n++
	}
	if n == 0 || n > 20 {
		t.Fatalf("subscriber got %d messages, want 1..20 (HWM 10+10)", n)
	}
}

func TestFrameSizes(t *testing.T) {
	for _, ep := range []string{"tcp://127.0.0.1:*", "ipc://*", "inproc://sizes"} {
		t.Run(ep[:3], func(t *testing.T) {
			ctx := ztest.Ctx(t)
			rt := newRuntime(t)
			pull := mustSocket(t, rt, zmqx.PULL)
			if err := pull.Bind(ep); err != nil {
				t.Fatal(err)
			}
			push := mustSocket(t, rt, zmqx.PUSH)
			if err := push.Connect(pull.LastEndpoint()); err != nil {
				t.Fatal(err)
			}
			for _, size := range []int{0, 1, 33, 34, 85, 86, 254, 255, 256, 257, 4095, 4097, 65536, 4 << 20, 9 << 20} {
				body := bytes.Repeat([]byte{byte(size)}, size)
				if err := push.Send(ctx, []byte("hdr"), body, nil); err != nil {
					t.Fatal(err)
				}
				got, err := pull.Recv(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != 3 || string(got[0]) != "hdr" || !bytes.Equal(got[1], body) || len(got[2]) != 0 {
					t.Fatalf("size %d: got %d frames, middle %d bytes", size, len(got), len(got[1]))
				}
				// Last: from 256 KiB on, written from body itself over tcp and ipc.
				if err := push.Send(ctx, []byte("hdr"), body); err != nil {
					t.Fatal(err)
				}
				if got, err = pull.Recv(ctx); err != nil {
					t.Fatal(err)
				}
				if len(got) != 2 || string(got[0]) != "hdr" || !bytes.Equal(got[1], body) {
					t.Fatalf("size %d: got %d frames, last %d bytes", size, len(got), len(got[len(got)-1]))
				}
			}
		})
	}
}

func TestPair(t *testing.T) {
	transports(t, func(t *testing.T, ep string) {
		ctx := ztest.Ctx(t)
		rt := newRuntime(t)
		a, b := mustSocket(t, rt, zmqx.PAIR), mustSocket(t, rt, zmqx.PAIR)
		if err := a.Bind(ep); err != nil {
			t.Fatal(err)
		}
		if err := b.Connect(a.LastEndpoint()); err != nil {
			t.Fatal(err)
		}
		ztest.Send(t, ctx, b, "ping")
		ztest.Expect(t, ctx, a, "ping")
		ztest.Send(t, ctx, a, "pong", "2")
		ztest.Expect(t, ctx, b, "pong", "2")
	})
}

func TestSocketTypeErrors(t *testing.T) {
	ctx := ztest.Ctx(t)
	rt := newRuntime(t)
	push := mustSocket(t, rt, zmqx.PUSH)
	if _, err := push.Recv(ctx); !errors.Is(err, zmqx.ErrNotSupported) {
		t.Fatalf("PUSH recv: %v", err)
	}
	pull := mustSocket(t, rt, zmqx.PULL)
	if err := pull.Send(ctx, []byte("x")); !errors.Is(err, zmqx.ErrNotSupported) {
		t.Fatalf("PULL send: %v", err)
	}
	if err := push.Subscribe("x"); !errors.Is(err, zmqx.ErrNotSupported) {
		t.Fatalf("PUSH subscribe: %v", err)
	}
	if err := push.Send(ctx); !errors.Is(err, zmqx.ErrEmptyMessage) {
		t.Fatalf("empty send: %v", err)
	}
	for _, ep := range []string{"nonsense", "tcp://", "bogus://x", "tcp://127.0.0.1", "tcp://*:1:2"} {
		if err := push.Bind(ep); err == nil {
			t.Fatalf("Bind(%q) succeeded", ep)
		}
	}
	if err := push.Connect("tcp://*:5555"); err == nil {
		t.Fatal("Connect to a wildcard host succeeded")
	}
	if _, err := rt.Socket(zmqx.REQ, zmqx.SocketOptions{RoutingID: []byte{0, 1}}); err == nil {
		t.Fatal("routing id starting with zero accepted")
	}
	if _, err := rt.Socket(zmqx.REQ, zmqx.SocketOptions{PlainAuth: func(u, p string) error { return nil }, PlainUsername: "x"}); err == nil {
		t.Fatal("PLAIN client and server at once accepted")
	}
	a := mustSocket(t, rt, zmqx.PAIR)
	if err := a.Bind("inproc://taken"); err != nil {
		t.Fatal(err)
	}
	b := mustSocket(t, rt, zmqx.PAIR)
	if err := b.Bind("inproc://taken"); !errors.Is(err, zmqx.ErrAddrInUse) {
		t.Fatalf("double inproc bind: %v", err)
	}
	if err := push.Close(); err != nil {
		t.Fatal(err)
	}
	if err := push.Send(ctx, []byte("x")); !errors.Is(err, zmqx.ErrClosed) {
		t.Fatalf("send after close: %v", err)
	}
}

// TestXPubReceivesMessagesFromSubscribers: RFC 29 — an XSUB's messages that
// are not subscriptions reach the XPUB's application whole; and a SUB's
// second Subscribe to a topic keeps it alive through one Unsubscribe.
func TestXPubReceivesMessagesFromSubscribers(t *testing.T) {
	transports(t, func(t *testing.T, ep string) {
		ctx := ztest.Ctx(t)
		rt := newRuntime(t)
		xpub := mustSocket(t, rt, zmqx.XPUB)
		if err := xpub.Bind(ep); err != nil {
			t.Fatal(err)
		}
		xsub := mustSocket(t, rt, zmqx.XSUB)
		if err := xsub.Connect(xpub.LastEndpoint()); err != nil {
			t.Fatal(err)
		}
		ztest.Send(t, ctx, xsub, "\x01news")
		ztest.Expect(t, ctx, xpub, "\x01news")
		ztest.Send(t, ctx, xsub, "hello", "", "upstream")
		ztest.Expect(t, ctx, xpub, "hello", "", "upstream")

		sub := mustSocket(t, rt, zmqx.SUB)
		for range 2 {
			if err := sub.Subscribe("a."); err != nil {
				t.Fatal(err)
			}
		}
		if err := sub.Connect(xpub.LastEndpoint()); err != nil {
			t.Fatal(err)
		}
		ztest.Expect(t, ctx, xpub, "\x01a.")
		if err := sub.Unsubscribe("a."); err != nil {
			t.Fatal(err)
		}
		// Still subscribed once: "a." messages keep coming. A marker topic
		// subscribed after the Unsubscribe proves the order upstream.
		if err := sub.Subscribe("z."); err != nil {
			t.Fatal(err)
		}
		ztest.Expect(t, ctx, xpub, "\x01z.")
		ztest.Send(t, ctx, xpub, "a.1")
		ztest.Expect(t, ctx, sub, "a.1")
		if err := sub.Unsubscribe("a."); err != nil {
			t.Fatal(err)
		}
		ztest.Expect(t, ctx, xpub, "\x00a.")
	})
}
