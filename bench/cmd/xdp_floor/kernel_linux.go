package main

import (
	"fmt"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// kernelPinger is a kernel UDP or TCP socket driven with non-blocking raw
// syscalls, spinning, so it is measured the way the AF_XDP path is.
type kernelPinger struct {
	fd     int
	stream int // TCP: the message size, read in full; UDP: 0
}

func openKernel(c *config) (pinger, error) {
	typ := unix.SOCK_DGRAM
	if c.transport == "tcp" {
		typ = unix.SOCK_STREAM
	}
	local := &unix.SockaddrInet4{Port: int(c.local.Port()), Addr: c.local.Addr().As4()}
	peer := &unix.SockaddrInet4{Port: int(c.peer.Port()), Addr: c.peer.Addr().As4()}
	fd, err := unix.Socket(unix.AF_INET, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	if err := unix.Bind(fd, local); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("bind", err)
	}
	switch {
	case c.transport == "udp":
		err = unix.Connect(fd, peer)
	case c.role == "server":
		if err = unix.Listen(fd, 1); err == nil {
			fmt.Println("ready") // the client may connect now
			var nfd int
			nfd, _, err = unix.Accept4(fd, unix.SOCK_CLOEXEC)
			unix.Close(fd)
			fd = nfd
		}
	default:
		for tries := 0; ; tries++ {
			if err = unix.Connect(fd, peer); err != unix.ECONNREFUSED || tries == 100 {
				break
			}
			time.Sleep(10 * time.Millisecond) // the server is not listening yet
		}
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("%s %s: %w", c.transport, c.role, err)
	}
	if c.transport == "tcp" {
		unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	}
	fmt.Printf("transport: kernel %s\n", c.transport)
	k := &kernelPinger{fd: fd}
	if c.transport == "tcp" {
		k.stream = c.size
	}
	return k, nil
}

func (k *kernelPinger) send(b []byte) error {
	for len(b) > 0 {
		n, _, e := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(k.fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), unix.MSG_DONTWAIT, 0, 0)
		if e == unix.EAGAIN {
			continue
		}
		if e != 0 {
			return os.NewSyscallError("sendto", e)
		}
		b = b[n:]
	}
	return nil
}

// recv spins for one message: one datagram, or for TCP (no message
// boundaries) exactly the message size both ends use.
func (k *kernelPinger) recv(b []byte) (int, error) {
	want := len(b)
	if k.stream > 0 {
		want = k.stream
	}
	got := 0
	var deadline time.Time
	for spins := 0; ; spins++ {
		n, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(k.fd), uintptr(unsafe.Pointer(&b[got])), uintptr(want-got), unix.MSG_DONTWAIT, 0, 0)
		if e == unix.EAGAIN {
			if spins&0xffff == 0xffff && got == 0 {
				if deadline.IsZero() {
					deadline = time.Now().Add(2 * time.Second)
				} else if time.Now().After(deadline) {
					return 0, errNoReply
				}
			}
			continue
		}
		if e != 0 {
			return 0, os.NewSyscallError("recvfrom", e)
		}
		if n == 0 {
			return 0, fmt.Errorf("peer closed")
		}
		got += int(n)
		if k.stream == 0 || got == want {
			return got, nil
		}
	}
}

func (k *kernelPinger) close() error { return unix.Close(k.fd) }
