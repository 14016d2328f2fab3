package stream_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/zmqx/zmqx/core"
	"github.com/zmqx/zmqx/engine/stream"
	"github.com/zmqx/zmqx/engine/tcp"
	"github.com/zmqx/zmqx/internal/zmtp"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutine leak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// runtime makes a core runtime whose engine counts writes and whose tcp
// transport can hold writes at a gate.
func runtime(t *testing.T, writes *atomic.Int64, gate *gateTransport) *core.Runtime {
	var tr core.Transport = tcp.TCP{}
	if gate != nil {
		tr = gate
	}
	e := stream.Engine{}
	if writes != nil {
		e.Writes = func(int) { writes.Add(1) }
	}
	rt := core.NewRuntime(core.Config{Engine: e, Transports: map[string]core.Transport{"tcp": tr}})
	t.Cleanup(func() { rt.Close() })
	return rt
}

func socket(t *testing.T, rt *core.Runtime, typ core.Type, o core.Options) *core.Socket {
	t.Helper()
	s, err := rt.Socket(typ, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// bind binds s on a loopback TCP port and returns the endpoint.
func bind(t *testing.T, s *core.Socket) string {
	t.Helper()
	ep, err := s.Bind("tcp://127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

// connect connects s to ep.
func connect(t *testing.T, s *core.Socket, ep string) {
	t.Helper()
	if err := s.Connect(ep); err != nil {
		t.Fatal(err)
	}
}

// gateTransport wraps tcp; while armed, the next Write on its connections
// waits until released.
type gateTransport struct {
	tcp.TCP
	mu      sync.Mutex
	armed   bool
	entered chan struct{}
	release chan struct{}
}

type gatedConn struct {
	net.Conn
	g *gateTransport
}

func (g *gateTransport) Dial(ctx context.Context, addr string, o *core.Options) (net.Conn, error) {
	c, err := g.TCP.Dial(ctx, addr, o)
	if err != nil {
		return nil, err
	}
	return &gatedConn{Conn: c, g: g}, nil
}

func (c *gatedConn) Write(b []byte) (int, error) {
	c.g.mu.Lock()
	armed := c.g.armed
	c.g.armed = false
	c.g.mu.Unlock()
	if armed {
		close(c.g.entered)
		<-c.g.release
	}
	return c.Conn.Write(b)
}

// TestEncoderBatchesOnlyBehindAWrite shows both behaviours of the encoder:
// with one message queued it writes that message alone, at once; with
// messages piled up behind a write in progress it writes them together.
func TestEncoderBatchesOnlyBehindAWrite(t *testing.T) {
	ctx := testCtx(t)
	var writes atomic.Int64
	gate := &gateTransport{}
	rt := runtime(t, &writes, gate)
	// The receiver lives in a runtime of its own so only the sender's
	// writes are counted.
	pull := socket(t, runtime(t, nil, nil), core.PULL, core.Options{})
	ep := bind(t, pull)
	events := make(chan core.Event, 16)
	push := socket(t, rt, core.PUSH, core.Options{Events: events})
	connect(t, push, ep)
	for e := range events {
		if e.Type == core.EventHandshaken {
			break
		}
	}
	// The handshake's writes are done before the handshaken event.
	roundTrip := func(body string) {
		t.Helper()
		if err := push.Send(ctx, []core.Msg{core.NewMsgString(body)}); err != nil {
			t.Fatal(err)
		}
		m, err := pull.Recv(ctx, nil)
		if err != nil || string(m[0].Bytes()) != body {
			t.Fatalf("got %v %v", m, err)
		}
	}
	roundTrip("warm-up")
	base := writes.Load()
	for i := 0; i < 50; i++ {
		roundTrip(fmt.Sprint("alone ", i))
	}
	if got := writes.Load() - base; got != 50 {
		t.Fatalf("50 messages sent one at a time took %d writes, want 50", got)
	}

	// Hold the next write, queue 99 more behind it, then let go.
	gate.mu.Lock()
	gate.armed, gate.entered, gate.release = true, make(chan struct{}), make(chan struct{})
	gate.mu.Unlock()
	base = writes.Load()
	if err := push.Send(ctx, []core.Msg{core.NewMsgString("first")}); err != nil {
		t.Fatal(err)
	}
	<-gate.entered
	for i := 0; i < 99; i++ {
		if err := push.Send(ctx, []core.Msg{core.NewMsgString(fmt.Sprint("queued ", i))}); err != nil {
			t.Fatal(err)
		}
	}
	close(gate.release)
	for i := 0; i < 100; i++ {
		if _, err := pull.Recv(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	if got := writes.Load() - base; got != 2 {
		t.Fatalf("1 message in flight + 99 queued behind it took %d writes, want 2", got)
	}
}

// rawPeer speaks ZMTP by hand to test what a zmqx socket does with it.
type rawPeer struct {
	t *testing.T
	c net.Conn
}

func dialRaw(t *testing.T, ep string) *rawPeer {
	c, err := net.Dial("tcp", ep[len("tcp://"):])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return &rawPeer{t: t, c: c}
}

func (p *rawPeer) write(b []byte) {
	p.t.Helper()
	if _, err := p.c.Write(b); err != nil {
		p.t.Fatal(err)
	}
}

// frame reads one frame.
func (p *rawPeer) frame() (zmtp.Header, []byte) {
	p.t.Helper()
	hdr := make([]byte, 2, 9)
	if _, err := io.ReadFull(p.c, hdr); err != nil {
		p.t.Fatal(err)
	}
	if hdr[0]&zmtp.FlagLong != 0 {
		hdr = hdr[:9]
		if _, err := io.ReadFull(p.c, hdr[2:]); err != nil {
			p.t.Fatal(err)
		}
	}
	h, err := zmtp.ParseHeader(hdr, 1<<20)
	if err != nil {
		p.t.Fatal(err)
	}
	body := make([]byte, h.Size)
	if _, err := io.ReadFull(p.c, body); err != nil {
		p.t.Fatal(err)
	}
	return h, body
}

// handshake completes a NULL handshake as socket type typ.
// awaitPong reads frames until a PONG, which must carry the context ctx.
func (p *rawPeer) awaitPong(ctx string) {
	p.t.Helper()
	for {
		_, body := p.frame()
		c, _ := zmtp.ParseCommand(body)
		if c.Name == zmtp.CmdPong {
			if !bytes.Equal(c.Data, []byte(ctx)) {
				p.t.Fatalf("PONG context %q", c.Data)
			}
			return
		}
	}
}

func (p *rawPeer) handshake(typ string) {
	p.t.Helper()
	p.write(zmtp.AppendGreeting(nil, zmtp.Greeting{Major: 3, Minor: 1, Mechanism: zmtp.MechNull}))
	g := make([]byte, zmtp.GreetingLen)
	if _, err := io.ReadFull(p.c, g); err != nil {
		p.t.Fatal(err)
	}
	p.write(zmtp.AppendCommand(nil, zmtp.CmdReady, zmtp.AppendMetadata(nil, zmtp.Metadata{{Name: "Socket-Type", Value: []byte(typ)}})))
	h, body := p.frame()
	c, err := zmtp.ParseCommand(body)
	if err != nil || !h.Command() || c.Name != zmtp.CmdReady {
		p.t.Fatalf("expected READY, got %q %v", body, err)
	}
}

// closed waits for zmqx to close the connection.
func (p *rawPeer) closed() {
	p.t.Helper()
	if _, err := io.Copy(io.Discard, p.c); err != nil {
		p.t.Fatalf("waiting for close: %v", err)
	}
}

// waitFor waits for an event of type typ (from the connection whose local
// address is from, if not empty) and checks its reason.
func waitFor(t *testing.T, ctx context.Context, ch <-chan core.Event, typ core.EventType, want error, from ...string) core.Event {
	t.Helper()
	for {
		select {
		case e := <-ch:
			if e.Type != typ || len(from) > 0 && e.Remote != from[0] {
				continue
			}
			if want != nil && !errors.Is(e.Err, want) {
				t.Fatalf("%v event with %v, want %v", typ, e.Err, want)
			}
			if e.Err == nil {
				t.Fatalf("%v event without a reason", typ)
			}
			return e
		case <-ctx.Done():
			t.Fatalf("no %v event", typ)
		}
	}
}

// TestHostilePeers drops each bad peer with a reason while a good peer
// keeps being served.
func TestHostilePeers(t *testing.T) {
	ctx := testCtx(t)
	rt := runtime(t, nil, nil)
	events := make(chan core.Event, 64)
	pull := socket(t, rt, core.PULL, core.Options{Events: events, MaxMsgSize: 1 << 20, HandshakeTimeout: 200 * time.Millisecond})
	ep := bind(t, pull)
	good := socket(t, rt, core.PUSH, core.Options{})
	connect(t, good, ep)
	serving := func(tag string) {
		t.Helper()
		if err := good.Send(ctx, []core.Msg{core.NewMsgString(tag)}); err != nil {
			t.Fatal(err)
		}
		m, err := pull.Recv(ctx, nil)
		if err != nil || string(m[0].Bytes()) != tag {
			t.Fatalf("good peer after %s: %v %v", tag, m, err)
		}
	}
	serving("start")

	cases := []struct {
		name  string
		event core.EventType
		want  error
		act   func(p *rawPeer)
	}{
		{"garbage greeting", core.EventHandshakeFailed, zmtp.ErrBadSignature, func(p *rawPeer) {
			p.write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		}},
		{"silence during handshake", core.EventHandshakeFailed, os.ErrDeadlineExceeded, func(p *rawPeer) {}},
		{"frame declaring 2^62 bytes", core.EventDisconnected, zmtp.ErrTooLarge, func(p *rawPeer) {
			p.handshake("PUSH")
			p.write([]byte{zmtp.FlagLong, 0x40, 0, 0, 0, 0, 0, 0, 0})
		}},
		{"message over MaxMsgSize in two frames", core.EventDisconnected, zmtp.ErrTooLarge, func(p *rawPeer) {
			p.handshake("PUSH")
			p.write(zmtp.AppendFrame(nil, zmtp.FlagMore, make([]byte, 700<<10)))
			p.write(zmtp.AppendHeader(nil, 0, 700<<10))
		}},
		{"truncated frame", core.EventDisconnected, io.EOF, func(p *rawPeer) {
			p.handshake("PUSH")
			p.write(append(zmtp.AppendHeader(nil, 0, 100), "only ten b"...))
			p.c.(*net.TCPConn).CloseWrite()
		}},
		{"unknown command", core.EventDisconnected, nil, func(p *rawPeer) {
			p.handshake("PUSH")
			p.write(zmtp.AppendCommand(nil, "LAUNCH", []byte("missiles")))
		}},
		{"incompatible socket type", core.EventHandshakeFailed, zmtp.ErrIncompatible, func(p *rawPeer) {
			p.write(zmtp.AppendGreeting(nil, zmtp.Greeting{Major: 3, Minor: 1, Mechanism: zmtp.MechNull}))
			p.write(zmtp.AppendCommand(nil, zmtp.CmdReady, zmtp.AppendMetadata(nil, zmtp.Metadata{{Name: "Socket-Type", Value: []byte("PUB")}})))
			g := make([]byte, zmtp.GreetingLen)
			io.ReadFull(p.c, g)
			p.frame() // our READY
			_, body := p.frame()
			if c, err := zmtp.ParseCommand(body); err != nil || c.Name != zmtp.CmdError {
				p.t.Fatalf("expected ERROR, got %q", body)
			}
		}},
		{"mechanism mismatch", core.EventHandshakeFailed, nil, func(p *rawPeer) {
			p.write(zmtp.AppendGreeting(nil, zmtp.Greeting{Major: 3, Minor: 1, Mechanism: zmtp.MechCurve}))
		}},
		{"ZMTP 2 peer", core.EventHandshakeFailed, nil, func(p *rawPeer) {
			p.write(zmtp.AppendGreeting(nil, zmtp.Greeting{Major: 2, Minor: 0, Mechanism: zmtp.MechNull}))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := dialRaw(t, ep)
			p.t = t
			c.act(p)
			e := waitFor(t, ctx, events, c.event, c.want, p.c.LocalAddr().String())
			t.Logf("dropped: %v", e)
			if c.name == "message over MaxMsgSize in two frames" && !strings.Contains(e.Err.Error(), "limit 1048576 for the message") {
				t.Errorf("the reason quotes %q, want the message's limit (1 MiB), not what was left of it", e.Err)
			}
			p.closed()
			serving(c.name)
		})
	}
}

func TestHeartbeats(t *testing.T) {
	t.Run("block", func(t *testing.T) { testHeartbeats(t, runtime(t, nil, nil)) })
	t.Run("agent", func(t *testing.T) {
		rt := core.NewRuntime(core.Config{Engine: stream.Engine{}, Transports: map[string]core.Transport{"tcp": tcp.TCP{}}, Idle: core.IdleBackoff})
		t.Cleanup(func() { rt.Close() })
		testHeartbeats(t, rt)
	})
}

func testHeartbeats(t *testing.T, rt *core.Runtime) {
	ctx := testCtx(t)
	events := make(chan core.Event, 64)
	pull := socket(t, rt, core.PULL, core.Options{Events: events, HeartbeatInterval: 20 * time.Millisecond, HeartbeatTTL: time.Second, HeartbeatTimeout: 100 * time.Millisecond})
	ep := bind(t, pull)
	p := dialRaw(t, ep)
	p.handshake("PUSH")
	// zmqx pings us with the TTL we configured, in deciseconds.
	h, body := p.frame()
	c, err := zmtp.ParseCommand(body)
	if err != nil || !h.Command() || c.Name != zmtp.CmdPing {
		t.Fatalf("expected PING, got %q", body)
	}
	if ping, err := zmtp.ParsePing(c.Data); err != nil || ping.TTL != 10 {
		t.Fatalf("PING %+v %v, want TTL 10", ping, err)
	}
	// It answers our PING with our context.
	p.write(zmtp.AppendPing(nil, 0, []byte("ctx-1")))
	p.awaitPong("ctx-1")
	// We fall silent: zmqx gives up after its timeout.
	e := waitFor(t, ctx, events, core.EventDisconnected, os.ErrDeadlineExceeded, p.c.LocalAddr().String())
	if !strings.Contains(e.Err.Error(), "heartbeat: nothing from the peer for 120ms") {
		t.Errorf("the reason %q does not say that the peer was silent for the heartbeat's interval and timeout", e.Err)
	}
}

func TestPeerErrorIsReported(t *testing.T) {
	ctx := testCtx(t)
	rt := runtime(t, nil, nil)
	pub := socket(t, rt, core.PUB, core.Options{})
	ep := bind(t, pub)
	events := make(chan core.Event, 64)
	push := socket(t, rt, core.PUSH, core.Options{Events: events})
	connect(t, push, ep)
	waitFor(t, ctx, events, core.EventHandshakeFailed, nil)
}

// handshakeAs completes a NULL handshake announcing ZMTP 3.minor, sending
// the greeting in libzmq's stages: signature, then major version, then the
// rest, each only after zmqx has shown it does not wait for the whole.
func (p *rawPeer) handshakeAs(typ string, minor byte) {
	p.t.Helper()
	g := zmtp.AppendGreeting(nil, zmtp.Greeting{Major: 3, Minor: minor, Mechanism: zmtp.MechNull})
	p.write(g[:zmtp.SignatureLen])
	theirs := make([]byte, zmtp.GreetingLen)
	// zmqx sends its whole greeting without waiting for the rest of ours.
	if _, err := io.ReadFull(p.c, theirs); err != nil {
		p.t.Fatalf("zmqx held its greeting back: %v", err)
	}
	p.write(g[zmtp.SignatureLen : zmtp.SignatureLen+1])
	p.write(g[zmtp.SignatureLen+1:])
	p.write(zmtp.AppendCommand(nil, zmtp.CmdReady, zmtp.AppendMetadata(nil, zmtp.Metadata{{Name: "Socket-Type", Value: []byte(typ)}})))
	h, body := p.frame()
	if c, err := zmtp.ParseCommand(body); err != nil || !h.Command() || c.Name != zmtp.CmdReady {
		p.t.Fatalf("expected READY, got %q", body)
	}
}

// TestZMTP30Peers checks the downgrade: a 3.0 peer's subscriptions are
// messages, and zmqx sends its own subscriptions to it as messages too,
// while a 3.1 peer gets SUBSCRIBE commands.
func TestZMTP30Peers(t *testing.T) {
	ctx := testCtx(t)
	rt := runtime(t, nil, nil)

	pub := socket(t, rt, core.XPUB, core.Options{})
	ep := bind(t, pub)
	p := dialRaw(t, ep)
	p.handshakeAs("SUB", 0)
	p.write(zmtp.AppendFrame(nil, 0, []byte("\x01fx.")))
	m, err := pub.Recv(ctx, nil)
	if err != nil || string(m[0].Bytes()) != "\x01fx." {
		t.Fatalf("XPUB got %v %v", m, err)
	}
	if err := pub.Send(ctx, []core.Msg{core.NewMsgString("fx.EURUSD")}); err != nil {
		t.Fatal(err)
	}
	if h, body := p.frame(); h.Command() || string(body) != "fx.EURUSD" {
		t.Fatalf("3.0 subscriber got %q", body)
	}

	for _, minor := range []byte{0, 1} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		sub := socket(t, rt, core.SUB, core.Options{})
		if err := sub.Subscribe([]byte("q")); err != nil {
			t.Fatal(err)
		}
		if err := sub.Connect("tcp://" + l.Addr().String()); err != nil {
			t.Fatal(err)
		}
		c, err := l.Accept()
		l.Close()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		p := &rawPeer{t: t, c: c}
		p.handshakeAs("PUB", minor)
		h, body := p.frame()
		if minor == 0 && (h.Command() || string(body) != "\x01q") {
			t.Fatalf("to a 3.0 publisher: %q (command %v), want the message \\x01q", body, h.Command())
		}
		if minor == 1 {
			c, err := zmtp.ParseCommand(body)
			if err != nil || !h.Command() || c.Name != zmtp.CmdSubscribe || string(c.Data) != "q" {
				t.Fatalf("to a 3.1 publisher: %q, want SUBSCRIBE q", body)
			}
		}
	}
}

// TestPeerTTL: a peer's PING TTL is honoured even when our own heartbeats
// are off: silence longer than the TTL ends the connection.
func TestPeerTTL(t *testing.T) {
	ctx := testCtx(t)
	rt := runtime(t, nil, nil)
	events := make(chan core.Event, 64)
	pull := socket(t, rt, core.PULL, core.Options{Events: events})
	ep := bind(t, pull)
	p := dialRaw(t, ep)
	p.handshake("PUSH")
	p.write(zmtp.AppendPing(nil, 1, nil)) // TTL 100 ms
	if _, body := p.frame(); !bytes.HasPrefix(body, []byte("\x04PONG")) {
		t.Fatalf("expected PONG, got %q", body)
	}
	waitFor(t, ctx, events, core.EventDisconnected, os.ErrDeadlineExceeded, p.c.LocalAddr().String())
}

// TestSpinningReceiverAnswersPing: a spinning invoker's Recv returns as
// soon as a read completes a message, without pumping the output (see
// SpinWork); a PING that came in the same read is still answered, by the
// caller's next drive.
func TestSpinningReceiverAnswersPing(t *testing.T) {
	rt := core.NewRuntime(core.Config{Engine: stream.Engine{}, Idle: core.IdleSpin, Invoker: true,
		Transports: map[string]core.Transport{"tcp": tcp.TCP{}}})
	t.Cleanup(func() { rt.Close() })
	pull := socket(t, rt, core.PULL, core.Options{})
	ep := bind(t, pull)
	p := dialRaw(t, ep)
	p.handshake("PUSH")
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	got := make(chan error, 2)
	recv := func(want string) {
		msg, err := pull.Recv(ctx, nil)
		if err == nil && (len(msg) != 1 || string(msg[0].Bytes()) != want) {
			err = fmt.Errorf("received %d frames, want %q", len(msg), want)
		}
		got <- err
	}
	go func() {
		recv("w")
		recv("m")
		pull.Recv(ctx, nil) // drives the connection until the test ends it
	}()
	// The PING and the message go in one write once the receiver has taken
	// the first message, so that they arrive in one read of its spin.
	p.write(zmtp.AppendFrame(nil, 0, []byte("w")))
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	p.write(append(zmtp.AppendPing(nil, 0, []byte("ctx-2")), zmtp.AppendFrame(nil, 0, []byte("m"))...))
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	p.awaitPong("ctx-2")
	cancel()
}

// TestCutMessageNotSentAgain: a message the peer refuses (it reads the
// header and drops the connection: too large for it) is not sent again on
// the next connection, and the message queued behind it is. What the
// connection took before it failed counts as sent, and the rest of the
// message it cut is dropped, as libzmq drops what its engine held. Before,
// the writer sent the failed write's batch again from its start on the
// next connection: the refused message on every one, for ever, and
// messages a cut batch had already delivered a second time.
func TestCutMessageNotSentAgain(t *testing.T) {
	ctx := testCtx(t)
	rt := runtime(t, nil, nil)
	ln, ep := listenRaw(t)
	// A batch larger than the message: the writer's first write is all of
	// it, more than the kernel's buffers both ways take, so it fails with
	// part of the message written.
	const size = 32 << 20
	push := socket(t, rt, core.PUSH, core.Options{ReconnectInterval: 10 * time.Millisecond, BatchSize: 2 * size})
	connect(t, push, ep)
	// Queued before the connection is up: the writer sends them.
	big := make([]byte, size)
	for _, m := range [][]byte{big, []byte("after")} {
		if err := push.Send(ctx, []core.Msg{core.NewMsg(m)}); err != nil {
			t.Fatal(err)
		}
	}
	header := func(p *rawPeer) (uint64, bool) {
		t.Helper()
		hdr := make([]byte, 9)
		if _, err := io.ReadFull(p.c, hdr[:2]); err != nil {
			t.Fatal(err)
		}
		if hdr[0]&zmtp.FlagLong == 0 {
			return uint64(hdr[1]), false
		}
		if _, err := io.ReadFull(p.c, hdr[2:]); err != nil {
			t.Fatal(err)
		}
		return binary.BigEndian.Uint64(hdr[1:]), true
	}
	p := ln.accept()
	p.handshake("PULL")
	if n, _ := header(p); n != uint64(len(big)) {
		t.Fatalf("first frame %d bytes, want the large message's %d", n, len(big))
	}
	p.c.(*net.TCPConn).SetLinger(0) // refused: reset, mid-message
	p.c.Close()

	q := ln.accept()
	q.handshake("PULL")
	n, _ := header(q)
	if n != uint64(len("after")) {
		t.Fatalf("first frame on the next connection: %d bytes, want the message queued behind the refused one (%d)",
			n, len("after"))
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(q.c, body); err != nil || string(body) != "after" {
		t.Fatalf("read %q, %v", body, err)
	}
}
