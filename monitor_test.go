package zmqx_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/zmqx/zmqx"
	"github.com/zmqx/zmqx/internal/ztest"
)

// next returns the next event of type typ on ch, skipping others.
func next(t *testing.T, ctx context.Context, ch <-chan zmqx.Event, typ zmqx.EventType) zmqx.Event {
	t.Helper()
	for {
		select {
		case e := <-ch:
			if e.Type == typ {
				return e
			}
		case <-ctx.Done():
			t.Fatalf("no %v event", typ)
		}
	}
}

// TestMonitor: a monitor started and stopped at any time sees the events
// libzmq's monitor reports, with endpoints and reasons, and the handshake
// failures classified.
func TestMonitor(t *testing.T) {
	ctx := ztest.Ctx(t)
	rt := newRuntime(t)
	srv := mustSocket(t, rt, zmqx.REP, zmqx.SocketOptions{PlainAuth: func(u, p string) error {
		if p != "secret" {
			return errors.New("no")
		}
		return nil
	}})
	sm := make(chan zmqx.Event, 64)
	stopSrv := srv.Monitor(sm)
	if err := srv.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	if e := next(t, ctx, sm, zmqx.EventListening); e.Endpoint != srv.LastEndpoint() {
		t.Errorf("listening on %q, bound %q", e.Endpoint, srv.LastEndpoint())
	}
	other := mustSocket(t, rt, zmqx.REP)
	om := make(chan zmqx.Event, 8)
	other.Monitor(om)
	if err := other.Bind(srv.LastEndpoint()); err == nil {
		t.Fatal("second bind worked")
	}
	if e := next(t, ctx, om, zmqx.EventBindFailed); !errors.Is(e.Err, zmqx.ErrAddrInUse) {
		t.Errorf("bind failed: %v", e.Err)
	}

	good := mustSocket(t, rt, zmqx.REQ, zmqx.SocketOptions{PlainUsername: "u", PlainPassword: "secret"})
	gm := make(chan zmqx.Event, 64)
	good.Monitor(gm)
	if err := good.Connect(srv.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	next(t, ctx, gm, zmqx.EventConnectDelayed)
	next(t, ctx, gm, zmqx.EventConnected)
	next(t, ctx, gm, zmqx.EventHandshaken)
	next(t, ctx, sm, zmqx.EventAccepted)
	next(t, ctx, sm, zmqx.EventHandshaken)

	bad := mustSocket(t, rt, zmqx.REQ, zmqx.SocketOptions{PlainUsername: "u", PlainPassword: "wrong", ReconnectInterval: -1})
	if err := bad.Connect(srv.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	if e := next(t, ctx, sm, zmqx.EventHandshakeFailed); e.Failure != zmqx.HandshakeAuth {
		t.Errorf("refused client: %v, want an auth failure", e)
	}

	// A peer speaking something else: a protocol failure.
	c, err := net.Dial("tcp", strings.TrimPrefix(srv.LastEndpoint(), "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	if e := next(t, ctx, sm, zmqx.EventHandshakeFailed); e.Failure != zmqx.HandshakeProtocol {
		t.Errorf("HTTP client: %v, want a protocol failure", e)
	}

	// Stopping: the last event is MonitorStopped, and nothing follows.
	stopSrv()
	if e := next(t, ctx, sm, zmqx.EventMonitorStopped); e.Type != zmqx.EventMonitorStopped {
		t.Fatal(e)
	}
	srv.Close()
	select {
	case e := <-sm:
		t.Fatalf("event after stop: %v", e)
	case <-time.After(0):
	}
}
