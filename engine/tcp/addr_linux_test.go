package tcp

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/zmqx/zmqx/core"
)

// TestBindInterface: an interface name binds to its address (lo: 127.0.0.1,
// IPv4 first), and an unknown name is a clear endpoint error.
func TestBindInterface(t *testing.T) {
	l, err := TCP{}.Listen("lo:*", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	host, _, _ := net.SplitHostPort(l.Endpoint())
	if host != "127.0.0.1" {
		t.Fatalf("bound lo at %s, want 127.0.0.1", l.Endpoint())
	}
	c, err := TCP{}.Dial(context.Background(), l.Endpoint(), nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()

	_, err = TCP{}.Listen("nosuchif0:*", nil)
	if !errors.Is(err, core.ErrEndpoint) || !strings.Contains(err.Error(), "network interface") {
		t.Fatalf("unknown interface: %v", err)
	}
	if _, err := (TCP{}).Listen("localhost:*", nil); !errors.Is(err, core.ErrEndpoint) {
		t.Fatalf("a DNS name for bind (libzmq takes none): %v", err)
	}
}

// TestSourceAddress: "SRC;DEST" connects from SRC, an IP address or an
// interface, with or without a port.
func TestSourceAddress(t *testing.T) {
	l, err := TCP{}.Listen("127.0.0.1:*", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// A free port on 127.0.0.2 for the source with a port.
	free, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	srcPort := free.Addr().String()
	free.Close()
	for _, c := range []struct{ src, want string }{
		{"127.0.0.2", "127.0.0.2"},
		{srcPort, srcPort},
		{"lo", "127.0.0.1"},
		{"[127.0.0.3]:0", "127.0.0.3"},
	} {
		conn, err := TCP{}.Dial(context.Background(), c.src+";"+l.Endpoint(), nil)
		if err != nil {
			t.Fatalf("from %s: %v", c.src, err)
		}
		peer, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		got := peer.RemoteAddr().String()
		if !strings.Contains(c.want, ":") {
			got, _, _ = net.SplitHostPort(got)
		}
		if got != c.want || conn.LocalAddr().String() != peer.RemoteAddr().String() {
			t.Fatalf("from %s: the listener saw %s", c.src, peer.RemoteAddr())
		}
		peer.Close()
		conn.Close()
	}
	for _, bad := range []string{"nosuchif0;127.0.0.1:5555", ";127.0.0.1:5555", "*;127.0.0.1:5555", "127.0.0.2:x;127.0.0.1:5555"} {
		if err := (TCP{}).CheckDial(bad); !errors.Is(err, core.ErrEndpoint) {
			t.Errorf("CheckDial(%q) = %v", bad, err)
		}
	}
}
