package main

import (
	"fmt"
	"io"
	"net"
	"unsafe"

	"golang.org/x/sys/unix"
)

// spinConn is --mode spin: a non-blocking descriptor read and written with
// raw system calls in a busy loop.
type spinConn struct{ fd uintptr }

// newSpinConn takes c's socket out of Go's poller: it duplicates the
// descriptor and closes c, which deletes c's descriptor from the poller's
// epoll set. Otherwise every arriving message would also wake an idle
// thread of this process blocked in epoll_wait, on the pinned CPU. The
// duplicate is made with dup(2) directly, not with c.File, because an
// os.File registers its descriptor with the poller again.
func newSpinConn(c *net.TCPConn) (conn, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		c.Close()
		return nil, err
	}
	fd := -1
	cerr := rc.Control(func(s uintptr) { fd, err = unix.Dup(int(s)) })
	c.Close()
	if cerr != nil {
		return nil, cerr
	}
	if err != nil {
		return nil, fmt.Errorf("dup: %w", err)
	}
	unix.CloseOnExec(fd)
	// The duplicate shares the file status flags, so this is already set;
	// say so rather than depend on how net opened the socket.
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return &spinConn{fd: uintptr(fd)}, nil
}

func (c *spinConn) readFull(b []byte) error {
	for off := 0; off < len(b); {
		n, _, errno := unix.RawSyscall(unix.SYS_READ, c.fd, uintptr(unsafe.Pointer(&b[off])), uintptr(len(b)-off))
		switch {
		case errno == unix.EAGAIN || errno == unix.EINTR:
		case errno != 0:
			return fmt.Errorf("read: %w", errno)
		case n == 0 && off == 0:
			return io.EOF
		case n == 0:
			return io.ErrUnexpectedEOF
		default:
			off += int(n)
		}
	}
	return nil
}

func (c *spinConn) writeAll(b []byte) error {
	for off := 0; off < len(b); {
		n, _, errno := unix.RawSyscall(unix.SYS_WRITE, c.fd, uintptr(unsafe.Pointer(&b[off])), uintptr(len(b)-off))
		switch {
		case errno == unix.EAGAIN || errno == unix.EINTR:
		case errno != 0:
			return fmt.Errorf("write: %w", errno)
		default:
			off += int(n)
		}
	}
	return nil
}

func (c *spinConn) Close() error { return unix.Close(int(c.fd)) }
