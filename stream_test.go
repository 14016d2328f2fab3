package zmqx_test

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/zmqx/zmqx"
	"github.com/zmqx/zmqx/internal/ztest"
)

// readN reads exactly n bytes from c.
func readN(t *testing.T, c net.Conn, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("raw peer read: %v", err)
	}
	return string(b)
}

// TestStreamBind: raw peers connect to a bound STREAM socket; connects and
// disconnects are announced as [id, empty]; data goes both ways as it is;
// [id, empty] closes the peer's connection.
func TestStreamBind(t *testing.T) {
	for _, ep := range []string{"tcp://127.0.0.1:*", "ipc://*"} {
		t.Run(ep[:3], func(t *testing.T) {
			ctx := ztest.Ctx(t)
			rt := newRuntime(t)
			s := mustSocket(t, rt, zmqx.STREAM)
			must(t, s.Bind(ep))
			network, addr, _ := strings.Cut(s.LastEndpoint(), "://")
			if network == "ipc" {
				network = "unix"
			}
			c, err := net.Dial(network, addr)
			must(t, err)
			defer c.Close()
			hello := ztest.Recv(t, ctx, s)
			if len(hello) != 2 || hello[1] != "" || hello[0] == "" {
				t.Fatalf("connect notification %q", hello)
			}
			id := hello[0]
			_, err = c.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
			must(t, err)
			got := ""
			for len(got) < len("GET / HTTP/1.0\r\n\r\n") {
				m := ztest.Recv(t, ctx, s)
				if len(m) != 2 || m[0] != id {
					t.Fatalf("received %q", m)
				}
				got += m[1]
			}
			if got != "GET / HTTP/1.0\r\n\r\n" {
				t.Fatalf("received %q", got)
			}
			ztest.Send(t, ctx, s, id, "HTTP/1.0 200 OK\r\n", "\r\n") // frames are written back to back
			if r := readN(t, c, 19); r != "HTTP/1.0 200 OK\r\n\r\n" {
				t.Fatalf("raw peer read %q", r)
			}
			ztest.Send(t, ctx, s, id, "") // close it
			if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF {
				t.Fatalf("after close: %d %v", n, err)
			}
			ztest.Expect(t, ctx, s, id, "") // the disconnect notification
			if err := s.Send(ctx, []byte(id), []byte("x")); !errors.Is(err, zmqx.ErrHostUnreachable) {
				t.Fatalf("send to a closed peer: %v", err)
			}

			// A peer that hangs up is announced too.
			c2, err := net.Dial(network, addr)
			must(t, err)
			id2 := ztest.Recv(t, ctx, s)[0]
			if id2 == id {
				t.Fatal("routing id reused")
			}
			c2.Close()
			ztest.Expect(t, ctx, s, id2, "")
		})
	}
}

// TestStreamConnect: a STREAM socket connects to a raw listener, names the
// peer with ConnectRoutingID, and talks to it.
func TestStreamConnect(t *testing.T) {
	ctx := ztest.Ctx(t)
	rt := newRuntime(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	s := mustSocket(t, rt, zmqx.STREAM, zmqx.SocketOptions{ConnectRoutingID: []byte("srv")})
	must(t, s.Connect("tcp://"+l.Addr().String()))
	c, err := l.Accept()
	must(t, err)
	defer c.Close()
	ztest.Expect(t, ctx, s, "srv", "")
	ztest.Send(t, ctx, s, "srv", "ping")
	if r := readN(t, c, 4); r != "ping" {
		t.Fatalf("listener read %q", r)
	}
	_, err = c.Write([]byte("pong"))
	must(t, err)
	ztest.Expect(t, ctx, s, "srv", "pong")

	if err := s.Bind("inproc://x"); !errors.Is(err, zmqx.ErrNotSupported) {
		t.Fatalf("STREAM over inproc: %v", err)
	}
	if typ, err := zmqx.ParseSocketType("STREAM"); err != nil || typ != zmqx.STREAM {
		t.Fatalf("ParseSocketType: %v %v", typ, err)
	}
}

// TestStreamModes: STREAM connections run on goroutines of their own, in
// whatever mode the runtime drives ZMTP connections.
func TestStreamModes(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			ctx := ztest.Ctx(t)
			rt := zmqx.NewRuntime(m.cfg)
			defer rt.Close()
			s := mustSocket(t, rt, zmqx.STREAM)
			must(t, s.Bind("tcp://127.0.0.1:*"))
			c, err := net.Dial("tcp", strings.TrimPrefix(s.LastEndpoint(), "tcp://"))
			must(t, err)
			defer c.Close()
			id := ztest.Recv(t, ctx, s)[0]
			for i := range 20 {
				_, err := c.Write([]byte{byte('a' + i)})
				must(t, err)
				ztest.Expect(t, ctx, s, id, string(rune('a'+i)))
				ztest.Send(t, ctx, s, id, string(rune('A'+i)))
				if r := readN(t, c, 1); r != string(rune('A'+i)) {
					t.Fatalf("echo %d: %q", i, r)
				}
			}
			c.Close()
			ztest.Expect(t, ctx, s, id, "")
		})
	}
}

// TestStreamCloseLingers: what was sent before Close reaches the peer
// whole (within the linger), then the connection ends.
func TestStreamCloseLingers(t *testing.T) {
	ctx := ztest.Ctx(t)
	rt := newRuntime(t)
	s := mustSocket(t, rt, zmqx.STREAM, zmqx.SocketOptions{Linger: 10 * time.Second})
	must(t, s.Bind("tcp://127.0.0.1:*"))
	c, err := net.Dial("tcp", strings.TrimPrefix(s.LastEndpoint(), "tcp://"))
	must(t, err)
	defer c.Close()
	id := ztest.Recv(t, ctx, s)[0]
	got := make(chan int, 1)
	go func() {
		b, _ := io.ReadAll(c)
		got <- len(b)
	}()
	big := make([]byte, 8<<20)
	must(t, s.Send(ctx, []byte(id), big))
	must(t, s.Close())
	if n := <-got; n != len(big) {
		t.Fatalf("the peer read %d bytes of %d", n, len(big))
	}
}
