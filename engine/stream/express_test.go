package stream_test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/zmqx/zmqx/core"
	"github.com/zmqx/zmqx/engine/stream"
	"github.com/zmqx/zmqx/engine/tcp"
	"github.com/zmqx/zmqx/internal/zmtp"
)

// invokerRuntime is a runtime whose sockets' callers drive their
// connections (invoker mode) with idle strategy idle, over tcp.
func invokerRuntime(t *testing.T, idle core.Idle) *core.Runtime {
	rt := core.NewRuntime(core.Config{Engine: stream.Engine{}, Idle: idle, Invoker: true,
		Transports: map[string]core.Transport{"tcp": tcp.TCP{}}})
	t.Cleanup(func() { rt.Close() })
	return rt
}

// frames builds the wire bytes of one message: frames with sizes from
// sizes, each filled with its own letter, behind the given envelope frames.
func frames(env [][]byte, sizes ...int) ([]byte, [][]byte) {
	var b []byte
	for _, e := range env {
		b = zmtp.AppendFrame(b, zmtp.FlagMore, e)
	}
	var body [][]byte
	for i, n := range sizes {
		var f byte
		if i < len(sizes)-1 {
			f = zmtp.FlagMore
		}
		p := bytes.Repeat([]byte{byte('a' + i)}, n)
		body = append(body, p)
		b = zmtp.AppendFrame(b, f, p)
	}
	return b, body
}

// repWithRawPeer binds a REP with options o in an invoker runtime with
// idle strategy idle, and connects a raw peer to it that completes the
// handshake as socket type peerType.
func repWithRawPeer(t *testing.T, idle core.Idle, o core.Options, peerType string) (*core.Socket, *rawPeer) {
	t.Helper()
	rep := socket(t, invokerRuntime(t, idle), core.REP, o)
	ep := bind(t, rep)
	peer := dialRaw(t, ep)
	peer.handshake(peerType)
	return rep, peer
}

var delim = [][]byte{{}}

// readMsg reads one whole message's frames from the raw peer.
func (p *rawPeer) readMsg() [][]byte {
	p.t.Helper()
	var out [][]byte
	for {
		h, body := p.frame()
		if h.Command() {
			continue // a PING or PONG of the heartbeat
		}
		out = append(out, body)
		if !h.More() {
			return out
		}
	}
}

func sameFrames(a, b [][]byte) bool { return slices.EqualFunc(a, b, bytes.Equal) }

// clones copies the frames' bytes out of msg.
func clones(msg []core.Msg) [][]byte {
	var out [][]byte
	for _, m := range msg {
		out = append(out, bytes.Clone(m.Bytes()))
	}
	return out
}

// TestExpressREP: a REP in invoker mode, with one connection, takes a
// request of the shape REQ sends (an empty delimiter, then short frames)
// and sends its reply on the express path, and everything else the usual
// way, with the same result on the wire and at the socket: long frames,
// frames handed out by reference (whose echo, a short frame, is sent on the
// express path), commands, two requests in one read, an envelope of more
// than the delimiter (a DEALER behind a ROUTER), and a request without a
// delimiter, which REP drops.
func TestExpressREP(t *testing.T) {
	for _, idle := range []core.Idle{core.IdleSpin, core.IdleBackoff} {
		t.Run(idle.String(), func(t *testing.T) {
			rep, peer := repWithRawPeer(t, idle, core.Options{}, "DEALER")
			ctx := testCtx(t)
			// echo answers one request with its own frames, and checks
			// what came and what went back.
			echo := func(name string, env [][]byte, sizes []int, expIn, expOut bool) {
				t.Helper()
				in0, out0 := rep.ExpressCounts()
				wire, body := frames(env, sizes...)
				peer.write(wire)
				msg, err := rep.Recv(ctx, nil)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if got := clones(msg); !sameFrames(got, body) {
					t.Fatalf("%s: received %q, want %q", name, got, body)
				}
				if err := rep.Send(ctx, msg); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if back := peer.readMsg(); !sameFrames(back, append(append([][]byte{}, env...), body...)) {
					t.Fatalf("%s: the reply is %q", name, back)
				}
				in1, out1 := rep.ExpressCounts()
				if (in1 > in0) != expIn || (out1 > out0) != expOut {
					t.Fatalf("%s: express path taken %d in, %d out; want %v, %v", name, in1-in0, out1-out0, expIn, expOut)
				}
			}
			// The first request may come in the read that ends the
			// handshake, before the connection is driven: the usual way.
			first, _ := frames(delim, 5)
			peer.write(first)
			msg, err := rep.Recv(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := rep.Send(ctx, msg); err != nil {
				t.Fatal(err)
			}
			peer.readMsg()
			for i := range 3 {
				echo(fmt.Sprint("plain ", i), delim, []int{64}, true, true)
			}
			echo("frames", delim, []int{0, 7, core.InlineMax}, true, true)
			echo("by reference", delim, []int{core.InlineMax + 1}, false, true)
			echo("long frame", delim, []int{300}, false, false)
			echo("envelope", [][]byte{[]byte("id"), {}}, []int{5}, false, false)
			echo("plain again", delim, []int{64}, true, true)

			// A request without a delimiter is dropped; the next one is
			// answered.
			bad, _ := frames(nil, 3)
			peer.write(bad)
			echo("after a dropped one", delim, []int{9}, false, true)
			echo("and after that", delim, []int{9}, true, true)

			// A PING in the same write as a request: the request is
			// answered, and so is the PING.
			wire, body := frames(delim, 12)
			peer.write(append(zmtp.AppendPing(nil, 0, []byte("p1")), wire...))
			msg, err = rep.Recv(ctx, nil)
			if err != nil || len(msg) != 1 || !bytes.Equal(msg[0].Bytes(), body[0]) {
				t.Fatalf("request behind a PING: %v %d", err, len(msg))
			}
			if err := rep.Send(ctx, msg); err != nil {
				t.Fatal(err)
			}
			peer.awaitPong("p1")
			if back := peer.readMsg(); !sameFrames(back, append([][]byte{{}}, body...)) {
				t.Fatalf("the reply behind the PONG is %q", back)
			}

			// Two requests in one write: the second waits in the inbound
			// stream while the first is answered, and is taken from there.
			w1, b1 := frames(delim, 20)
			w2, b2 := frames(delim, 21)
			peer.write(append(w1, w2...))
			for _, want := range [][][]byte{b1, b2} {
				msg, err := rep.Recv(ctx, nil)
				if err != nil || len(msg) != 1 || !bytes.Equal(msg[0].Bytes(), want[0]) {
					t.Fatalf("two in one write: %v %d", err, len(msg))
				}
				if err := rep.Send(ctx, msg); err != nil {
					t.Fatal(err)
				}
				if back := peer.readMsg(); !sameFrames(back, append([][]byte{{}}, want...)) {
					t.Fatalf("two in one write: the reply is %q", back)
				}
			}
			echo("plain at the end", delim, []int{64}, true, true)
		})
	}
}

// TestExpressREQ: a REQ in invoker mode, with one connection, sends its
// requests and takes their replies on the express path, byte for byte what
// the usual path puts on the wire; a reply without the delimiter is
// dropped, and one with frames too large for the express path is taken the
// usual way.
func TestExpressREQ(t *testing.T) {
	rt := invokerRuntime(t, core.IdleSpin)
	req := socket(t, rt, core.REQ, core.Options{})
	ln, ep := listenRaw(t)
	connect(t, req, ep)
	peer := ln.accept()
	peer.handshake("ROUTER")
	ctx := testCtx(t)
	// The first request may be queued before the connection is driven,
	// and go out when it is, not on the express path.
	if err := req.SendBytes(ctx, [][]byte{[]byte("first")}); err != nil {
		t.Fatal(err)
	}
	if got := peer.readMsg(); !sameFrames(got, [][]byte{{}, []byte("first")}) {
		t.Fatalf("the first request is %q", got)
	}
	peer.write(zmtp.AppendFrame(zmtp.AppendFrame(nil, zmtp.FlagMore, nil), 0, []byte("ok")))
	if _, err := req.Recv(ctx, nil); err != nil {
		t.Fatal(err)
	}
	ask := func(name string, sizes []int, reply [][]byte, express bool) {
		t.Helper()
		in0, out0 := req.ExpressCounts()
		_, body := frames(nil, sizes...)
		done := make(chan error, 1)
		var msg []core.Msg
		go func() {
			err := req.SendBytes(ctx, body)
			if err == nil {
				msg, err = req.Recv(ctx, nil)
			}
			done <- err
		}()
		if got := peer.readMsg(); !sameFrames(got, append([][]byte{{}}, body...)) {
			t.Fatalf("%s: the request is %q", name, got)
		}
		for _, r := range reply {
			peer.write(r)
		}
		if err := <-done; err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := clones(msg); !sameFrames(got, body) {
			t.Fatalf("%s: the reply taken is %q, want %q", name, got, body)
		}
		in1, out1 := req.ExpressCounts()
		if out1 != out0+1 || (in1 > in0) != express {
			t.Fatalf("%s: express path taken %d in, %d out; want 1 out and in %v", name, in1-in0, out1-out0, express)
		}
	}
	echoOf := func(sizes ...int) []byte { w, _ := frames(delim, sizes...); return w }
	ask("plain", []int{64}, [][]byte{echoOf(64)}, true)
	ask("frames", []int{1, 2, 3}, [][]byte{echoOf(1, 2, 3)}, true)
	ask("long frame", []int{200, 1}, [][]byte{echoOf(200, 1)}, false)
	noDelim, _ := frames(nil, 64)
	// (In one write, so that they come in one read.)
	ask("after one without a delimiter", []int{64}, [][]byte{append(noDelim, echoOf(64)...)}, false)
	ask("plain again", []int{64}, [][]byte{echoOf(64)}, true)
}

// rawListener accepts the connections of a zmqx socket that connects to
// it, as raw peers.
type rawListener struct {
	t *testing.T
	l net.Listener
}

func listenRaw(t *testing.T) (*rawListener, string) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return &rawListener{t: t, l: l}, "tcp://" + l.Addr().String()
}

func (r *rawListener) accept() *rawPeer {
	r.t.Helper()
	c, err := r.l.Accept()
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return &rawPeer{t: r.t, c: c}
}

// TestExpressKeepsTheConnectionsOwnTraffic: a REP waiting on the express
// path sends its own heartbeat PINGs while no request comes (they are
// output the express read leaves to the usual drive), and a request whose
// bytes arrive in two reads, the second looking like a whole request of
// its own, is received whole, not as that second part.
func TestExpressKeepsTheConnectionsOwnTraffic(t *testing.T) {
	rep, peer := repWithRawPeer(t, core.IdleSpin, core.Options{HeartbeatInterval: 5 * time.Millisecond,
		HeartbeatTTL: time.Second, HeartbeatTimeout: 10 * time.Second}, "REQ")
	ctx := testCtx(t)
	type result struct {
		msg [][]byte
		err error
	}
	got := make(chan result, 1)
	serve := func() {
		msg, err := rep.Recv(ctx, nil)
		r := result{msg: clones(msg), err: err}
		if err == nil {
			r.err = rep.Send(ctx, msg)
		}
		got <- r
	}
	go serve()
	// Warm up: one request, so the connection is driven from here on.
	w, _ := frames(delim, 3)
	peer.write(w)
	if r := <-got; r.err != nil {
		t.Fatal(r.err)
	}
	peer.readMsg()
	go serve()
	// The REP waits in Recv: its PINGs still come.
	for pings := 0; pings < 3; {
		h, body := peer.frame()
		if c, err := zmtp.ParseCommand(body); err == nil && h.Command() && c.Name == zmtp.CmdPing {
			pings++
		}
	}
	// A request in two reads: the delimiter and "a" (more to come), then
	// an empty frame and "b". The second part alone has a request's shape.
	// The PING sent with the first part is answered once the REP has read
	// it, so the second part comes in a read of its own.
	peer.write(append(zmtp.AppendPing(nil, 0, []byte("p2")), zmtp.AppendFrame(zmtp.AppendFrame(nil, zmtp.FlagMore, nil), zmtp.FlagMore, []byte("a"))...))
	peer.awaitPong("p2")
	peer.write(zmtp.AppendFrame(zmtp.AppendFrame(nil, zmtp.FlagMore, nil), 0, []byte("b")))
	r := <-got
	if want := [][]byte{[]byte("a"), {}, []byte("b")}; r.err != nil || !sameFrames(r.msg, want) {
		t.Fatalf("received %q (%v), want %q", r.msg, r.err, want)
	}
	if back := peer.readMsg(); !sameFrames(back, [][]byte{{}, []byte("a"), {}, []byte("b")}) {
		t.Fatalf("the reply is %q", back)
	}
}

// TestExpressKeepsTheStateRules: on the express path REQ and REP still
// refuse what their state forbids, at once: a second Recv on a REP before
// it replies, a REQ's Recv before it sends and its second Send before the
// reply.
func TestExpressKeepsTheStateRules(t *testing.T) {
	rt := invokerRuntime(t, core.IdleSpin)
	rep := socket(t, rt, core.REP, core.Options{})
	ep := bind(t, rep)
	req := socket(t, rt, core.REQ, core.Options{})
	connect(t, req, ep)
	ctx := testCtx(t)
	if _, err := req.Recv(ctx, nil); !errors.Is(err, core.ErrState) {
		t.Fatalf("REQ's Recv before a Send: %v", err)
	}
	// One goroutine drives both sockets, as the express path's users do.
	for i := range 3 {
		if err := req.SendBytes(ctx, [][]byte{[]byte("q")}); err != nil {
			t.Fatal(err)
		}
		if err := req.SendBytes(ctx, [][]byte{[]byte("q2")}); !errors.Is(err, core.ErrState) {
			t.Fatalf("REQ's second Send: %v", err)
		}
		msg, err := rep.Recv(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		// A request more, which the REP must not take before it replies.
		if _, err := rep.Recv(ctx, nil); !errors.Is(err, core.ErrState) {
			t.Fatalf("REP's second Recv: %v", err)
		}
		if err := rep.Send(ctx, msg); err != nil {
			t.Fatal(err)
		}
		if _, err := req.Recv(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			if in, out := rep.ExpressCounts(); in == 0 || out == 0 {
				t.Fatalf("the REP took the express path %d times in, %d out", in, out)
			}
		}
	}
}

// TestExpressLingersForTheRest: when a connection takes only part of a
// message written on the express path, the rest is written before anything
// else, and a closing socket lingers until it has gone, as it does for the
// messages in its outbound stream.
func TestExpressLingersForTheRest(t *testing.T) {
	tr := &memTransport{}
	rt := core.NewRuntime(core.Config{Engine: stream.Engine{}, Idle: core.IdleSpin, Invoker: true,
		Transports: map[string]core.Transport{"mem": tr}})
	t.Cleanup(func() { rt.Close() })
	rep := socket(t, rt, core.REP, core.Options{Linger: time.Minute})
	ep, err := rep.Bind("mem://linger")
	if err != nil {
		t.Fatal(err)
	}
	// The REQ has workers of its own: it takes the reply while the REP's
	// Close lingers.
	rtReq := core.NewRuntime(core.Config{Engine: stream.Engine{}, Transports: map[string]core.Transport{"mem": tr}})
	t.Cleanup(func() { rtReq.Close() })
	req := socket(t, rtReq, core.REQ, core.Options{})
	connect(t, req, ep)
	ctx := testCtx(t)
	exchange := func(body []byte, between func()) {
		t.Helper()
		if err := req.SendBytes(ctx, [][]byte{body}); err != nil {
			t.Fatal(err)
		}
		msg, err := rep.Recv(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if between != nil {
			between()
		}
		if err := rep.Send(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	exchange([]byte("warm-up"), nil)
	if got, err := req.Recv(ctx, nil); err != nil || string(got[0].Bytes()) != "warm-up" {
		t.Fatalf("warm-up: %v", err)
	}
	tr.mu.Lock()
	out := tr.accepted.out // what the REP writes
	tr.mu.Unlock()
	refused := make(chan struct{}, 2)
	body := bytes.Repeat([]byte("r"), 200)
	_, sent0 := rep.ExpressCounts()
	exchange(body, func() { out.hold(10, refused) })
	if _, sent := rep.ExpressCounts(); sent != sent0+1 {
		t.Fatal("the reply did not take the express path")
	}
	closed := make(chan error, 1)
	go func() { closed <- rep.Close() }()
	// Close's first look at its connections tries to write the rest; a
	// second try means it lingers for it.
	for range 2 {
		select {
		case <-refused:
		case err := <-closed:
			t.Fatalf("Close returned (%v) with the reply's rest unwritten", err)
		}
	}
	out.release()
	got, err := req.Recv(ctx, nil)
	if err != nil || len(got) != 1 || !bytes.Equal(got[0].Bytes(), body) {
		t.Fatalf("the reply taken: %v, %d frames", err, len(got))
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
}
