package stream

import (
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zmqx/zmqx/internal/rawio"
)

// unpolledConn is a connection whose socket has been taken out of Go's
// network poller, for a connection that workers or invokers drive through
// its raw descriptor (they never wait in the poller for it). While a
// socket is in the poller's epoll set, every segment that arrives also
// runs epoll's wake-up callback, on the CPU that delivers it (over
// loopback and veth, the sender's), whether or not anyone waits: about
// 0.5 µs of a spinning round trip on the project's benchmark machine. A
// socket that no epoll set watches skips that: the kernel sees nobody
// waiting on it.
//
// The few blocking operations left after an agent has taken the
// connection (the closing drain, the invoker's wait for room, shutdown and
// deadlines) are served here with poll(2) in short slices, so that a
// deadline moved by another goroutine (closeGracefully) is seen at once.
//
// Close closes the descriptor only once no other method is using it (mu),
// and a descriptor closed is never used again (closed), so the number
// cannot be reused under one of them. The agent's own raw reads and writes
// are outside mu: as for any driven connection, end shuts it down and
// Serve closes it only after the agent has been taken back.
type unpolledConn struct {
	fd            int
	local, remote net.Addr

	mu     sync.RWMutex // held (shared) by every system call on fd
	closed bool

	rdl, wdl atomic.Int64 // read and write deadlines (Unix ns, 0: none)
}

// pollSlice bounds one wait in poll(2): how late a moved deadline can be
// noticed.
const pollSlice = 10 * time.Millisecond

// unpoll takes nc's socket out of the poller: it duplicates fd (nc's
// descriptor, taken with Control) and closes nc, which deletes nc's
// descriptor from the poller's epoll set; the duplicate, which nothing
// registers, carries the connection from here on. On failure nc is left as
// it was.
func unpoll(nc net.Conn, fd int) (net.Conn, syscall.RawConn, int, error) {
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, nil, -1, os.NewSyscallError("fcntl", err)
	}
	u := &unpolledConn{fd: nfd, local: nc.LocalAddr(), remote: nc.RemoteAddr()}
	nc.Close()
	return u, unpolledRaw{u}, nfd, nil
}

// do runs f on the descriptor, unless the connection is closed.
func (u *unpolledConn) do(f func(fd int) error) error {
	u.mu.RLock()
	defer u.mu.RUnlock()
	if u.closed {
		return net.ErrClosed
	}
	return f(u.fd)
}

// wait polls for events until one is ready, the deadline (Unix ns, 0:
// none) passes, or pollSlice has gone by.
func (u *unpolledConn) wait(events int16, deadline int64) error {
	d := pollSlice
	if deadline != 0 {
		left := time.Duration(deadline - time.Now().UnixNano())
		if left <= 0 {
			return os.ErrDeadlineExceeded
		}
		d = min(d, left)
	}
	// Whatever the wait ends with, the caller's next read or write on fd
	// finds out.
	return u.do(func(fd int) error { rawio.Await(fd, events, d); return nil })
}

// Read reads like a blocking net.Conn, within the read deadline.
func (u *unpolledConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		var n int
		var errno error
		if err := u.do(func(fd int) error { n, errno = unix.Read(fd, p); return nil }); err != nil {
			return 0, err
		}
		switch {
		case errno == nil && n == 0:
			return 0, io.EOF
		case errno == nil:
			return n, nil
		case errno != unix.EAGAIN && errno != unix.EINTR:
			return 0, os.NewSyscallError("read", errno)
		}
		if err := u.wait(unix.POLLIN, u.rdl.Load()); err != nil {
			return 0, err
		}
	}
}

// Write writes all of p like a blocking net.Conn, within the write
// deadline.
func (u *unpolledConn) Write(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		var n int
		var errno error
		if err := u.do(func(fd int) error { n, errno = unix.Write(fd, p[done:]); return nil }); err != nil {
			return done, err
		}
		switch {
		case errno == nil:
			done += n
			continue
		case errno != unix.EAGAIN && errno != unix.EINTR:
			return done, os.NewSyscallError("write", errno)
		}
		if err := u.wait(unix.POLLOUT, u.wdl.Load()); err != nil {
			return done, err
		}
	}
	return done, nil
}

// Close closes the descriptor once no other method is using it.
func (u *unpolledConn) Close() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return net.ErrClosed
	}
	u.closed = true
	return unix.Close(u.fd)
}

func (u *unpolledConn) shutdown(how int) error {
	return u.do(func(fd int) error {
		if err := unix.Shutdown(fd, how); err != nil {
			return os.NewSyscallError("shutdown", err)
		}
		return nil
	})
}

// CloseWrite shuts the sending side down (end of stream to the peer).
func (u *unpolledConn) CloseWrite() error { return u.shutdown(unix.SHUT_WR) }

// CloseRead shuts the receiving side down: reads report end of stream.
func (u *unpolledConn) CloseRead() error { return u.shutdown(unix.SHUT_RD) }

func (u *unpolledConn) LocalAddr() net.Addr  { return u.local }
func (u *unpolledConn) RemoteAddr() net.Addr { return u.remote }

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func (u *unpolledConn) SetDeadline(t time.Time) error {
	u.rdl.Store(unixNano(t))
	u.wdl.Store(unixNano(t))
	return nil
}

func (u *unpolledConn) SetReadDeadline(t time.Time) error {
	u.rdl.Store(unixNano(t))
	return nil
}

func (u *unpolledConn) SetWriteDeadline(t time.Time) error {
	u.wdl.Store(unixNano(t))
	return nil
}

// SyscallConn gives the descriptor to Control, and waits in poll(2) for
// Read and Write.
func (u *unpolledConn) SyscallConn() (syscall.RawConn, error) { return unpolledRaw{u}, nil }

type unpolledRaw struct{ u *unpolledConn }

func (r unpolledRaw) Control(f func(fd uintptr)) error {
	return r.u.do(func(fd int) error { f(uintptr(fd)); return nil })
}

func (r unpolledRaw) Read(f func(fd uintptr) bool) error {
	return r.await(f, unix.POLLIN, &r.u.rdl)
}

func (r unpolledRaw) Write(f func(fd uintptr) bool) error {
	return r.await(f, unix.POLLOUT, &r.u.wdl)
}

// await calls f until it reports done, waiting for events in between.
func (r unpolledRaw) await(f func(fd uintptr) bool, events int16, deadline *atomic.Int64) error {
	for {
		var ok bool
		if err := r.u.do(func(fd int) error { ok = f(uintptr(fd)); return nil }); err != nil {
			return err
		}
		if ok {
			return nil
		}
		if err := r.u.wait(events, deadline.Load()); err != nil {
			return err
		}
	}
}

var (
	_ net.Conn     = (*unpolledConn)(nil)
	_ syscall.Conn = (*unpolledConn)(nil)
)
