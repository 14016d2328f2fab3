package tcp

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/zmqx/zmqx/core"
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
		// Ports are numbers: no service names, nothing out of range, and
		// a connect needs one.
		{"127.0.0.1:abc", false, false},
		{"127.0.0.1:http", true, false},
		{"127.0.0.1:-1", false, false},
		{"127.0.0.1:99999", true, false},
		{"127.0.0.1:", false, false},
		{"127.0.0.1:", true, false},
		{"127.0.0.1:0", false, false},
		{"127.0.0.1:0", true, true},
	} {
		_, err := tcpAddr(c.addr, c.bind)
		if (err == nil) != c.ok || err != nil && !errors.Is(err, core.ErrEndpoint) {
			t.Errorf("tcpAddr(%q, bind=%v) = %v", c.addr, c.bind, err)
		}
	}
}

// A Unix socket path too long for sun_path is refused at once, by Connect
// and by Bind, as ErrEndpoint saying why; before, Connect took it and then
// failed on every retry with "invalid argument".
func TestIPCPathTooLong(t *testing.T) {
	long := "/tmp/" + strings.Repeat("x", 120)
	if err := (IPC{}).CheckDial(long); !errors.Is(err, core.ErrEndpoint) || !strings.Contains(err.Error(), "at most") {
		t.Errorf("CheckDial: %v", err)
	}
	if l, err := (IPC{}).Listen(long, nil); !errors.Is(err, core.ErrEndpoint) {
		if l != nil {
			l.Close()
		}
		t.Errorf("Listen: %v", err)
	}
	if err := (IPC{}).CheckDial("/tmp/" + strings.Repeat("x", maxIPCPath-5)); err != nil {
		t.Errorf("CheckDial of the longest path: %v", err)
	}
}
