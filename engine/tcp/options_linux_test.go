package tcp

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/zmqx/zmqx/core"
)

func sockopt(t *testing.T, c net.Conn, level, opt int) int {
	t.Helper()
	raw, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var serr error
	raw.Control(func(fd uintptr) { v, serr = syscall.GetsockoptInt(int(fd), level, opt) })
	if serr != nil {
		t.Fatal(serr)
	}
	return v
}

// TestConnectionOptions: each TCP option is on the socket, both the dialled
// and the accepted one, read back from the kernel.
func TestConnectionOptions(t *testing.T) {
	o := &core.Options{
		TCPKeepAlive: 1, TCPKeepAliveIdle: 7 * time.Second, TCPKeepAliveInterval: 3 * time.Second, TCPKeepAliveCount: 4,
		SendBuffer: 64 << 10, RecvBuffer: 96 << 10, TOS: 0x10, TCPMaxRT: 1500 * time.Millisecond,
	}
	if err := (TCP{}).CheckOptions(o); err != nil {
		t.Fatal(err)
	}
	l, err := TCP{}.Listen("127.0.0.1:*", o)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 2)
	go func() {
		for range 2 {
			c, _ := l.Accept()
			accepted <- c
		}
	}()
	c, err := TCP{}.Dial(context.Background(), l.Endpoint(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a := <-accepted
	if a == nil {
		t.Fatal("accept failed")
	}
	defer a.Close()
	for name, conn := range map[string]net.Conn{"dialled": c, "accepted": a} {
		checks := []struct {
			what          string
			level, opt    int
			want, atLeast int
		}{
			{"SO_KEEPALIVE", syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, 1, 0},
			{"TCP_KEEPIDLE", syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE, 7, 0},
			{"TCP_KEEPINTVL", syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL, 3, 0},
			{"TCP_KEEPCNT", syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT, 4, 0},
			{"TCP_USER_TIMEOUT", syscall.IPPROTO_TCP, tcpUserTimeout, 1500, 0},
			{"IP_TOS", syscall.IPPROTO_IP, syscall.IP_TOS, 0x10, 0},
			// The kernel doubles buffer sizes for its bookkeeping.
			{"SO_SNDBUF", syscall.SOL_SOCKET, syscall.SO_SNDBUF, 0, 64 << 10},
			{"SO_RCVBUF", syscall.SOL_SOCKET, syscall.SO_RCVBUF, 0, 96 << 10},
		}
		for _, ch := range checks {
			got := sockopt(t, conn, ch.level, ch.opt)
			if ch.atLeast > 0 && (got < ch.atLeast || got > 4*ch.atLeast) || ch.atLeast == 0 && got != ch.want {
				t.Errorf("%s: %s = %d, want %d", name, ch.what, got, max(ch.want, ch.atLeast))
			}
		}
	}
	// Keepalive off, explicitly.
	off := &core.Options{TCPKeepAlive: -1}
	d, err := TCP{}.Dial(context.Background(), l.Endpoint(), off)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if a := <-accepted; a != nil {
		a.Close()
	}
	if v := sockopt(t, d, syscall.SOL_SOCKET, syscall.SO_KEEPALIVE); v != 0 {
		t.Errorf("TCPKeepAlive -1: SO_KEEPALIVE = %d", v)
	}
}

// TestBindToDevice: connections bound to lo work; a device that does not
// exist is refused with the system's reason.
func TestBindToDevice(t *testing.T) {
	o := &core.Options{BindToDevice: "lo"}
	l, err := TCP{}.Listen("127.0.0.1:*", o)
	if err != nil {
		if errors.Is(err, syscall.EPERM) {
			t.Skip("SO_BINDTODEVICE needs CAP_NET_RAW: ", err)
		}
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		if c, err := l.Accept(); err == nil {
			c.Close()
		}
	}()
	c, err := TCP{}.Dial(context.Background(), l.Endpoint(), o)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := (TCP{}).Dial(context.Background(), l.Endpoint(), &core.Options{BindToDevice: "no-such-nic0"}); err == nil {
		t.Fatal("a connection bound to a device that does not exist")
	}
}
