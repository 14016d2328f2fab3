package interop

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zmqx/zmqx"
	"github.com/zmqx/zmqx/core"
	"github.com/zmqx/zmqx/internal/ztest"
)

var (
	pyCurveOnce sync.Once
	pyCurveErr  error
)

// requirePyCurve is requirePython for a libzmq built with CURVE.
func requirePyCurve(t *testing.T) {
	require(t, "pyzmq with CURVE", func() (string, error) {
		bin, err := findPython()
		if err != nil {
			return "", err
		}
		pyCurveOnce.Do(func() {
			out, err := exec.Command(bin, "-c", "import zmq, sys; sys.exit(0 if zmq.has('curve') else 3)").CombinedOutput()
			if err != nil {
				pyCurveErr = fmt.Errorf("%s: libzmq without CURVE (zmq.has(\"curve\") is false): %v %s", bin, err, out)
			}
		})
		return bin, pyCurveErr
	})
}

type curveSet struct {
	serverPub, serverSec, clientPub, clientSec zmqx.CurveKey
}

func newCurveSet(t *testing.T) curveSet {
	var c curveSet
	var err error
	if c.serverPub, c.serverSec, err = zmqx.NewCurveKeyPair(); err != nil {
		t.Fatal(err)
	}
	if c.clientPub, c.clientSec, err = zmqx.NewCurveKeyPair(); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c curveSet) zServer() zmqx.SocketOptions {
	return zmqx.SocketOptions{CurveServer: true, CurveSecretKey: c.serverSec}
}

func (c curveSet) zClient() zmqx.SocketOptions {
	return zmqx.SocketOptions{CurveSecretKey: c.clientSec, CurvePublicKey: c.clientPub, CurveServerKey: c.serverPub}
}

func (c curveSet) pyServer() string { return "curve_server " + c.serverSec.String() }

func (c curveSet) pyClient(serverKey zmqx.CurveKey) string {
	return fmt.Sprintf("curve_client %s %s %s", c.clientSec, c.clientPub, serverKey)
}

// TestPyCurve: CURVE between zmqx and libzmq (pyzmq) in both roles and
// both bind directions: requests and replies, multipart, a message larger
// than a segment and one of a few MiB; the User-Id and Socket-Type of the
// connection on zmqx's received messages; and refusals with the reasons
// each side learns.
func TestPyCurve(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
	mid := strings.Repeat("x", 100<<10)              // 100 KiB
	each := func(t *testing.T, f func(t *testing.T, zb bool)) {
		t.Run("zmqx-binds", func(t *testing.T) { requirePyCurve(t); f(t, true) })
		t.Run("pyzmq-binds", func(t *testing.T) { requirePyCurve(t); f(t, false) })
	}
	exchange := func(t *testing.T, z zEnd, p pyEnd, zIsReq bool) {
		req, rep := end(z), end(p)
		if !zIsReq {
			req, rep = p, z
		}
		for i := 0; i < 3; i++ {
			req.send("order", "", fmt.Sprint(i))
			expectEnd(t, rep, "order", "", fmt.Sprint(i))
			rep.send("filled", fmt.Sprint(i))
			expectEnd(t, req, "filled", fmt.Sprint(i))
		}
		req.send(mid, "tail")
		expectEnd(t, rep, mid, "tail")
		rep.send(big)
		expectEnd(t, req, big)
	}
	t.Run("zmqx-server", func(t *testing.T) {
		each(t, func(t *testing.T, zb bool) {
			ctx := ztest.Ctx(t)
			keys := newCurveSet(t)
			rt := zmqx.NewRuntime(zmqx.Config{Auth: zmqx.NewAuth().AllowCurve(keys.clientPub)})
			t.Cleanup(func() { rt.Close() })
			rep, err := rt.Socket(zmqx.REP, keys.zServer())
			must(t, err)
			req := newPyPeer(t, "REQ", keys.pyClient(keys.serverPub))
			linkPy(t, rep, req, zb, "tcp")
			pyEnd{req}.send("hello")
			msgs, err := rep.RecvMsg(ctx, nil)
			must(t, err)
			if u, _ := msgs[0].Metadata("User-Id"); u != keys.clientPub.String() {
				t.Errorf("User-Id %q, want the client's key %s", u, keys.clientPub)
			}
			if st, _ := msgs[0].Metadata("Socket-Type"); st != "REQ" {
				t.Errorf("Socket-Type %q", st)
			}
			for i := range msgs {
				msgs[i].Close()
			}
			ztest.Send(t, ctx, rep, "hi")
			expectEnd(t, pyEnd{req}, "hi")
			exchange(t, zEnd{t, ctx, rep}, pyEnd{req}, false)
		})
	})
	t.Run("pyzmq-server", func(t *testing.T) {
		each(t, func(t *testing.T, zb bool) {
			ctx := ztest.Ctx(t)
			keys := newCurveSet(t)
			rep := newPyPeer(t, "REP", keys.pyServer())
			req := zsock(t, zmqx.REQ, keys.zClient())
			linkPy(t, req, rep, zb, "tcp")
			exchange(t, zEnd{t, ctx, req}, pyEnd{rep}, true)
		})
	})
	t.Run("pyzmq-client-wrong-server-key", func(t *testing.T) {
		each(t, func(t *testing.T, zb bool) {
			ctx := ztest.Ctx(t)
			keys := newCurveSet(t)
			events := make(chan zmqx.Event, 64)
			o := keys.zServer()
			o.Events = events
			pull := zsock(t, zmqx.PULL, o)
			push := newPyPeer(t, "PUSH", keys.pyClient(keys.clientPub), "monitor") // not the server's key
			linkPy(t, pull, push, zb, "tcp")
			e := waitEvent(t, ctx, events, core.EventHandshakeFailed, core.EventHandshaken)
			if e.Failure != core.HandshakeAuth || !strings.Contains(e.Err.Error(), "HELLO") {
				t.Fatalf("zmqx server: %v", e)
			}
			// libzmq reads the ERROR zmqx sends (its reason is not a ZAP
			// status code, so it reports no AUTH event) and gives up on the
			// connection; it may report that as a protocol failure.
			if ev, ok := push.event("HANDSHAKE_FAILED_AUTH|HANDSHAKE_FAILED_PROTOCOL|HANDSHAKE_FAILED_NO_DETAIL|DISCONNECTED", recvWait); ok {
				t.Logf("pyzmq client: %s", ev)
			} else {
				t.Fatalf("pyzmq client: no failure event (%s)", ev)
			}
			if m, ok := (zEnd{t, ctx, pull}).tryRecv(100 * time.Millisecond); ok {
				t.Fatalf("zmqx server received %q from a refused client", m)
			}
		})
	})
	t.Run("pyzmq-client-refused-by-zap", func(t *testing.T) {
		each(t, func(t *testing.T, zb bool) {
			ctx := ztest.Ctx(t)
			keys := newCurveSet(t)
			rt := zmqx.NewRuntime(zmqx.Config{Auth: zmqx.NewAuth()}) // admits no key
			t.Cleanup(func() { rt.Close() })
			events := make(chan zmqx.Event, 64)
			o := keys.zServer()
			o.Events = events
			pull, err := rt.Socket(zmqx.PULL, o)
			must(t, err)
			push := newPyPeer(t, "PUSH", keys.pyClient(keys.serverPub), "monitor")
			linkPy(t, pull, push, zb, "tcp")
			e := waitEvent(t, ctx, events, core.EventHandshakeFailed, core.EventHandshaken)
			if e.Failure != core.HandshakeAuth || !strings.Contains(e.Err.Error(), "400") {
				t.Fatalf("zmqx server: %v", e)
			}
			// The ERROR carries the status code, which libzmq reports.
			if ev, ok := push.event("HANDSHAKE_FAILED_AUTH", recvWait); !ok || ev != "HANDSHAKE_FAILED_AUTH 400" {
				t.Fatalf("pyzmq client: %s", ev)
			}
		})
	})
	t.Run("zmqx-client-wrong-server-key", func(t *testing.T) {
		each(t, func(t *testing.T, zb bool) {
			ctx := ztest.Ctx(t)
			keys := newCurveSet(t)
			pull := newPyPeer(t, "PULL", keys.pyServer(), "monitor")
			events := make(chan zmqx.Event, 64)
			o := keys.zClient()
			o.CurveServerKey, o.Events = keys.clientPub, events // not the server's key
			o.CurvePublicKey, o.CurveSecretKey = keys.clientPub, keys.clientSec
			push := zsock(t, zmqx.PUSH, o)
			linkPy(t, push, pull, zb, "tcp")
			// libzmq cannot open HELLO: it reports a protocol failure
			// (cryptographic) and drops the connection without ERROR.
			if ev, ok := pull.event("HANDSHAKE_FAILED_PROTOCOL", recvWait); !ok {
				t.Fatalf("pyzmq server: %s", ev)
			} else {
				t.Logf("pyzmq server: %s", ev)
			}
			e := waitEvent(t, ctx, events, core.EventHandshakeFailed, core.EventHandshaken)
			t.Logf("zmqx client: %v", e)
		})
	})
}

var _ = errors.New

// TestPyCurvePatterns: the pyzmq pattern exchanges over CURVE, zmqx as the
// server (the first side) and as the client, each binding and connecting.
// Subscriptions cross as sealed SUBSCRIBE commands both ways.
func TestPyCurvePatterns(t *testing.T) {
	t.Run("REQ-REP", func(t *testing.T) { pairSecure(t, "tcp", side{typ: "REQ"}, side{typ: "REP"}, true, reqRep) })
	t.Run("DEALER-ROUTER", func(t *testing.T) {
		pairSecure(t, "tcp", side{typ: "DEALER", routingID: "D-1"}, side{typ: "ROUTER"}, true, dealerRouter)
	})
	t.Run("PUSH-PULL", func(t *testing.T) { pairSecure(t, "tcp", side{typ: "PUSH"}, side{typ: "PULL"}, true, pushPull) })
	t.Run("PUB-SUB", func(t *testing.T) { pairSecure(t, "tcp", side{typ: "PUB"}, side{typ: "SUB"}, true, pubSub) })
	t.Run("ipc", func(t *testing.T) { pairSecure(t, "ipc", side{typ: "PUSH"}, side{typ: "PULL"}, true, pushPull) })
}

// TestPyZAPNull: a zmqx socket with a ZAP domain whose authenticator denies
// the address refuses a NULL libzmq peer, which reports the status code;
// with the address allowed, messages flow and carry the peer's properties.
func TestPyZAPNull(t *testing.T) {
	requirePython(t)
	for _, deny := range []bool{true, false} {
		t.Run(fmt.Sprintf("deny=%v", deny), func(t *testing.T) {
			ctx := ztest.Ctx(t)
			auth := zmqx.NewAuth().Allow("127.0.0.1")
			if deny {
				auth = zmqx.NewAuth().Deny("127.0.0.1")
			}
			rt := zmqx.NewRuntime(zmqx.Config{Auth: auth})
			t.Cleanup(func() { rt.Close() })
			events := make(chan zmqx.Event, 64)
			pull, err := rt.Socket(zmqx.PULL, zmqx.SocketOptions{ZAPDomain: "global", Events: events})
			must(t, err)
			push := newPyPeer(t, "PUSH", "monitor")
			linkPy(t, pull, push, true, "tcp")
			if deny {
				e := waitEvent(t, ctx, events, core.EventHandshakeFailed, core.EventHandshaken)
				if e.Failure != core.HandshakeAuth || !strings.Contains(e.Err.Error(), "denied") {
					t.Fatalf("zmqx: %v", e)
				}
				if ev, ok := push.event("HANDSHAKE_FAILED_AUTH", recvWait); !ok || ev != "HANDSHAKE_FAILED_AUTH 400" {
					t.Fatalf("pyzmq: %s", ev)
				}
				return
			}
			pyEnd{push}.send("hi")
			msgs, err := pull.RecvMsg(ctx, nil)
			must(t, err)
			for k, want := range map[string]string{"Socket-Type": "PUSH", "Peer-Address": "127.0.0.1"} {
				if got, _ := msgs[0].Metadata(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			msgs[0].Close()
		})
	}
}
