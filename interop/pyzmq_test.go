package interop

// Tests against pyzmq: each pyzmq socket lives in a child process running
// pypeer.py, scripted line by line like the C peer (see peer_test.go). They
// need a Python interpreter that can import zmq (Debian: python3-zmq); which
// one is found at run time, since the python3 first on PATH may be another
// build without it. Without one the tests skip and say why; with CI set in
// the environment they fail instead.

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zmqx/zmqx"
	"github.com/zmqx/zmqx/core"
	"github.com/zmqx/zmqx/internal/zmtp"
	"github.com/zmqx/zmqx/internal/ztest"
)

var pySeq atomic.Int64 // for unique ipc paths

// findPython is ztest.Python: the first interpreter that imports zmq.
func findPython() (string, error) { return ztest.Python() }

// requirePython skips (or, under CI, fails) when no interpreter has pyzmq.
func requirePython(t *testing.T) string { return require(t, "pyzmq", findPython) }

// pyPeer is one pyzmq socket in a child process.
type pyPeer struct {
	t   *testing.T
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
	typ string
}

func newPyPeer(t *testing.T, typ string, opts ...string) *pyPeer {
	t.Helper()
	bin := requirePython(t)
	cmd := exec.Command(bin, "pypeer.py")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &pyPeer{t: t, cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20), typ: typ}
	t.Cleanup(p.quit)
	if hello := p.line("start"); !strings.HasPrefix(hello, "ready ") {
		t.Fatalf("pyzmq peer did not start: %q", hello)
	}
	p.ok("socket " + typ)
	for _, o := range opts {
		p.ok("opt " + o)
	}
	return p
}

func (p *pyPeer) quit() {
	if p.cmd == nil {
		return
	}
	fmt.Fprintln(p.in, "quit")
	p.in.Close()
	// A peer still blocked in a send (its timeout is 10 s) is not waited for.
	kill := time.AfterFunc(5*time.Second, func() { p.cmd.Process.Kill() })
	p.cmd.Wait()
	kill.Stop()
	p.cmd = nil
}

func (p *pyPeer) line(after string) string {
	p.t.Helper()
	resp, err := p.out.ReadString('\n')
	if err != nil {
		p.t.Fatalf("pyzmq peer after %.40q: %v", after, err)
	}
	return strings.TrimSuffix(resp, "\n")
}

func (p *pyPeer) do(line string) string {
	p.t.Helper()
	if _, err := fmt.Fprintln(p.in, line); err != nil {
		p.t.Fatalf("pyzmq peer: %v", err)
	}
	return p.line(line)
}

func (p *pyPeer) ok(line string) string {
	p.t.Helper()
	resp := p.do(line)
	if resp != "ok" && !strings.HasPrefix(resp, "ok ") {
		p.t.Fatalf("pyzmq %s: %.40q -> %s", p.typ, line, resp)
	}
	return strings.TrimPrefix(strings.TrimPrefix(resp, "ok"), " ")
}

func (p *pyPeer) bind(ep string) string { p.t.Helper(); return p.ok("bind " + ep) }
func (p *pyPeer) connect(ep string)     { p.t.Helper(); p.ok("connect " + ep) }

// event waits for a monitor event of the pyzmq socket (opt monitor) with
// one of the names ("A|B") and returns "NAME VALUE", or ok=false after d.
func (p *pyPeer) event(names string, d time.Duration) (got string, ok bool) {
	p.t.Helper()
	resp := p.do(fmt.Sprintf("event %s %d", names, d.Milliseconds()))
	if !strings.HasPrefix(resp, "ok ") {
		return resp, false
	}
	return strings.TrimPrefix(resp, "ok "), true
}

// tryRecv returns the next message, or ok=false if none came within d.
func (p *pyPeer) tryRecv(d time.Duration) (frames []string, ok bool) {
	p.t.Helper()
	resp := p.do(fmt.Sprintf("recv %d", d.Milliseconds()))
	if strings.HasPrefix(resp, "err") {
		return nil, false
	}
	if resp != "msg" && !strings.HasPrefix(resp, "msg ") {
		p.t.Fatalf("pyzmq peer: recv -> %.80q", resp)
	}
	for _, f := range strings.Fields(strings.TrimPrefix(resp, "msg")) {
		if f == "-" {
			frames = append(frames, "")
			continue
		}
		b, err := hex.DecodeString(f)
		if err != nil {
			p.t.Fatalf("pyzmq peer output %.80q: %v", resp, err)
		}
		frames = append(frames, string(b))
	}
	return frames, true
}

// end is one side of a pair: a zmqx socket or a pyzmq peer, so that each
// exchange is written once and run with zmqx in either role.
type end interface {
	name() string
	send(frames ...string)
	tryRecv(d time.Duration) ([]string, bool)
	subscribe(topic string)
	poke() // make a pyzmq socket process pending commands; zmqx needs none
}

type zEnd struct {
	t   *testing.T
	ctx context.Context
	s   *zmqx.Socket
}

func (z zEnd) name() string           { return "zmqx " + z.s.Type().String() }
func (z zEnd) send(frames ...string)  { z.t.Helper(); ztest.Send(z.t, z.ctx, z.s, frames...) }
func (z zEnd) poke()                  {}
func (z zEnd) subscribe(topic string) { z.t.Helper(); must(z.t, z.s.Subscribe(topic)) }
func (z zEnd) tryRecv(d time.Duration) ([]string, bool) {
	z.t.Helper()
	ctx, cancel := context.WithTimeout(z.ctx, d)
	defer cancel()
	m, err := z.s.Recv(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, false
		}
		z.t.Fatalf("%s recv: %v", z.name(), err)
	}
	out := make([]string, len(m))
	for i, f := range m {
		out[i] = string(f)
	}
	return out, true
}

type pyEnd struct{ *pyPeer }

func (p pyEnd) name() string           { return "pyzmq " + p.typ }
func (p pyEnd) send(frames ...string)  { p.t.Helper(); p.ok("send " + enc(frames)) }
func (p pyEnd) poke()                  { p.t.Helper(); p.ok("poke") }
func (p pyEnd) subscribe(topic string) { p.t.Helper(); p.ok("sub " + enc([]string{topic})) }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// recvWait is how long one receive waits before the test gives up: long,
// since it only bounds a hang.
const recvWait = 10 * time.Second

func recvEnd(t *testing.T, e end) []string {
	t.Helper()
	m, ok := e.tryRecv(recvWait)
	if !ok {
		t.Fatalf("%s: nothing received", e.name())
	}
	return m
}

func expectEnd(t *testing.T, e end, want ...string) {
	t.Helper()
	if got := recvEnd(t, e); fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Fatalf("%s received %.80q, want %.80q", e.name(), got, want)
	}
}

// expectPoking waits for a message on e while making other process its
// commands: a libzmq socket attaches a new connection (and sends it its
// subscriptions) only inside its own calls.
func expectPoking(t *testing.T, e, other end, want ...string) {
	t.Helper()
	deadline := time.Now().Add(recvWait)
	for {
		if got, ok := e.tryRecv(20 * time.Millisecond); ok {
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
				t.Fatalf("%s received %.80q, want %.80q", e.name(), got, want)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: nothing received, want %q", e.name(), want)
		}
		other.poke()
	}
}

// side says how one end of a pair is made.
type side struct {
	typ       string // REQ, ROUTER, ...
	routingID string // set on the socket when not empty
}

// linkPy joins a zmqx socket and a pyzmq peer: the one that binds takes a
// free port on 127.0.0.1 (or a fresh path, for ipc) and the other connects
// to what it reports.
func linkPy(t *testing.T, z *zmqx.Socket, p *pyPeer, zmqxBinds bool, transport string) {
	t.Helper()
	ep := "tcp://127.0.0.1:*"
	if transport == "ipc" {
		ep = fmt.Sprintf("ipc://%s/py-%d.ipc", tmpDir, pySeq.Add(1))
	}
	if zmqxBinds {
		must(t, z.Bind(ep))
		p.connect(z.LastEndpoint())
		return
	}
	must(t, z.Connect(p.bind(ep)))
}

// Each exchange below is handed its ends unlinked, with a link function to
// call once the ends are set up (so subscriptions can come first).
type linked struct {
	a, b end
	link func()
}

func TestPyReqRep(t *testing.T) {
	pair(t, "tcp", side{typ: "REQ"}, side{typ: "REP"}, reqRep)
}

func reqRep(t *testing.T, l linked) {
	l.link()
	for i := 0; i < 3; i++ {
		l.a.send("hello", "", fmt.Sprint(i))
		expectEnd(t, l.b, "hello", "", fmt.Sprint(i))
		l.b.send("world", fmt.Sprint(i), "")
		expectEnd(t, l.a, "world", fmt.Sprint(i), "")
	}
}

func TestPyDealerRouter(t *testing.T) {
	pair(t, "tcp", side{typ: "DEALER", routingID: "D-1"}, side{typ: "ROUTER"}, dealerRouter)
}

func TestPyDealerRep(t *testing.T) {
	pair(t, "tcp", side{typ: "DEALER"}, side{typ: "REP"}, func(t *testing.T, l linked) {
		l.link()
		for i := 0; i < 3; i++ {
			// The DEALER writes the empty delimiter a REQ would add.
			l.a.send("", "ask", fmt.Sprint(i))
			expectEnd(t, l.b, "ask", fmt.Sprint(i))
			l.b.send("answer", "", fmt.Sprint(i))
			expectEnd(t, l.a, "", "answer", "", fmt.Sprint(i))
		}
	})
}

func TestPyReqRouter(t *testing.T) {
	pair(t, "tcp", side{typ: "REQ", routingID: "Q-1"}, side{typ: "ROUTER"}, func(t *testing.T, l linked) {
		l.link()
		for i := 0; i < 3; i++ {
			l.a.send("ask", fmt.Sprint(i))
			expectEnd(t, l.b, "Q-1", "", "ask", fmt.Sprint(i))
			l.b.send("Q-1", "", "answer", "", fmt.Sprint(i))
			expectEnd(t, l.a, "answer", "", fmt.Sprint(i))
		}
	})
}

func TestPyPushPull(t *testing.T) {
	pair(t, "tcp", side{typ: "PUSH"}, side{typ: "PULL"}, pushPull)
}

func TestPyPair(t *testing.T) {
	pair(t, "tcp", side{typ: "PAIR"}, side{typ: "PAIR"}, func(t *testing.T, l linked) {
		l.link()
		l.a.send("ping", "")
		expectEnd(t, l.b, "ping", "")
		l.b.send("pong", "", "x")
		expectEnd(t, l.a, "pong", "", "x")
	})
}

func TestPyPubSub(t *testing.T) {
	pair(t, "tcp", side{typ: "PUB"}, side{typ: "SUB"}, pubSub)
}

func TestPyXPubXSub(t *testing.T) {
	pair(t, "tcp", side{typ: "XPUB"}, side{typ: "XSUB"}, func(t *testing.T, l linked) {
		xpub, xsub := l.a, l.b
		l.link()
		xsub.send("\x01topic")
		expectPoking(t, xpub, xsub, "\x01topic")
		xpub.send("topic: 1", "", "end")
		expectEnd(t, xsub, "topic: 1", "", "end")
		xpub.send("other: 1")
		// RFC 29: what an XSUB sends that is not a subscription reaches the
		// XPUB's application, multipart intact.
		xsub.send("up", "", "stream")
		expectEnd(t, xpub, "up", "", "stream")
		xsub.send("\x00topic")
		expectEnd(t, xpub, "\x00topic")
		// The filtered "other: 1" never arrived; now nothing passes.
		xpub.send("topic: 2")
		if m, ok := xsub.tryRecv(100 * time.Millisecond); ok {
			t.Fatalf("%s received %q after cancelling", xsub.name(), m)
		}
	})
	// Subscriptions made with the socket options of a SUB reach an XPUB;
	// each subscribe goes up (a verbose XPUB shows the duplicate), the
	// cancel only with the last unsubscribe.
	pair(t, "tcp", side{typ: "XPUB"}, side{typ: "SUB"}, func(t *testing.T, l linked) {
		xpub, sub := l.a, l.b
		if p, ok := xpub.(pyEnd); ok {
			p.ok("opt xpub_verbose")
		}
		_, verbose := xpub.(pyEnd)
		l.link()
		sub.subscribe("a")
		expectPoking(t, xpub, sub, "\x01a")
		sub.subscribe("a")
		if verbose {
			expectPoking(t, xpub, sub, "\x01a")
		}
		unsubscribe(t, sub, "a")
		// No cancel yet: the next thing upstream is the subscribe to b.
		sub.subscribe("b")
		expectPoking(t, xpub, sub, "\x01b")
		unsubscribe(t, sub, "a")
		expectPoking(t, xpub, sub, "\x00a")
	})
}

func unsubscribe(t *testing.T, e end, topic string) {
	t.Helper()
	switch e := e.(type) {
	case zEnd:
		must(t, e.s.Unsubscribe(topic))
	case pyEnd:
		e.ok("unsub " + enc([]string{topic}))
	}
}

// TestPyMultipart sends messages of many frames, empty ones among them and
// one of 1 MiB, both ways over PAIR, PUSH/PULL and DEALER/ROUTER.
func TestPyMultipart(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 1<<20/16)
	many := make([]string, 40)
	for i := range many {
		if i%3 != 0 {
			many[i] = fmt.Sprintf("frame %d", i)
		}
	}
	msgs := [][]string{
		{""},
		{"", ""},
		{"", "middle", ""},
		many,
		{"head", "", big, "", "tail"},
		{big},
	}
	t.Run("PAIR", func(t *testing.T) {
		pair(t, "tcp", side{typ: "PAIR"}, side{typ: "PAIR"}, func(t *testing.T, l linked) {
			l.link()
			for _, m := range msgs {
				l.a.send(m...)
				expectEnd(t, l.b, m...)
				l.b.send(m...)
				expectEnd(t, l.a, m...)
			}
		})
	})
	t.Run("PUSH-PULL", func(t *testing.T) {
		pair(t, "tcp", side{typ: "PUSH"}, side{typ: "PULL"}, func(t *testing.T, l linked) {
			l.link()
			for _, m := range msgs {
				l.a.send(m...)
			}
			for _, m := range msgs {
				expectEnd(t, l.b, m...)
			}
		})
	})
	t.Run("DEALER-ROUTER", func(t *testing.T) {
		pair(t, "tcp", side{typ: "DEALER", routingID: "D"}, side{typ: "ROUTER"}, func(t *testing.T, l linked) {
			l.link()
			for _, m := range msgs {
				l.a.send(m...)
				expectEnd(t, l.b, append([]string{"D"}, m...)...)
				l.b.send(append([]string{"D"}, m...)...)
				expectEnd(t, l.a, m...)
			}
		})
	})
}

// TestPyIPC runs REQ/REP and a multipart PUSH/PULL message with a 1 MiB
// frame over ipc:// (a path in a temporary directory), every role and bind
// direction.
func TestPyIPC(t *testing.T) {
	t.Run("REQ-REP", func(t *testing.T) {
		pair(t, "ipc", side{typ: "REQ"}, side{typ: "REP"}, reqRep)
	})
	t.Run("PUSH-PULL", func(t *testing.T) {
		big := strings.Repeat("x", 1<<20)
		pair(t, "ipc", side{typ: "PUSH"}, side{typ: "PULL"}, func(t *testing.T, l linked) {
			l.link()
			l.a.send("", big, "")
			expectEnd(t, l.b, "", big, "")
		})
	})
}

// pair runs exchange between a socket of type a.typ and one of b.typ, four
// ways: zmqx as a and pyzmq as b or the other way round, each with zmqx
// binding and with pyzmq binding.
func pair(t *testing.T, transport string, a, b side, exchange func(t *testing.T, l linked)) {
	t.Helper()
	pairSecure(t, transport, a, b, false, exchange)
}

// pairSecure is pair, over CURVE when curve is set: a is the CURVE server
// and b the client (zmqx plays each, as pair has it play each side).
func pairSecure(t *testing.T, transport string, a, b side, curve bool, exchange func(t *testing.T, l linked)) {
	t.Helper()
	for _, zmqxIsA := range []bool{true, false} {
		zs, ps := a, b
		if !zmqxIsA {
			if a == b {
				break // PAIR/PAIR: the swap is the same test
			}
			zs, ps = b, a
		}
		t.Run("zmqx-"+zs.typ+"/pyzmq-"+ps.typ, func(t *testing.T) {
			for _, zb := range []bool{true, false} {
				name := "zmqx-binds"
				if !zb {
					name = "pyzmq-binds"
				}
				t.Run(name, func(t *testing.T) {
					requirePython(t)
					ctx := ztest.Ctx(t)
					typ, err := zmqx.ParseSocketType(zs.typ)
					must(t, err)
					zo := zmqx.SocketOptions{RoutingID: []byte(zs.routingID)}
					var opts []string
					if curve {
						requirePyCurve(t)
						keys := newCurveSet(t)
						if zmqxIsA {
							so := keys.zServer()
							zo.CurveServer, zo.CurveSecretKey = so.CurveServer, so.CurveSecretKey
							opts = append(opts, keys.pyClient(keys.serverPub))
						} else {
							co := keys.zClient()
							zo.CurveSecretKey, zo.CurvePublicKey, zo.CurveServerKey = co.CurveSecretKey, co.CurvePublicKey, co.CurveServerKey
							opts = append(opts, keys.pyServer())
						}
					}
					z := zsock(t, typ, zo)
					if ps.routingID != "" {
						opts = append(opts, "routing_id "+enc([]string{ps.routingID}))
					}
					p := newPyPeer(t, ps.typ, opts...)
					l := linked{link: func() { t.Helper(); linkPy(t, z, p, zb, transport) }}
					if zmqxIsA {
						l.a, l.b = zEnd{t, ctx, z}, pyEnd{p}
					} else {
						l.a, l.b = pyEnd{p}, zEnd{t, ctx, z}
					}
					exchange(t, l)
				})
			}
		})
	}
}

// waitEvent returns the first event of type typ on events, failing the test
// if one of type never comes first or ctx ends.
func waitEvent(t *testing.T, ctx context.Context, events <-chan zmqx.Event, typ, never zmqx.EventType) zmqx.Event {
	t.Helper()
	for {
		select {
		case e := <-events:
			if e.Type == typ {
				return e
			}
			if e.Type == never {
				t.Fatalf("event %v before %v", e, typ)
			}
		case <-ctx.Done():
			t.Fatalf("no %v event", typ)
		}
	}
}

// TestPyPlain: PLAIN with a zmqx server (a PlainAuth func) and pyzmq clients
// with good and bad credentials, and with a pyzmq server (its
// ThreadAuthenticator as ZAP handler) and zmqx clients; each bind direction.
func TestPyPlain(t *testing.T) {
	check := func(u, p string) error {
		if u == "trader" && p == "s3cret" {
			return nil
		}
		return errors.New("unknown user or wrong password")
	}
	each := func(t *testing.T, f func(t *testing.T, zb bool)) {
		t.Run("zmqx-binds", func(t *testing.T) { requirePython(t); f(t, true) })
		t.Run("pyzmq-binds", func(t *testing.T) { requirePython(t); f(t, false) })
	}
	t.Run("zmqx-server/accepted", func(t *testing.T) {
		each(t, func(t *testing.T, zb bool) {
			ctx := ztest.Ctx(t)
			rep := zsock(t, zmqx.REP, zmqx.SocketOptions{PlainAuth: check})
			req := newPyPeer(t, "REQ", "plain_client trader s3cret")
			linkPy(t, rep, req, zb, "tcp")
			z, p := zEnd{t, ctx, rep}, pyEnd{req}
			p.send("order", "", "42")
			expectEnd(t, z, "order", "", "42")
			z.send("filled")
			expectEnd(t, p, "filled")
		})
	})
	t.Run("zmqx-server/refused", func(t *testing.T) {
		each(t, func(t *testing.T, zb bool) {
			ctx := ztest.Ctx(t)
			events := make(chan zmqx.Event, 64)
			rep := zsock(t, zmqx.REP, zmqx.SocketOptions{PlainAuth: check, Events: events})
			req := newPyPeer(t, "REQ", "plain_client trader guess", "monitor")
			linkPy(t, rep, req, zb, "tcp")
			if zb {
				// A connecting REQ has its pipe at once: the request is
				// queued before the handshake (a binding one would block).
				req.ok("send " + enc([]string{"order"}))
			}
			e := waitEvent(t, ctx, events, core.EventHandshakeFailed, core.EventHandshaken)
			if !errors.Is(e.Err, zmtp.ErrAuthFailed) {
				t.Fatalf("refusal reason %v", e.Err)
			}
			// The pyzmq client learns its handshake failed. Against a
			// libzmq server it would report HANDSHAKE_FAILED_AUTH 400; here
			// it reports HANDSHAKE_FAILED_PROTOCOL 0x10000001 (unexpected
			// command): libzmq 4.3.4 spells the PLAIN ERROR command's name
			// "\x5eRROR" (its "\x05ERROR" literal swallows the E) and so does
			// not recognise the well-formed ERROR zmqx sends.
			ev, ok := req.event("HANDSHAKE_FAILED_AUTH|HANDSHAKE_FAILED_PROTOCOL|HANDSHAKE_FAILED_NO_DETAIL", recvWait)
			if !ok {
				t.Fatalf("pyzmq client: no handshake-failed event (%s)", ev)
			}
			t.Logf("pyzmq client: %s", ev)
			// Nothing gets through, either way.
			if zb {
				if m, ok := (pyEnd{req}).tryRecv(200 * time.Millisecond); ok {
					t.Fatalf("refused client got %q", m)
				}
			}
			if m, ok := (zEnd{t, ctx, rep}).tryRecv(100 * time.Millisecond); ok {
				t.Fatalf("zmqx server received %q from a refused client", m)
			}
		})
	})
	t.Run("pyzmq-server/accepted", func(t *testing.T) {
		each(t, func(t *testing.T, zb bool) {
			ctx := ztest.Ctx(t)
			rep := newPyPeer(t, "REP", "plain_server trader s3cret")
			req := zsock(t, zmqx.REQ, zmqx.SocketOptions{PlainUsername: "trader", PlainPassword: "s3cret"})
			linkPy(t, req, rep, zb, "tcp")
			z, p := zEnd{t, ctx, req}, pyEnd{rep}
			z.send("order", "", "42")
			expectEnd(t, p, "order", "", "42")
			p.send("filled")
			expectEnd(t, z, "filled")
		})
	})
	t.Run("pyzmq-server/refused", func(t *testing.T) {
		each(t, func(t *testing.T, zb bool) {
			ctx := ztest.Ctx(t)
			rep := newPyPeer(t, "REP", "plain_server trader s3cret", "monitor")
			events := make(chan zmqx.Event, 64)
			req := zsock(t, zmqx.REQ, zmqx.SocketOptions{PlainUsername: "trader", PlainPassword: "guess", Events: events})
			linkPy(t, req, rep, zb, "tcp")
			// pyzmq's ZAP handler said no (status 400) and zmqx learns it.
			if ev, ok := rep.event("HANDSHAKE_FAILED_AUTH", recvWait); !ok || ev != "HANDSHAKE_FAILED_AUTH 400" {
				t.Fatalf("pyzmq server: no HANDSHAKE_FAILED_AUTH 400 event (%s)", ev)
			}
			// zmqx sees the handshake fail but not why: libzmq 4.3.4's ERROR
			// command is malformed (see above), so the reason reads as a
			// parse error rather than zmtp.ErrAuthFailed.
			e := waitEvent(t, ctx, events, core.EventHandshakeFailed, core.EventHandshaken)
			t.Logf("zmqx client refused: %v", e.Err)
			if m, ok := (pyEnd{rep}).tryRecv(100 * time.Millisecond); ok {
				t.Fatalf("pyzmq server received %q from a refused client", m)
			}
		})
	})
}

func dealerRouter(t *testing.T, l linked) {
	l.link()
	for i := 0; i < 3; i++ {
		l.a.send("hi", "", fmt.Sprint(i))
		expectEnd(t, l.b, "D-1", "hi", "", fmt.Sprint(i))
		l.b.send("D-1", "back", fmt.Sprint(i))
		expectEnd(t, l.a, "back", fmt.Sprint(i))
	}
	// A DEALER does not wait for answers: several in flight, in order.
	for i := 0; i < 5; i++ {
		l.a.send("burst", fmt.Sprint(i))
	}
	for i := 0; i < 5; i++ {
		expectEnd(t, l.b, "D-1", "burst", fmt.Sprint(i))
	}
}

func pushPull(t *testing.T, l linked) {
	l.link()
	for i := 0; i < 20; i++ {
		l.a.send("job", fmt.Sprint(i), "")
	}
	for i := 0; i < 20; i++ {
		expectEnd(t, l.b, "job", fmt.Sprint(i), "")
	}
}

func pubSub(t *testing.T, l linked) {
	pub, sub := l.a, l.b
	sub.subscribe("a.")
	l.link()
	// Publish probes until the subscription has reached the publisher:
	// what a PUB sends before that is not for this subscriber.
	deadline := time.Now().Add(recvWait)
	for {
		pub.send("a.probe")
		if _, ok := sub.tryRecv(50 * time.Millisecond); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: subscription never reached %s", sub.name(), pub.name())
		}
	}
	pub.send("b.filtered")
	pub.send("a.wanted", "", "frame 3")
	for {
		m := recvEnd(t, sub)
		if len(m) == 1 && m[0] == "a.probe" {
			continue
		}
		if fmt.Sprintf("%q", m) != fmt.Sprintf("%q", []string{"a.wanted", "", "frame 3"}) {
			t.Fatalf("%s received %q", sub.name(), m)
		}
		break
	}
}
