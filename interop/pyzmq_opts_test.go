package interop

// pyzmq (libzmq) against zmqx for the socket options that show on the
// wire, each both ways where libzmq has the option too, and STREAM.

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/zmqx/zmqx"
	"github.com/zmqx/zmqx/internal/ztest"
)

func hx(s string) string { return hex.EncodeToString([]byte(s)) }

// handshaken waits for the first EventHandshaken on events.
func handshaken(t *testing.T, ctx context.Context, events <-chan zmqx.Event) {
	t.Helper()
	waitEvent(t, ctx, events, zmqx.EventHandshaken, zmqx.EventHandshakeFailed)
}

// TestPyProbeRouter: a prober's empty message reaches the ROUTER with the
// prober's routing id, either way round.
func TestPyProbeRouter(t *testing.T) {
	requirePython(t)
	ctx := ztest.Ctx(t)
	t.Run("pyzmq-DEALER-probes", func(t *testing.T) {
		router := zsock(t, zmqx.ROUTER)
		must(t, router.Bind("tcp://127.0.0.1:*"))
		p := newPyPeer(t, "DEALER", "routing_id "+hx("py"), "int PROBE_ROUTER 1")
		p.connect(router.LastEndpoint())
		ztest.Expect(t, ctx, router, "py", "")
	})
	t.Run("zmqx-DEALER-probes", func(t *testing.T) {
		p := newPyPeer(t, "ROUTER")
		ep := p.bind("tcp://127.0.0.1:*")
		d := zsock(t, zmqx.DEALER, zmqx.SocketOptions{RoutingID: []byte("zx"), ProbeRouter: true})
		must(t, d.Connect(ep))
		expectEnd(t, pyEnd{p}, "zx", "")
	})
}

// TestPyXPubWelcomeMsg: the XPUB's welcome message reaches a subscriber
// subscribed to it, either way round.
func TestPyXPubWelcomeMsg(t *testing.T) {
	requirePython(t)
	ctx := ztest.Ctx(t)
	t.Run("zmqx-XPUB", func(t *testing.T) {
		xpub := zsock(t, zmqx.XPUB, zmqx.SocketOptions{XPubWelcomeMsg: []byte("welcome")})
		must(t, xpub.Bind("tcp://127.0.0.1:*"))
		p := newPyPeer(t, "SUB")
		p.ok("sub " + hx("wel"))
		p.connect(xpub.LastEndpoint())
		expectEnd(t, pyEnd{p}, "welcome")
	})
	t.Run("pyzmq-XPUB", func(t *testing.T) {
		p := newPyPeer(t, "XPUB", "bytes XPUB_WELCOME_MSG "+hx("welcome"))
		ep := p.bind("tcp://127.0.0.1:*")
		sub := zsock(t, zmqx.SUB)
		must(t, sub.Subscribe("wel"))
		must(t, sub.Connect(ep))
		expectPoking(t, zEnd{t, ctx, sub}, pyEnd{p}, "welcome")
	})
}

// TestPyXPubManual: a manual XPUB forwards nothing to a subscriber until
// the application subscribes it, the same in zmqx and libzmq.
func TestPyXPubManual(t *testing.T) {
	requirePython(t)
	ctx := ztest.Ctx(t)
	t.Run("zmqx-XPUB", func(t *testing.T) {
		xpub := zsock(t, zmqx.XPUB, zmqx.SocketOptions{XPubManual: true})
		must(t, xpub.Bind("tcp://127.0.0.1:*"))
		p := newPyPeer(t, "SUB")
		p.ok("sub " + hx("a"))
		p.connect(xpub.LastEndpoint())
		ztest.Expect(t, ctx, xpub, "\x01a")
		ztest.Send(t, ctx, xpub, "a0") // not subscribed yet: dropped
		must(t, xpub.Subscribe("a"))
		ztest.Send(t, ctx, xpub, "a1")
		expectEnd(t, pyEnd{p}, "a1")
	})
	t.Run("pyzmq-XPUB", func(t *testing.T) {
		p := newPyPeer(t, "XPUB", "int XPUB_MANUAL 1")
		ep := p.bind("tcp://127.0.0.1:*")
		sub := zsock(t, zmqx.SUB)
		must(t, sub.Subscribe("a"))
		must(t, sub.Connect(ep))
		expectEnd(t, pyEnd{p}, "\x01a")
		p.ok("send " + hx("a0"))
		p.ok("sub " + hx("a"))
		p.ok("send " + hx("a1"))
		ztest.Expect(t, ctx, sub, "a1")
	})
}

// TestPyConnectRoutingID: the ROUTER that connects names its peer and can
// send to it by that name at once, either way round.
func TestPyConnectRoutingID(t *testing.T) {
	requirePython(t)
	ctx := ztest.Ctx(t)
	t.Run("zmqx-connects", func(t *testing.T) {
		p := newPyPeer(t, "ROUTER", "routing_id "+hx("presented"))
		ep := p.bind("tcp://127.0.0.1:*")
		events := make(chan zmqx.Event, 64)
		r := zsock(t, zmqx.ROUTER, zmqx.SocketOptions{RoutingID: []byte("zr"), RouterMandatory: true,
			ConnectRoutingID: []byte("chosen"), Events: events})
		must(t, r.Connect(ep))
		handshaken(t, ctx, events)
		ztest.Send(t, ctx, r, "chosen", "hi")
		expectEnd(t, pyEnd{p}, "zr", "hi")
	})
	t.Run("pyzmq-connects", func(t *testing.T) {
		r := zsock(t, zmqx.ROUTER, zmqx.SocketOptions{RoutingID: []byte("presented")})
		must(t, r.Bind("tcp://127.0.0.1:*"))
		p := newPyPeer(t, "ROUTER", "router_mandatory", "bytes CONNECT_ROUTING_ID "+hx("chosen"))
		p.connect(r.LastEndpoint())
		// Mandatory: the send fails until the connection is up.
		deadline := time.Now().Add(recvWait)
		for p.do("send "+enc([]string{"chosen", "hi"})) != "ok" {
			if time.Now().After(deadline) {
				t.Fatal("pyzmq ROUTER never reached its peer by the id it chose")
			}
		}
		got := ztest.Recv(t, ctx, r)
		if len(got) != 2 || got[1] != "hi" {
			t.Fatalf("received %q", got)
		}
	})
}

// TestPyRouterHandover: a second DEALER with a routing id in use takes it
// over, either ROUTER.
func TestPyRouterHandover(t *testing.T) {
	requirePython(t)
	ctx := ztest.Ctx(t)
	t.Run("zmqx-ROUTER", func(t *testing.T) {
		r := zsock(t, zmqx.ROUTER, zmqx.SocketOptions{RouterHandover: true})
		must(t, r.Bind("tcp://127.0.0.1:*"))
		a := newPyPeer(t, "DEALER", "routing_id "+hx("x"), "int RECONNECT_IVL -1")
		a.connect(r.LastEndpoint())
		a.ok("send " + hx("from a"))
		ztest.Expect(t, ctx, r, "x", "from a")
		b := newPyPeer(t, "DEALER", "routing_id "+hx("x"))
		b.connect(r.LastEndpoint())
		b.ok("send " + hx("from b"))
		ztest.Expect(t, ctx, r, "x", "from b")
		ztest.Send(t, ctx, r, "x", "to x")
		expectEnd(t, pyEnd{b}, "to x")
	})
	t.Run("pyzmq-ROUTER", func(t *testing.T) {
		p := newPyPeer(t, "ROUTER", "int ROUTER_HANDOVER 1")
		ep := p.bind("tcp://127.0.0.1:*")
		a := zsock(t, zmqx.DEALER, zmqx.SocketOptions{RoutingID: []byte("x"), ReconnectInterval: -1})
		must(t, a.Connect(ep))
		ztest.Send(t, ctx, a, "from a")
		expectEnd(t, pyEnd{p}, "x", "from a")
		b := zsock(t, zmqx.DEALER, zmqx.SocketOptions{RoutingID: []byte("x")})
		must(t, b.Connect(ep))
		ztest.Send(t, ctx, b, "from b")
		expectEnd(t, pyEnd{p}, "x", "from b")
		p.ok("send " + enc([]string{"x", "to x"}))
		ztest.Expect(t, ctx, b, "to x")
	})
}

// TestPyConflate: a conflating receiver gets the newest of what is queued
// for it, not every message, either way round. The sender closes with
// linger after its nine messages; once the receiver has seen the
// connection end, all nine have reached it, so exactly one is left.
func TestPyConflate(t *testing.T) {
	requirePython(t)
	ctx := ztest.Ctx(t)
	t.Run("zmqx-PULL", func(t *testing.T) {
		events := make(chan zmqx.Event, 64)
		pull := zsock(t, zmqx.PULL, zmqx.SocketOptions{Conflate: true, Events: events})
		must(t, pull.Bind("tcp://127.0.0.1:*"))
		p := newPyPeer(t, "PUSH")
		p.connect(pull.LastEndpoint())
		for i := 1; i <= 9; i++ {
			p.ok("send " + hx(fmt.Sprint(i)))
		}
		p.ok("close")
		waitEvent(t, ctx, events, zmqx.EventDisconnected, zmqx.EventHandshakeFailed)
		ztest.Expect(t, ctx, pull, "9")
		if m, err := pull.Recv(zmqx.NoWait); err == nil {
			t.Fatalf("conflating PULL received %q after the newest", m)
		}
	})
	// libzmq drops what a conflating pipe holds when its connection ends,
	// so nothing tells this side that all nine reached pyzmq's PULL: it
	// receives until the newest and must never see an older one after a
	// newer one, nor one twice.
	t.Run("pyzmq-PULL", func(t *testing.T) {
		p := newPyPeer(t, "PULL", "int CONFLATE 1")
		ep := p.bind("tcp://127.0.0.1:*")
		events := make(chan zmqx.Event, 64)
		push := zsock(t, zmqx.PUSH, zmqx.SocketOptions{Events: events})
		must(t, push.Connect(ep))
		handshaken(t, ctx, events)
		for i := 1; i <= 9; i++ {
			ztest.Send(t, ctx, push, fmt.Sprint(i))
		}
		last := 0
		for last != 9 {
			var n int
			got := recvEnd(t, pyEnd{p})
			if _, err := fmt.Sscan(got[0], &n); err != nil || n <= last {
				t.Fatalf("conflating pyzmq PULL received %q after %d", got, last)
			}
			last = n
		}
	})
}

// TestPyStream: a zmqx STREAM socket and a libzmq one, both raw TCP:
// each announces the connection, bytes go both ways as they are, and
// closing one end is announced at the other.
func TestPyStream(t *testing.T) {
	requirePython(t)
	ctx := ztest.Ctx(t)
	p := newPyPeer(t, "STREAM")
	ep := p.bind("tcp://127.0.0.1:*")
	s := zsock(t, zmqx.STREAM, zmqx.SocketOptions{ConnectRoutingID: []byte("py")})
	must(t, s.Connect(ep))
	ztest.Expect(t, ctx, s, "py", "")
	hello := recvEnd(t, pyEnd{p})
	if len(hello) != 2 || hello[1] != "" {
		t.Fatalf("libzmq's connect notification: %q", hello)
	}
	id := hello[0]
	ztest.Send(t, ctx, s, "py", "abc")
	expectEnd(t, pyEnd{p}, id, "abc")
	p.ok("send " + enc([]string{id, "xyz"}))
	ztest.Expect(t, ctx, s, "py", "xyz")
	ztest.Send(t, ctx, s, "py", "") // close
	expectEnd(t, pyEnd{p}, id, "")
	ztest.Expect(t, ctx, s, "py", "") // and our own notification

	// The other way round: libzmq connects, and closes. (A fresh socket:
	// the one above reconnects, as libzmq's would.)
	s = zsock(t, zmqx.STREAM)
	must(t, s.Bind("tcp://127.0.0.1:*"))
	q := newPyPeer(t, "STREAM")
	q.connect(s.LastEndpoint())
	qhello := recvEnd(t, pyEnd{q})
	if len(qhello) != 2 || qhello[1] != "" {
		t.Fatalf("libzmq's connect notification: %q", qhello)
	}
	zhello := ztest.Recv(t, ctx, s)
	if len(zhello) != 2 || zhello[1] != "" {
		t.Fatalf("connect notification: %q", zhello)
	}
	q.ok("send " + enc([]string{qhello[0], "from libzmq"}))
	ztest.Expect(t, ctx, s, zhello[0], "from libzmq")
	ztest.Send(t, ctx, s, zhello[0], "from zmqx")
	expectEnd(t, pyEnd{q}, qhello[0], "from zmqx")
	// libzmq closes (its socket finishes that in its own calls: poke it).
	q.ok("send " + enc([]string{qhello[0], ""}))
	expectPoking(t, zEnd{t, ctx, s}, pyEnd{q}, zhello[0], "")
}

// TestPyOptionsForType: for every socket type and every option that
// belongs to some types only, zmqx's SetOption takes it where libzmq's
// zmq_setsockopt does and refuses it (ErrInvalidOption; EINVAL there)
// where libzmq does, with one difference on purpose: XPubManual on a PUB,
// which libzmq takes (its PUB is an XPUB) and zmqx refuses, since a PUB
// hands the subscriptions it would apply to no Recv.
func TestPyOptionsForType(t *testing.T) {
	bin := requirePython(t)
	opts := []struct {
		py  string
		opt zmqx.Option
		v   any
	}{
		{"ROUTER_MANDATORY", zmqx.RouterMandatory, true},
		{"ROUTER_HANDOVER", zmqx.RouterHandover, true},
		{"PROBE_ROUTER", zmqx.ProbeRouter, true},
		{"CONNECT_ROUTING_ID", zmqx.ConnectRoutingID, "id"},
		{"REQ_RELAXED", zmqx.ReqRelaxed, true},
		{"REQ_CORRELATE", zmqx.ReqCorrelate, true},
		{"XPUB_VERBOSE", zmqx.XPubVerbose, true},
		{"XPUB_VERBOSER", zmqx.XPubVerboser, true},
		{"XPUB_NODROP", zmqx.XPubNoDrop, true},
		{"XPUB_MANUAL", zmqx.XPubManual, true},
		{"XPUB_WELCOME_MSG", zmqx.XPubWelcomeMsg, "hi"},
		{"INVERT_MATCHING", zmqx.InvertMatching, true},
	}
	types := []zmqx.SocketType{zmqx.PAIR, zmqx.PUB, zmqx.SUB, zmqx.REQ, zmqx.REP, zmqx.DEALER, zmqx.ROUTER,
		zmqx.PULL, zmqx.PUSH, zmqx.XPUB, zmqx.XSUB, zmqx.STREAM}
	// libzmq's answers, one line a pair: TYPE OPTION ok|refused.
	script := `import sys, zmq
c = zmq.Context()
for typ in sys.argv[2].split():
    for opt in sys.argv[1].split():
        s = c.socket(getattr(zmq, typ))
        v = b"id" if opt in ("CONNECT_ROUTING_ID", "XPUB_WELCOME_MSG") else 1
        try:
            s.setsockopt(getattr(zmq, opt), v)
            print(typ, opt, "ok")
        except zmq.ZMQError as e:
            print(typ, opt, "refused" if e.errno == zmq.EINVAL else "errno %d" % e.errno)
        s.close()
`
	var pyOpts, pyTypes []string
	for _, o := range opts {
		pyOpts = append(pyOpts, o.py)
	}
	for _, ty := range types {
		pyTypes = append(pyTypes, ty.String())
	}
	out, err := exec.Command(bin, "-c", script, strings.Join(pyOpts, " "), strings.Join(pyTypes, " ")).CombinedOutput()
	if err != nil {
		t.Fatalf("pyzmq: %v: %s", err, out)
	}
	libzmq := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(l)
		if len(f) < 3 {
			t.Fatalf("pyzmq printed %q", l)
		}
		libzmq[f[0]+" "+f[1]] = strings.Join(f[2:], " ")
	}
	rt := zmqx.NewRuntime(zmqx.Config{})
	defer rt.Close()
	for _, ty := range types {
		for _, o := range opts {
			s, err := rt.Socket(ty)
			if err != nil {
				t.Fatal(err)
			}
			got := "ok"
			if err := s.SetOption(o.opt, o.v); errors.Is(err, zmqx.ErrInvalidOption) {
				got = "refused"
			} else if err != nil {
				got = err.Error()
			}
			s.Close()
			want := libzmq[ty.String()+" "+o.py]
			if ty == zmqx.PUB && o.opt == zmqx.XPubManual {
				want = "refused" // the difference on purpose
			}
			if got != want {
				t.Errorf("%v %v: zmqx %s, libzmq %s", ty, o.py, got, want)
			}
		}
	}
}
