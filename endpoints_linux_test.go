package zmqx_test

import (
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/zmqx/zmqx"
	"github.com/zmqx/zmqx/internal/ztest"
)

// TestInterfaceAndSourceEndpoints: tcp://lo:* binds to lo's address, and
// tcp://127.0.0.2;HOST:PORT connects from 127.0.0.2 (the binder sees it).
func TestInterfaceAndSourceEndpoints(t *testing.T) {
	ctx := ztest.Ctx(t)
	rt := newRuntime(t)
	opts, events := watched()
	pull := mustSocket(t, rt, zmqx.PULL, opts)
	must(t, pull.Bind("tcp://lo:*"))
	if !strings.HasPrefix(pull.LastEndpoint(), "tcp://127.0.0.1:") {
		t.Fatalf("bound %s", pull.LastEndpoint())
	}
	push := mustSocket(t, rt, zmqx.PUSH)
	must(t, push.Connect("tcp://127.0.0.2;"+strings.TrimPrefix(pull.LastEndpoint(), "tcp://")))
	ztest.Send(t, ctx, push, "hi")
	ztest.Expect(t, ctx, pull, "hi")
	for e := range events {
		if e.Type == zmqx.EventAccepted {
			if host, _, _ := net.SplitHostPort(e.Remote); host != "127.0.0.2" {
				t.Fatalf("accepted a connection from %s", e.Remote)
			}
			break
		}
	}
	if err := pull.Bind("tcp://nosuchif0:*"); !errors.Is(err, zmqx.ErrEndpoint) {
		t.Fatalf("bind to an unknown interface: %v", err)
	}
	if err := push.Connect("tcp://nosuchif0;127.0.0.1:5555"); !errors.Is(err, zmqx.ErrEndpoint) {
		t.Fatalf("connect from an unknown interface: %v", err)
	}
}
