package zmqx_test

import (
	"testing"

	"github.com/zmqx/zmqx"
	"github.com/zmqx/zmqx/internal/ztest"
)

func newRuntime(t *testing.T) *zmqx.Runtime {
	rt := zmqx.NewRuntime(zmqx.Config{})
	t.Cleanup(func() { rt.Close() })
	return rt
}

func mustSocket(t *testing.T, rt *zmqx.Runtime, typ zmqx.SocketType, o ...zmqx.SocketOptions) *zmqx.Socket {
	t.Helper()
	s, err := rt.Socket(typ, o...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// bindConnect binds srv to a free tcp loopback port and connects cli to it.
func bindConnect(t *testing.T, srv, cli *zmqx.Socket) {
	t.Helper()
	if err := srv.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	if err := cli.Connect(srv.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
}

func TestSmokeReqRep(t *testing.T) {
	for _, tr := range []string{"tcp://127.0.0.1:*", "ipc://*", "inproc://smoke"} {
		t.Run(tr, func(t *testing.T) {
			ctx := ztest.Ctx(t)
			rt := newRuntime(t)
			rep := mustSocket(t, rt, zmqx.REP)
			req := mustSocket(t, rt, zmqx.REQ)
			if err := rep.Bind(tr); err != nil {
				t.Fatal(err)
			}
			if err := req.Connect(rep.LastEndpoint()); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 100; i++ {
				if err := req.Send(ctx, []byte("ping")); err != nil {
					t.Fatal(err)
				}
				msg, err := rep.Recv(ctx)
				if err != nil || len(msg) != 1 || string(msg[0]) != "ping" {
					t.Fatalf("rep got %q %v", msg, err)
				}
				if err := rep.Send(ctx, []byte("pong")); err != nil {
					t.Fatal(err)
				}
				msg, err = req.Recv(ctx)
				if err != nil || len(msg) != 1 || string(msg[0]) != "pong" {
					t.Fatalf("req got %q %v", msg, err)
				}
			}
		})
	}
}
