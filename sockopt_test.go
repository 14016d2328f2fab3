package zmqx_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zmqx/zmqx"
	"github.com/zmqx/zmqx/internal/ztest"
)

// TestSetOptionErrors: wrong types, out-of-range values and options that
// cannot change are refused and change nothing; GetOption reads back what
// SetOption stored, defaults resolved.
func TestSetOptionErrors(t *testing.T) {
	rt := newRuntime(t)
	s := mustSocket(t, rt, zmqx.DEALER)
	bad := []struct {
		opt zmqx.Option
		v   any
	}{
		{zmqx.Linger, 5},       // not a time.Duration
		{zmqx.SendHWM, "10"},   // not an int
		{zmqx.ProbeRouter, 1},  // not a bool
		{zmqx.TOS, 300},        // out of range
		{zmqx.TCPKeepAlive, 2}, // out of range
		{zmqx.HeartbeatInterval, -time.Second},
		{zmqx.ConnectRoutingID, "peer"}, // not a ROUTER's
		{zmqx.PlainUsername, "me"},      // not live
		{zmqx.RoutingID, "\x00me"},      // reserved
		{zmqx.BatchSize, -1},            // out of range
		{zmqx.XPubManual, true},         // not an XPUB
		{zmqx.ReqRelaxed, false},        // not a REQ, whatever the value
		{zmqx.Option(0), true},          // unknown
		{zmqx.Option(200), true},        // unknown
	}
	for _, b := range bad {
		if err := s.SetOption(b.opt, b.v); !errors.Is(err, zmqx.ErrInvalidOption) {
			t.Errorf("SetOption(%v, %#v) = %v, want ErrInvalidOption", b.opt, b.v, err)
		}
	}
	get := func(opt zmqx.Option) any {
		t.Helper()
		v, err := s.GetOption(opt)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := get(zmqx.TOS); v != 0 {
		t.Fatalf("TOS after a refused change: %v", v)
	}
	if v := get(zmqx.SendHWM); v != 1000 {
		t.Fatalf("default SendHWM %v", v)
	}
	must(t, s.SetOption(zmqx.SendHWM, -1))
	if v := get(zmqx.SendHWM); v != -1 {
		t.Fatalf("unlimited SendHWM reads %v", v)
	}
	must(t, s.SetOption(zmqx.RecvHWM, 7)) // and SendHWM stays unlimited
	if v := get(zmqx.SendHWM); v != -1 {
		t.Fatalf("SendHWM after setting RecvHWM: %v", v)
	}
	must(t, s.SetOption(zmqx.Linger, 250*time.Millisecond))
	if v := get(zmqx.Linger); v != 250*time.Millisecond {
		t.Fatalf("Linger %v", v)
	}
	r := mustSocket(t, rt, zmqx.ROUTER)
	if err := r.SetOption(zmqx.ConnectRoutingID, "\x00x"); !errors.Is(err, zmqx.ErrInvalidOption) {
		t.Errorf("a reserved ConnectRoutingID: %v, want ErrInvalidOption", err)
	}
	must(t, r.SetOption(zmqx.ConnectRoutingID, "peer"))
	if v, err := r.GetOption(zmqx.ConnectRoutingID); err != nil || string(v.([]byte)) != "peer" {
		t.Fatalf("ConnectRoutingID %q, %v", v, err)
	}
	must(t, s.SetOption(zmqx.Conflate, true)) // before any endpoint: fine
	must(t, s.Bind("inproc://"+t.Name()))
	if err := s.SetOption(zmqx.Conflate, false); !errors.Is(err, zmqx.ErrInvalidOption) {
		t.Fatalf("Conflate changed after Bind: %v", err)
	}
	if _, err := rt.Socket(zmqx.ROUTER, zmqx.SocketOptions{Conflate: true}); !errors.Is(err, zmqx.ErrInvalidOption) {
		t.Fatalf("Conflate on a ROUTER: %v", err)
	}
	// Bad values given at creation are the same error as through SetOption.
	for _, o := range []zmqx.SocketOptions{{TOS: 999}, {BatchSize: -1}, {HeartbeatInterval: -1}} {
		if _, err := rt.Socket(zmqx.DEALER, o); !errors.Is(err, zmqx.ErrInvalidOption) {
			t.Errorf("Socket(DEALER, %+v): %v, want ErrInvalidOption", o, err)
		}
	}
	if !zmqx.Linger.Live() || zmqx.PlainPassword.Live() || zmqx.Linger.String() != "Linger" {
		t.Fatal("Option.Live or String")
	}
	must(t, s.Close())
	if err := s.SetOption(zmqx.Linger, time.Second); !errors.Is(err, zmqx.ErrClosed) {
		t.Fatalf("SetOption on a closed socket: %v", err)
	}
}

// TestOptionsForType: an option of one socket type given to another is
// refused, as libzmq's zmq_setsockopt refuses it (EINVAL), both through
// SetOption (whatever the value) and at creation (when set), rather than
// silently doing nothing; the types it is for take it. (interop's
// TestPyOptionsForType checks every type against libzmq.)
func TestOptionsForType(t *testing.T) {
	rt := newRuntime(t)
	for _, c := range []struct {
		opt       zmqx.Option
		v         any
		o         zmqx.SocketOptions // the same, at creation
		for_, not zmqx.SocketType
	}{
		{zmqx.RouterMandatory, true, zmqx.SocketOptions{RouterMandatory: true}, zmqx.ROUTER, zmqx.DEALER},
		{zmqx.RouterHandover, true, zmqx.SocketOptions{RouterHandover: true}, zmqx.REP, zmqx.STREAM},
		{zmqx.ProbeRouter, true, zmqx.SocketOptions{ProbeRouter: true}, zmqx.REQ, zmqx.PUSH},
		{zmqx.ReqRelaxed, true, zmqx.SocketOptions{ReqRelaxed: true}, zmqx.REQ, zmqx.DEALER},
		{zmqx.ReqCorrelate, true, zmqx.SocketOptions{ReqCorrelate: true}, zmqx.REQ, zmqx.ROUTER},
		{zmqx.XPubVerbose, true, zmqx.SocketOptions{XPubVerbose: true}, zmqx.XPUB, zmqx.SUB},
		{zmqx.XPubVerboser, true, zmqx.SocketOptions{XPubVerboser: true}, zmqx.PUB, zmqx.XSUB},
		{zmqx.XPubNoDrop, true, zmqx.SocketOptions{XPubNoDrop: true}, zmqx.PUB, zmqx.PUSH},
		{zmqx.XPubManual, true, zmqx.SocketOptions{XPubManual: true}, zmqx.XPUB, zmqx.PUB},
		{zmqx.XPubWelcomeMsg, "hi", zmqx.SocketOptions{XPubWelcomeMsg: []byte("hi")}, zmqx.XPUB, zmqx.PAIR},
		{zmqx.ConnectRoutingID, "id", zmqx.SocketOptions{ConnectRoutingID: []byte("id")}, zmqx.STREAM, zmqx.DEALER},
	} {
		s := mustSocket(t, rt, c.not)
		err := s.SetOption(c.opt, c.v)
		if !errors.Is(err, zmqx.ErrInvalidOption) || !strings.Contains(err.Error(), c.for_.String()) {
			t.Errorf("SetOption(%v) on a %v: %v, want ErrInvalidOption naming %v", c.opt, c.not, err, c.for_)
		}
		if _, err := rt.Socket(c.not, c.o); !errors.Is(err, zmqx.ErrInvalidOption) {
			t.Errorf("Socket(%v, %v set): %v, want ErrInvalidOption", c.not, c.opt, err)
		}
		ok := mustSocket(t, rt, c.for_, c.o)
		must(t, ok.SetOption(c.opt, c.v))
	}
	// Options libzmq takes on every socket stay so.
	s := mustSocket(t, rt, zmqx.PUSH, zmqx.SocketOptions{InvertMatching: true})
	must(t, s.SetOption(zmqx.InvertMatching, false))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestSetOptionLive: options changed on a socket in use take effect: HWMs
// for the pipes made afterwards, ROUTER_MANDATORY and XPUB_VERBOSE for the
// next message; and SetOption races with nothing (run with -race).
func TestSetOptionLive(t *testing.T) {
	ctx := ztest.Ctx(t)
	rt := newRuntime(t)

	// HWMs: an inproc pipe holds the sender's SendHWM plus the receiver's
	// RecvHWM, here both set after creation.
	pull := mustSocket(t, rt, zmqx.PULL)
	must(t, pull.SetOption(zmqx.RecvHWM, 3))
	must(t, pull.Bind("inproc://"+t.Name()))
	push := mustSocket(t, rt, zmqx.PUSH, zmqx.SocketOptions{Linger: -1})
	must(t, push.SetOption(zmqx.SendHWM, 2))
	must(t, push.Connect("inproc://"+t.Name()))
	n := 0
	for ; n < 100; n++ {
		if err := push.Send(zmqx.NoWait, []byte("m")); errors.Is(err, zmqx.ErrWouldBlock) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if n != 5 {
		t.Fatalf("the pipe took %d messages, want 2+3", n)
	}

	// RoutingID, changed before a connection: the ROUTER sees the new one.
	router := mustSocket(t, rt, zmqx.ROUTER)
	must(t, router.Bind("tcp://127.0.0.1:*"))
	dealer := mustSocket(t, rt, zmqx.DEALER, zmqx.SocketOptions{RoutingID: []byte("old")})
	must(t, dealer.SetOption(zmqx.RoutingID, "new"))
	must(t, dealer.Connect(router.LastEndpoint()))
	ztest.Send(t, ctx, dealer, "hello")
	ztest.Expect(t, ctx, router, "new", "hello")

	// Linger, shortened after the fact: Close gives up queued output at
	// once instead of waiting the hour it was made with.
	waiting := mustSocket(t, rt, zmqx.PUSH, zmqx.SocketOptions{Linger: time.Hour})
	must(t, waiting.Connect(unbound(t, "tcp://", 0)))
	ztest.Send(t, ctx, waiting, "never delivered")
	must(t, waiting.SetOption(zmqx.Linger, time.Duration(-1)))
	closed := make(chan error, 1)
	go func() { closed <- waiting.Close() }()
	select {
	case err := <-closed:
		must(t, err)
	case <-ctx.Done():
		t.Fatal("Close still lingers")
	}

	// MaxMsgSize, set before a connection: that connection takes it, and
	// drops a peer that sends more.
	opts, events := watched()
	small := mustSocket(t, rt, zmqx.PULL, opts)
	must(t, small.SetOption(zmqx.MaxMsgSize, 16))
	must(t, small.Bind("tcp://127.0.0.1:*"))
	bigEvents := make(chan zmqx.Event, 64)
	big := mustSocket(t, rt, zmqx.PUSH, zmqx.SocketOptions{Linger: -1, Events: bigEvents})
	must(t, big.Connect(small.LastEndpoint()))
	ztest.Send(t, ctx, big, strings.Repeat("x", 100))
	waitEvents(t, ctx, events, zmqx.EventDisconnected, 1)
	// Sent into the dropped connection it could be lost: wait for the next.
	waitEvents(t, ctx, bigEvents, zmqx.EventHandshaken, 2)
	ztest.Send(t, ctx, big, "fits")
	ztest.Expect(t, ctx, small, "fits")

	// RouterMandatory, switched on and off while in use.
	ztest.Send(t, ctx, router, "nobody", "x") // dropped silently
	must(t, router.SetOption(zmqx.RouterMandatory, true))
	if err := router.Send(ctx, []byte("nobody"), []byte("x")); !errors.Is(err, zmqx.ErrHostUnreachable) {
		t.Fatalf("mandatory ROUTER to an unknown peer: %v", err)
	}
	must(t, router.SetOption(zmqx.RouterMandatory, false))
	ztest.Send(t, ctx, router, "nobody", "x")

	// XPubVerbose switched on: the second subscriber's duplicate
	// subscription reaches Recv.
	xpub := mustSocket(t, rt, zmqx.XPUB)
	must(t, xpub.Bind("tcp://127.0.0.1:*"))
	s1 := mustSocket(t, rt, zmqx.SUB)
	must(t, s1.Subscribe("a"))
	must(t, s1.Connect(xpub.LastEndpoint()))
	ztest.Expect(t, ctx, xpub, "\x01a")
	must(t, xpub.SetOption(zmqx.XPubVerbose, true))
	s2 := mustSocket(t, rt, zmqx.SUB)
	must(t, s2.Subscribe("a"))
	must(t, s2.Connect(xpub.LastEndpoint()))
	ztest.Expect(t, ctx, xpub, "\x01a")

	// Concurrent SetOption, Send and Recv.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 200 {
			must(t, xpub.SetOption(zmqx.InvertMatching, false))
			must(t, xpub.SetOption(zmqx.XPubNoDrop, i%2 == 0))
			must(t, xpub.SetOption(zmqx.Linger, time.Duration(i+1)*time.Millisecond))
		}
	}()
	for range 200 {
		ztest.Send(t, ctx, xpub, "a")
	}
	wg.Wait()
	for range 200 {
		ztest.Expect(t, ctx, s1, "a")
	}
}

// TestRouterHandover: a second peer presenting a routing id in use is
// refused, unless the ROUTER hands the id over (then the first peer is
// disconnected and messages to the id go to the newcomer).
func TestRouterHandover(t *testing.T) {
	for _, handover := range []bool{false, true} {
		t.Run(map[bool]string{false: "refused", true: "handover"}[handover], func(t *testing.T) {
			transports(t, func(t *testing.T, ep string) {
				ctx := ztest.Ctx(t)
				rt := newRuntime(t)
				router := mustSocket(t, rt, zmqx.ROUTER)
				must(t, router.SetOption(zmqx.RouterHandover, handover))
				must(t, router.Bind(ep))
				events := make(chan zmqx.Event, 64)
				first := mustSocket(t, rt, zmqx.DEALER, zmqx.SocketOptions{RoutingID: []byte("x"),
					ReconnectInterval: -1, Events: events, Linger: -1})
				must(t, first.Connect(router.LastEndpoint()))
				ztest.Send(t, ctx, first, "from first")
				ztest.Expect(t, ctx, router, "x", "from first")

				second := mustSocket(t, rt, zmqx.DEALER, zmqx.SocketOptions{RoutingID: []byte("x"), Linger: -1})
				err := second.Connect(router.LastEndpoint())
				if inproc := ep[:6] == "inproc"; inproc && !handover {
					// inproc connects at once, so the refusal is Connect's.
					if err == nil {
						t.Fatal("inproc connect with a routing id in use succeeded")
					}
					ztest.Send(t, ctx, router, "x", "to x")
					ztest.Expect(t, ctx, first, "to x")
					return
				}
				must(t, err)
				ztest.Send(t, ctx, second, "from second") // queued; goes if the ROUTER takes it
				if !handover {
					ztest.Send(t, ctx, router, "x", "to x")
					ztest.Expect(t, ctx, first, "to x")
					return
				}
				ztest.Expect(t, ctx, router, "x", "from second")
				ztest.Send(t, ctx, router, "x", "to x")
				ztest.Expect(t, ctx, second, "to x")
				if ep[:6] != "inproc" {
					waitEvents(t, ctx, events, zmqx.EventDisconnected, 1)
				}
			})
		})
	}
}

// TestProbeRouter: a DEALER or ROUTER with ProbeRouter greets each peer
// with an empty message, so a ROUTER can answer before being spoken to.
func TestProbeRouter(t *testing.T) {
	transports(t, func(t *testing.T, ep string) {
		ctx := ztest.Ctx(t)
		rt := newRuntime(t)
		router := mustSocket(t, rt, zmqx.ROUTER)
		must(t, router.Bind(ep))

		dealer := mustSocket(t, rt, zmqx.DEALER, zmqx.SocketOptions{RoutingID: []byte("d")})
		must(t, dealer.SetOption(zmqx.ProbeRouter, true))
		must(t, dealer.Connect(router.LastEndpoint()))
		ztest.Expect(t, ctx, router, "d", "")
		ztest.Send(t, ctx, router, "d", "welcome")
		ztest.Expect(t, ctx, dealer, "welcome")

		r2 := mustSocket(t, rt, zmqx.ROUTER, zmqx.SocketOptions{RoutingID: []byte("r"), ProbeRouter: true})
		must(t, r2.Connect(router.LastEndpoint()))
		ztest.Expect(t, ctx, router, "r", "")
	})
}

// TestConnectRoutingID: a ROUTER names the peer of its next Connect itself,
// so it can send to it at once; the option is used up by that Connect.
func TestConnectRoutingID(t *testing.T) {
	transports(t, func(t *testing.T, ep string) {
		ctx := ztest.Ctx(t)
		rt := newRuntime(t)
		server := mustSocket(t, rt, zmqx.ROUTER, zmqx.SocketOptions{RoutingID: []byte("presented")})
		must(t, server.Bind(ep))
		opts, events := watched()
		opts.RouterMandatory = true
		client := mustSocket(t, rt, zmqx.ROUTER, opts)
		must(t, client.SetOption(zmqx.ConnectRoutingID, "chosen"))
		must(t, client.Connect(server.LastEndpoint()))
		if v, _ := client.GetOption(zmqx.ConnectRoutingID); len(v.([]byte)) != 0 {
			t.Fatalf("ConnectRoutingID after Connect: %q", v)
		}
		if ep[:6] != "inproc" {
			waitEvents(t, ctx, events, zmqx.EventHandshaken, 1)
		}
		ztest.Send(t, ctx, client, "chosen", "hi") // mandatory: fails unless known by that id
		got := ztest.Recv(t, ctx, server)
		if len(got) != 2 || got[1] != "hi" {
			t.Fatalf("server got %q", got)
		}
		if err := client.Send(ctx, []byte("presented"), []byte("x")); !errors.Is(err, zmqx.ErrHostUnreachable) {
			t.Fatalf("the peer's own id still routes: %v", err)
		}
	})
}

// TestXPubManual: with XPubManual every subscription goes to the
// application and nothing is applied until it subscribes the subscriber
// itself.
func TestXPubManual(t *testing.T) {
	transports(t, func(t *testing.T, ep string) {
		ctx := ztest.Ctx(t)
		rt := newRuntime(t)
		xpub := mustSocket(t, rt, zmqx.XPUB)
		if err := xpub.Subscribe("x"); !errors.Is(err, zmqx.ErrNotSupported) {
			t.Fatalf("Subscribe on XPUB without XPubManual: %v", err)
		}
		must(t, xpub.SetOption(zmqx.XPubManual, true))
		must(t, xpub.Bind(ep))
		// XSUB: no filtering of its own, so what arrives shows the XPUB's.
		xsub := mustSocket(t, rt, zmqx.XSUB)
		must(t, xsub.Connect(xpub.LastEndpoint()))
		ztest.Send(t, ctx, xsub, "\x01a")
		ztest.Expect(t, ctx, xpub, "\x01a")
		ztest.Send(t, ctx, xsub, "\x01a") // duplicates reach Recv too
		ztest.Expect(t, ctx, xpub, "\x01a")
		must(t, xpub.Subscribe("b")) // the subscriber asked for a; we give it b
		ztest.Send(t, ctx, xpub, "a1")
		ztest.Send(t, ctx, xpub, "b1")
		ztest.Expect(t, ctx, xsub, "b1")
		must(t, xpub.Unsubscribe("b"))
		ztest.Send(t, ctx, xpub, "b2")
		must(t, xpub.Subscribe("c"))
		ztest.Send(t, ctx, xpub, "c1")
		ztest.Expect(t, ctx, xsub, "c1")
		// Unsubscribes reach Recv as well (the XSUB sends its cancel when
		// its last subscription to the topic goes).
		ztest.Send(t, ctx, xsub, "\x00a")
		ztest.Send(t, ctx, xsub, "\x00a")
		ztest.Expect(t, ctx, xpub, "\x00a")
	})
}

// TestXPubWelcomeMsg: each new subscriber is sent the welcome message; a
// SUB sees it only when subscribed to it.
func TestXPubWelcomeMsg(t *testing.T) {
	transports(t, func(t *testing.T, ep string) {
		ctx := ztest.Ctx(t)
		rt := newRuntime(t)
		xpub := mustSocket(t, rt, zmqx.XPUB, zmqx.SocketOptions{XPubWelcomeMsg: []byte("welcome")})
		must(t, xpub.Bind(ep))
		in := mustSocket(t, rt, zmqx.SUB)
		must(t, in.Subscribe("wel"))
		must(t, in.Connect(xpub.LastEndpoint()))
		ztest.Expect(t, ctx, in, "welcome")
		ztest.Expect(t, ctx, xpub, "\x01wel")

		must(t, xpub.SetOption(zmqx.XPubWelcomeMsg, "again"))
		out := mustSocket(t, rt, zmqx.SUB)
		must(t, out.Subscribe("x"))
		must(t, out.Connect(xpub.LastEndpoint()))
		ztest.Expect(t, ctx, xpub, "\x01x")
		ztest.Send(t, ctx, xpub, "x1")
		ztest.Expect(t, ctx, out, "x1") // "again" came first and was filtered
	})
}

// TestImmediate: with Immediate a message is queued only to a connection
// that is up; before there is one, Send would block. Without it the
// message waits for the connection.
func TestImmediate(t *testing.T) {
	transports(t, func(t *testing.T, ep string) {
		ctx := ztest.Ctx(t)
		rt := newRuntime(t)
		// An endpoint nobody listens on yet.
		switch ep[:3] {
		case "tcp":
			l, err := net.Listen("tcp", "127.0.0.1:0")
			must(t, err)
			ep = "tcp://" + l.Addr().String()
			l.Close()
		case "ipc":
			ep = "ipc://" + filepath.Join(t.TempDir(), "s")
		}
		imm := mustSocket(t, rt, zmqx.PUSH, zmqx.SocketOptions{ReconnectInterval: 10 * time.Millisecond})
		must(t, imm.SetOption(zmqx.Immediate, true))
		must(t, imm.Connect(ep))
		if err := imm.Send(zmqx.NoWait, []byte("early")); !errors.Is(err, zmqx.ErrWouldBlock) {
			t.Fatalf("Immediate PUSH with no connection: %v", err)
		}
		queued := mustSocket(t, rt, zmqx.PUSH, zmqx.SocketOptions{ReconnectInterval: 10 * time.Millisecond})
		must(t, queued.Connect(ep))
		ztest.Send(t, zmqx.NoWait, queued, "queued") // waits for its connection

		pull := mustSocket(t, rt, zmqx.PULL)
		must(t, pull.Bind(ep))
		ztest.Send(t, ctx, imm, "late") // blocks until the connection is up
		got := map[string]bool{}
		for range 2 {
			got[ztest.Recv(t, ctx, pull)[0]] = true
		}
		if !got["queued"] || !got["late"] {
			t.Fatalf("received %v", got)
		}
	})
}

// TestConflate: a conflating PULL takes only the newest of the messages
// queued for it, and a conflating PUSH keeps only the newest of those
// waiting for a busy (here: absent) peer; multi-part messages are refused.
func TestConflate(t *testing.T) {
	transports(t, func(t *testing.T, ep string) {
		ctx := ztest.Ctx(t)
		rt := newRuntime(t)
		ep0, ep1 := unbound(t, ep, 0), unbound(t, ep, 1)
		// Inbound: the messages wait in the PUSH until the PULL binds, then
		// arrive together.
		push := mustSocket(t, rt, zmqx.PUSH)
		must(t, push.Connect(ep0))
		for i := 1; i <= 9; i++ {
			ztest.Send(t, ctx, push, fmt.Sprint(i))
		}
		pull := mustSocket(t, rt, zmqx.PULL, zmqx.SocketOptions{Conflate: true})
		must(t, pull.Bind(ep0))
		var got []string
		for len(got) == 0 || got[len(got)-1] != "9" {
			got = append(got, ztest.Recv(t, ctx, pull)[0])
		}
		if len(got) > 2 || ep[:6] == "inproc" && len(got) != 1 {
			t.Fatalf("conflating PULL received %q", got)
		}

		// Outbound: the first message goes into the pipe, the others
		// replace each other in the slot until the pipe drains.
		cpush := mustSocket(t, rt, zmqx.PUSH, zmqx.SocketOptions{Conflate: true})
		must(t, cpush.Connect(ep1))
		for i := 1; i <= 9; i++ {
			ztest.Send(t, ctx, cpush, fmt.Sprint(i))
		}
		if err := cpush.Send(ctx, []byte("a"), []byte("b")); !errors.Is(err, zmqx.ErrNotSupported) {
			t.Fatalf("multi-part under Conflate: %v", err)
		}
		pull2 := mustSocket(t, rt, zmqx.PULL)
		must(t, pull2.Bind(ep1))
		ztest.Expect(t, ctx, pull2, "1")
		ztest.Expect(t, ctx, pull2, "9")
		ztest.Send(t, ctx, cpush, "10") // drained: straight into the pipe
		ztest.Expect(t, ctx, pull2, "10")
	})
}

// unbound returns an endpoint of ep's transport that nobody listens on
// yet (distinct for each i).
func unbound(t *testing.T, ep string, i int) string {
	t.Helper()
	switch ep[:3] {
	case "tcp":
		l, err := net.Listen("tcp", "127.0.0.1:0")
		must(t, err)
		defer l.Close()
		return "tcp://" + l.Addr().String()
	case "ipc":
		return "ipc://" + filepath.Join(t.TempDir(), fmt.Sprint(i))
	}
	return distinct(ep, i)
}

// TestXPubVerboser: with XPubVerboser every unsubscribe reaches Recv, not
// only the one that removes a topic's last subscriber; with XPubVerbose
// alone only that one does.
func TestXPubVerboser(t *testing.T) {
	transports(t, func(t *testing.T, ep string) {
		ctx := ztest.Ctx(t)
		rt := newRuntime(t)
		for i, verboser := range []bool{true, false} {
			xpub := mustSocket(t, rt, zmqx.XPUB, zmqx.SocketOptions{XPubVerbose: true, XPubVerboser: verboser})
			must(t, xpub.Bind(distinct(ep, i)))
			var subs []*zmqx.Socket
			for range 2 {
				s := mustSocket(t, rt, zmqx.SUB)
				must(t, s.Subscribe("a"))
				must(t, s.Connect(xpub.LastEndpoint()))
				ztest.Expect(t, ctx, xpub, "\x01a")
				subs = append(subs, s)
			}
			must(t, subs[0].Unsubscribe("a"))
			if verboser {
				ztest.Expect(t, ctx, xpub, "\x00a")
			}
			must(t, subs[1].Unsubscribe("a"))
			ztest.Expect(t, ctx, xpub, "\x00a")
			// A marker: nothing else was queued before it.
			must(t, subs[1].Subscribe("z"))
			ztest.Expect(t, ctx, xpub, "\x01z")
		}
	})
}

// TestConflatePubKeepsSubscriptions: a conflating PUB conflates what it
// sends, never the subscriptions it receives.
func TestConflatePubKeepsSubscriptions(t *testing.T) {
	transports(t, func(t *testing.T, ep string) {
		ctx := ztest.Ctx(t)
		rt := newRuntime(t)
		pub := mustSocket(t, rt, zmqx.PUB, zmqx.SocketOptions{Conflate: true})
		must(t, pub.Bind(ep))
		sub := mustSocket(t, rt, zmqx.SUB)
		for _, topic := range []string{"a", "b", "c"} {
			must(t, sub.Subscribe(topic))
		}
		must(t, sub.Connect(pub.LastEndpoint()))
		// Probe with the last topic until it arrives; the others were
		// subscribed before it, on the same connection.
		for {
			ztest.Send(t, ctx, pub, "c")
			pctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
			_, err := sub.Recv(pctx)
			cancel()
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				t.Fatal("the subscription never arrived")
			}
		}
		for _, topic := range []string{"a", "b"} {
			ztest.Send(t, ctx, pub, topic)
			for {
				m := ztest.Recv(t, ctx, sub)
				if m[0] != "c" {
					if m[0] != topic {
						t.Fatalf("received %q, want %q", m, topic)
					}
					break
				}
			}
		}
	})
}
