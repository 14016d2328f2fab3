package tcp

import (
	"context"
	"net"
	"syscall"
	"testing"
)

func noDelayOf(t *testing.T, c net.Conn) int {
	t.Helper()
	raw, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var serr error
	raw.Control(func(fd uintptr) {
		v, serr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_NODELAY)
	})
	if serr != nil {
		t.Fatal(serr)
	}
	return v
}

// TestNagleOff checks TCP_NODELAY on both ends of a connection.
func TestNagleOff(t *testing.T) {
	l, err := TCP{}.Listen("127.0.0.1:*", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			accepted <- nil
			return
		}
		accepted <- c
	}()
	c, err := TCP{}.Dial(context.Background(), l.Endpoint(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a := <-accepted
	if a == nil {
		t.Fatal("accept failed")
	}
	defer a.Close()
	if noDelayOf(t, c) == 0 || noDelayOf(t, a) == 0 {
		t.Fatal("Nagle's algorithm is on")
	}
}

func TestAddresses(t *testing.T) {
	for _, c := range []struct {
		addr string
		bind bool
		ok   bool
	}{
		{"127.0.0.1:5555", false, true},
		{"*:5555", true, true},
		{"*:*", true, true},
		{"*:5555", false, false},
		{"127.0.0.1:*", false, false},
		{"[::1]:0", true, true},
		{"nohost", false, false},
		{":5555", false, false},
	} {
		_, err := tcpAddr(c.addr, c.bind)
		if (err == nil) != c.ok {
			t.Errorf("tcpAddr(%q, bind=%v) = %v", c.addr, c.bind, err)
		}
	}
}
