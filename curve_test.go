package zmqx_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/zmqx/zmqx"
	"github.com/zmqx/zmqx/internal/ztest"
)

func keyPair(t *testing.T) (pub, sec zmqx.CurveKey) {
	t.Helper()
	pub, sec, err := zmqx.NewCurveKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return pub, sec
}

// curveOpts returns server and client options for a CURVE pair.
func curveOpts(t *testing.T) (srv, cli zmqx.SocketOptions, serverPub, clientPub zmqx.CurveKey) {
	sp, ss := keyPair(t)
	cp, cs := keyPair(t)
	return zmqx.SocketOptions{CurveServer: true, CurveSecretKey: ss},
		zmqx.SocketOptions{CurveSecretKey: cs, CurvePublicKey: cp, CurveServerKey: sp}, sp, cp
}

var curveModes = []struct {
	name string
	cfg  zmqx.Config
}{
	{"block", zmqx.Config{}},
	{"backoff-worker", zmqx.Config{Idle: zmqx.IdleBackoff, Workers: 1}},
	{"backoff-invoker", zmqx.Config{Idle: zmqx.IdleBackoff, Invoker: true}},
}

// TestCurvePatterns: every pattern works over CURVE, in the blocking mode
// and driven by a worker, with multi-frame messages and messages larger
// than a segment and than the receive buffer.
func TestCurvePatterns(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 3<<16) // 3 MiB
	mid := bytes.Repeat([]byte{7}, 70<<10)                 // 70 KiB
	for _, mode := range curveModes {
		for _, ep := range []string{"tcp://127.0.0.1:*", "ipc://*"} {
			t.Run(mode.name+"/"+ep[:3], func(t *testing.T) {
				ctx := ztest.Ctx(t)
				rt := zmqx.NewRuntime(mode.cfg)
				defer rt.Close()
				connect := func(bt, ct zmqx.SocketType, serverBinds bool) (*zmqx.Socket, *zmqx.Socket) {
					so, co, _, _ := curveOpts(t)
					bo, cto := so, co
					if !serverBinds {
						bo, cto = co, so
					}
					b := mustSocket(t, rt, bt, bo)
					c := mustSocket(t, rt, ct, cto)
					if err := b.Bind(ep); err != nil {
						t.Fatal(err)
					}
					if err := c.Connect(b.LastEndpoint()); err != nil {
						t.Fatal(err)
					}
					return b, c
				}
				// REQ/REP, the server binding.
				rep, req := connect(zmqx.REP, zmqx.REQ, true)
				for i := 0; i < 20; i++ {
					ztest.Send(t, ctx, req, "ping", "two")
					ztest.Expect(t, ctx, rep, "ping", "two")
					ztest.Send(t, ctx, rep, "pong")
					ztest.Expect(t, ctx, req, "pong")
				}
				// PUSH/PULL, the client binding; sizes across the limits.
				pull, push := connect(zmqx.PULL, zmqx.PUSH, false)
				bodies := [][]byte{nil, []byte("x"), bytes.Repeat([]byte{1}, 300), mid, big}
				for _, body := range bodies {
					if err := push.Send(ctx, []byte("hdr"), body, big[:40]); err != nil {
						t.Fatal(err)
					}
					got, err := pull.Recv(ctx)
					if err != nil || len(got) != 3 || string(got[0]) != "hdr" || !bytes.Equal(got[1], body) || !bytes.Equal(got[2], big[:40]) {
						t.Fatalf("size %d: %d frames, %v", len(body), len(got), err)
					}
				}
				sent := make(chan error, 1)
				go func() { // a stream: many messages per read
					for i := 0; i < 2000; i++ {
						if err := push.Send(ctx, binary.BigEndian.AppendUint32(nil, uint32(i))); err != nil {
							sent <- err
							return
						}
					}
					sent <- nil
				}()
				for i := 0; i < 2000; i++ {
					got, err := pull.Recv(ctx)
					if err != nil || binary.BigEndian.Uint32(got[0]) != uint32(i) {
						t.Fatalf("message %d: %x %v", i, got, err)
					}
				}
				if err := <-sent; err != nil {
					t.Fatal(err)
				}
				// PUB/SUB: the subscription travels sealed, as a command.
				pub, sub := connect(zmqx.XPUB, zmqx.SUB, true)
				if err := sub.Subscribe("q."); err != nil {
					t.Fatal(err)
				}
				ztest.Expect(t, ctx, pub, "\x01q.")
				ztest.Send(t, ctx, pub, "x.no")
				ztest.Send(t, ctx, pub, "q.yes", "more")
				ztest.Expect(t, ctx, sub, "q.yes", "more")
				// DEALER/ROUTER, the server connecting.
				router, dealer := connect(zmqx.ROUTER, zmqx.DEALER, false)
				ztest.Send(t, ctx, dealer, "", "order")
				got := ztest.Recv(t, ctx, router)
				if len(got) != 3 || got[2] != "order" {
					t.Fatalf("router got %q", got)
				}
				ztest.Send(t, ctx, router, got[0], "", "fill")
				ztest.Expect(t, ctx, dealer, "", "fill")
			})
		}
	}
}

// failure waits for a handshake failure event and returns it.
func failure(t *testing.T, ctx context.Context, ch <-chan zmqx.Event) zmqx.Event {
	t.Helper()
	for {
		select {
		case e := <-ch:
			switch e.Type {
			case zmqx.EventHandshakeFailed:
				return e
			case zmqx.EventHandshaken:
				t.Fatal("handshake succeeded")
			}
		case <-ctx.Done():
			t.Fatal("no handshake failure")
		}
	}
}

// TestCurveWrongServerKey: a client with another server key is refused;
// both sides say why.
func TestCurveWrongServerKey(t *testing.T) {
	ctx := ztest.Ctx(t)
	rt := newRuntime(t)
	so, co, _, _ := curveOpts(t)
	co.CurveServerKey, _ = keyPair(t)
	sev, cev := make(chan zmqx.Event, 64), make(chan zmqx.Event, 64)
	so.Events, co.Events = sev, cev
	srv := mustSocket(t, rt, zmqx.PULL, so)
	cli := mustSocket(t, rt, zmqx.PUSH, co)
	bindConnect(t, srv, cli)
	if e := failure(t, ctx, sev); e.Failure != zmqx.HandshakeAuth || !strings.Contains(e.Err.Error(), "HELLO") {
		t.Fatalf("server: %v", e)
	}
	if e := failure(t, ctx, cev); e.Failure != zmqx.HandshakeAuth || !strings.Contains(e.Err.Error(), "wrong server key") {
		t.Fatalf("client: %v", e)
	}
}

// TestCurveZAPAllowList: with an authenticator that admits listed keys,
// another client gets ERROR "400" and both sides report the refusal; a
// listed one gets through, with its key as User-Id.
func TestCurveZAPAllowList(t *testing.T) {
	ctx := ztest.Ctx(t)
	so, co, _, clientPub := curveOpts(t)
	auth := zmqx.NewAuth()
	rt := zmqx.NewRuntime(zmqx.Config{Auth: auth})
	defer rt.Close()
	sev, cev := make(chan zmqx.Event, 64), make(chan zmqx.Event, 64)
	so.Events, co.Events = sev, cev
	srv := mustSocket(t, rt, zmqx.PULL, so)
	cli := mustSocket(t, rt, zmqx.PUSH, co)
	bindConnect(t, srv, cli)
	if e := failure(t, ctx, sev); e.Failure != zmqx.HandshakeAuth || !strings.Contains(e.Err.Error(), "400") || !strings.Contains(e.Err.Error(), "unknown CURVE key") {
		t.Fatalf("server: %v", e)
	}
	if e := failure(t, ctx, cev); e.Failure != zmqx.HandshakeAuth || !strings.Contains(e.Err.Error(), `"400"`) {
		t.Fatalf("client: %v", e)
	}
	auth.AllowCurve(clientPub) // the client's next attempt gets in
	ztest.Send(t, ctx, cli, "hi")
	msgs, err := srv.RecvMsg(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if u, ok := msgs[0].Metadata("User-Id"); !ok || u != clientPub.String() {
		t.Fatalf("User-Id %q %v, want %s", u, ok, clientPub)
	}
	for i := range msgs {
		msgs[i].Close()
	}
}

// TestZAPAddresses: an authenticator admits NULL peers by address on a
// socket with a ZAP domain, and by domain.
func TestZAPAddresses(t *testing.T) {
	ctx := ztest.Ctx(t)
	for _, tc := range []struct {
		name string
		auth *zmqx.Auth
		ok   bool
	}{
		{"deny", zmqx.NewAuth().Deny("127.0.0.1"), false},
		{"allow-other", zmqx.NewAuth().Allow("10.9.9.9"), false},
		{"allow", zmqx.NewAuth().Allow("127.0.0.1"), true},
		{"domain-other", zmqx.NewAuth().Domains("risk"), false},
		{"domain", zmqx.NewAuth().Domains("global"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := zmqx.NewRuntime(zmqx.Config{Auth: tc.auth})
			defer rt.Close()
			ev := make(chan zmqx.Event, 64)
			srv := mustSocket(t, rt, zmqx.PULL, zmqx.SocketOptions{ZAPDomain: "global", Events: ev})
			cli := mustSocket(t, rt, zmqx.PUSH)
			bindConnect(t, srv, cli)
			if !tc.ok {
				if e := failure(t, ctx, ev); e.Failure != zmqx.HandshakeAuth || !strings.Contains(e.Err.Error(), "400") {
					t.Fatalf("refusal: %v", e)
				}
				return
			}
			ztest.Send(t, ctx, cli, "in")
			ztest.Expect(t, ctx, srv, "in")
		})
	}
}

// TestPlainViaZAP: a PLAIN server checked by the runtime's authenticator,
// the user name delivered as User-Id; and the metadata of messages.
func TestPlainViaZAP(t *testing.T) {
	ctx := ztest.Ctx(t)
	rt := zmqx.NewRuntime(zmqx.Config{Auth: zmqx.NewAuth().AllowPlain("trader", "s3cret")})
	defer rt.Close()
	ev := make(chan zmqx.Event, 64)
	srv := mustSocket(t, rt, zmqx.ROUTER, zmqx.SocketOptions{PlainServer: true, Events: ev})
	if err := srv.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	bad := mustSocket(t, rt, zmqx.DEALER, zmqx.SocketOptions{PlainUsername: "trader", PlainPassword: "guess"})
	if err := bad.Connect(srv.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	if e := failure(t, ctx, ev); e.Failure != zmqx.HandshakeAuth || !strings.Contains(e.Err.Error(), "invalid username or password") {
		t.Fatalf("refusal: %v", e)
	}
	bad.Close()
	good := mustSocket(t, rt, zmqx.DEALER, zmqx.SocketOptions{PlainUsername: "trader", PlainPassword: "s3cret", RoutingID: []byte("desk-7")})
	if err := good.Connect(srv.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	ztest.Send(t, ctx, good, "order")
	msgs, err := srv.RecvMsg(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"User-Id": "trader", "Socket-Type": "DEALER", "Identity": "desk-7", "Peer-Address": "127.0.0.1"}
	for _, m := range msgs {
		for k, v := range want {
			if got, ok := m.Metadata(k); !ok || got != v {
				t.Errorf("%s = %q (%v), want %q", k, got, ok, v)
			}
		}
		if _, ok := m.Metadata("X-None"); ok {
			t.Error("a property nobody sent")
		}
		m.Close()
	}
	if _, err := rt.Socket(zmqx.REP, zmqx.SocketOptions{PlainServer: true, PlainUsername: "x"}); err == nil {
		t.Fatal("PLAIN server and client at once")
	}
	if _, err := newRuntime(t).Socket(zmqx.REP, zmqx.SocketOptions{PlainServer: true}); err == nil {
		t.Fatal("PLAIN server with nothing to check its clients")
	}
}

// TestCurveOptionErrors: bad key combinations fail when the socket is made.
func TestCurveOptionErrors(t *testing.T) {
	rt := newRuntime(t)
	pub, sec := keyPair(t)
	other, _ := keyPair(t)
	for name, o := range map[string]zmqx.SocketOptions{
		"server without secret":  {CurveServer: true},
		"client without server":  {CurveSecretKey: sec, CurvePublicKey: pub},
		"client without public":  {CurveSecretKey: sec, CurveServerKey: other},
		"mismatched pair":        {CurveSecretKey: sec, CurvePublicKey: other, CurveServerKey: other},
		"server with server key": {CurveServer: true, CurveSecretKey: sec, CurveServerKey: other},
		"curve and plain":        {CurveServer: true, CurveSecretKey: sec, PlainUsername: "u"},
	} {
		if _, err := rt.Socket(zmqx.REQ, o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	k, err := zmqx.ParseCurveKey(pub.String())
	if err != nil || k != pub || zmqx.CurvePublicKey(sec) != pub {
		t.Fatalf("Z85 round trip: %v", err)
	}
}

// relay forwards one TCP connection to target, letting mangle change the
// client's frames after the greeting (the first connection only).
func relay(t *testing.T, target string, mangle func(frame []byte, n int) [][]byte) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	first := true
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				return
			}
			mu.Lock()
			conns = append(conns, c, s)
			mu.Unlock()
			m := first
			first = false
			wg.Add(2)
			go func() { defer wg.Done(); plainCopy(c, s); c.Close() }()
			go func() {
				defer wg.Done()
				defer s.Close()
				if !m {
					plainCopy(s, c)
					return
				}
				g := make([]byte, 64)
				if _, err := io.ReadFull(c, g); err != nil {
					return
				}
				s.Write(g)
				for n := 0; ; n++ {
					h := make([]byte, 2)
					if _, err := io.ReadFull(c, h); err != nil {
						return
					}
					size := int(h[1])
					if h[0]&2 != 0 {
						h = append(h, make([]byte, 7)...)
						if _, err := io.ReadFull(c, h[2:]); err != nil {
							return
						}
						size = int(binary.BigEndian.Uint64(h[1:]))
					}
					f := append(h, make([]byte, size)...)
					if _, err := io.ReadFull(c, f[len(h):]); err != nil {
						return
					}
					for _, out := range mangle(f, n) {
						if _, err := s.Write(out); err != nil {
							return
						}
					}
				}
			}()
		}
	}()
	return "tcp://" + ln.Addr().String()
}

// TestCurveReplayAndTamper: a MESSAGE sent twice, or changed on the way,
// ends the connection at the receiver; the genuine message arrives once.
func TestCurveReplayAndTamper(t *testing.T) {
	isMessage := func(f []byte) bool { return bytes.Contains(f[:min(len(f), 12)], []byte("\x07MESSAGE")) }
	for _, tc := range []struct {
		name   string
		mangle func(f []byte, n int) [][]byte
		reason string
	}{
		{"replay", func(f []byte, n int) [][]byte {
			if isMessage(f) {
				return [][]byte{f, f}
			}
			return [][]byte{f}
		}, "nonce not increasing"},
		{"tamper", func(f []byte, n int) [][]byte {
			if isMessage(f) {
				g := append([]byte(nil), f...)
				g[len(g)-1] ^= 0x40
				return [][]byte{g}
			}
			return [][]byte{f}
		}, "does not open"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := ztest.Ctx(t)
			rt := newRuntime(t)
			so, co, _, _ := curveOpts(t)
			ev, cev := make(chan zmqx.Event, 64), make(chan zmqx.Event, 64)
			so.Events, co.Events = ev, cev
			srv := mustSocket(t, rt, zmqx.PULL, so)
			if err := srv.Bind("tcp://127.0.0.1:*"); err != nil {
				t.Fatal(err)
			}
			cli := mustSocket(t, rt, zmqx.PUSH, co)
			if err := cli.Connect(relay(t, strings.TrimPrefix(srv.LastEndpoint(), "tcp://"), tc.mangle)); err != nil {
				t.Fatal(err)
			}
			ztest.Send(t, ctx, cli, "one")
			for {
				e := next(t, ctx, ev, zmqx.EventDisconnected)
				if e.Err != nil && strings.Contains(e.Err.Error(), tc.reason) {
					break
				}
				t.Logf("other disconnect: %v", e)
			}
			if tc.name == "replay" {
				ztest.Expect(t, ctx, srv, "one")
			}
			// The client reconnects (not mangled this time) and carries on.
			waitEvents(t, ctx, cev, zmqx.EventHandshaken, 2)
			ztest.Send(t, ctx, cli, "two")
			got := ztest.Recv(t, ctx, srv)
			if got[0] == "one" {
				got = ztest.Recv(t, ctx, srv)
			}
			if got[0] != "two" {
				t.Fatalf("got %q", got)
			}
		})
	}
}

// plainCopy copies without splice (whose cached pipes would count as
// leaked descriptors).
func plainCopy(w io.Writer, r io.Reader) {
	io.Copy(struct{ io.Writer }{w}, struct{ io.Reader }{r})
}

var _ = errors.New

// recordingAuth answers with a fixed reply and keeps the requests.
type recordingAuth struct {
	mu    sync.Mutex
	reqs  []zmqx.ZAPRequest
	reply zmqx.ZAPReply
}

func (a *recordingAuth) Authenticate(_ context.Context, r *zmqx.ZAPRequest) zmqx.ZAPReply {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reqs = append(a.reqs, *r)
	return a.reply
}

// TestZAPRequestFields: the authenticator gets RFC 27's fields, and the
// metadata of its reply reaches the messages.
func TestZAPRequestFields(t *testing.T) {
	ctx := ztest.Ctx(t)
	auth := &recordingAuth{reply: zmqx.ZAPReply{StatusCode: "200", StatusText: "OK", UserID: "u-1", Metadata: map[string]string{"X-Desk": "fx"}}}
	rt := zmqx.NewRuntime(zmqx.Config{Auth: auth})
	defer rt.Close()
	so, co, _, clientPub := curveOpts(t)
	so.ZAPDomain, so.RoutingID = "trading", []byte("srv")
	srv := mustSocket(t, rt, zmqx.PULL, so)
	cli := mustSocket(t, rt, zmqx.PUSH, co)
	bindConnect(t, srv, cli)
	ztest.Send(t, ctx, cli, "x")
	msgs, err := srv.RecvMsg(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := msgs[0].Metadata("X-Desk"); d != "fx" {
		t.Errorf("ZAP metadata X-Desk = %q", d)
	}
	if u, _ := msgs[0].Metadata("user-id"); u != "u-1" {
		t.Errorf("User-Id = %q", u)
	}
	n := 0
	msgs[0].Properties().Each(func(name, value string) { n++ })
	if n != 4 { // User-Id, Peer-Address, X-Desk and the peer's Socket-Type (no Identity: none set)
		t.Errorf("%d properties", n)
	}
	msgs[0].Close()
	auth.mu.Lock()
	defer auth.mu.Unlock()
	if len(auth.reqs) != 1 {
		t.Fatalf("%d requests", len(auth.reqs))
	}
	r := auth.reqs[0]
	if r.Version != "1.0" || r.RequestID == "" || r.Domain != "trading" || r.Address != "127.0.0.1" ||
		string(r.Identity) != "srv" || r.Mechanism != "CURVE" || len(r.Credentials) != 1 || !bytes.Equal(r.Credentials[0], clientPub[:]) {
		t.Fatalf("request %+v", r)
	}
}
