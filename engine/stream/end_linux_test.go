package stream

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (a, b *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	acc := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		acc <- c
	}()
	d, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	p := <-acc
	if p == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { d.Close(); p.Close() })
	return d.(*net.TCPConn), p.(*net.TCPConn)
}

func rawFD(t *testing.T, c *net.TCPConn) int {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	fd := -1
	rc.Control(func(f uintptr) { fd = int(f) })
	return fd
}

// TestEndKeepsDrivenDescriptor: a socket closing with no linger ends a
// connection that an agent drives through its raw descriptor by shutting
// it down, not by closing it: the worker or invoker may be inside a read
// or write on that descriptor number until the engine takes the agent
// back, and a closed number can be reused by another file meanwhile.
// Connections nobody drives raw are closed as before.
//
// Both as Go's net.Conn and taken out of the poller (unpoll).
func TestEndKeepsDrivenDescriptor(t *testing.T) {
	for _, tc := range []struct {
		grace    time.Duration
		unpolled bool
	}{{0, false}, {time.Second, false}, {0, true}, {time.Second, true}} {
		grace := tc.grace
		local, peer := tcpPair(t)
		fd := rawFD(t, local)
		var nc net.Conn = local
		if tc.unpolled {
			var err error
			if nc, _, fd, err = unpoll(local, fd); err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
		}
		c := &conn{c: nc, rawDriven: true}
		c.end(grace)

		// The peer sees the end of the stream...
		peer.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := peer.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("grace %v: peer read %v, want EOF", grace, err)
		}
		// ...while the descriptor is still ours and open.
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
			t.Fatalf("grace %v: descriptor %d closed under the agent: %v", grace, fd, err)
		}
		sa, err := unix.Getsockname(fd)
		if err != nil {
			t.Fatalf("grace %v: getsockname(%d): %v", grace, fd, err)
		}
		if in, ok := sa.(*unix.SockaddrInet4); !ok || in.Port != local.LocalAddr().(*net.TCPAddr).Port {
			t.Fatalf("grace %v, unpolled %v: descriptor %d is %v, not the connection", grace, tc.unpolled, fd, sa)
		}
	}

	// Not driven raw: closed at once.
	local, _ := tcpPair(t)
	c := &conn{c: local}
	c.end(0)
	if _, err := local.Write([]byte{1}); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("undriven connection after end: write %v, want net.ErrClosed", err)
	}
}
