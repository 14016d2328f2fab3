//go:build unix

package rawio

import (
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Supported reports whether this OS has the raw paths.
const Supported = true

// EAGAIN is the errno of a non-blocking call that would block.
const EAGAIN = syscall.EAGAIN

// Read reads into p from a non-blocking fd: n > 0 bytes, 0 at end of
// stream, or -1 with the errno.
func Read(fd int, p []byte) (int, syscall.Errno) {
	if len(p) == 0 {
		return -1, syscall.EINVAL
	}
	n, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if e != 0 {
		return -1, e
	}
	return int(n), 0
}

// Vec is a reusable vector of buffers for Writev; keeping one per
// connection makes a gathered write allocate nothing.
type Vec struct{ iov []unix.Iovec }

// maxIov stays well under every kernel's IOV_MAX (1024 on Linux).
const maxIov = 512

// Writev writes bufs to a non-blocking fd with one system call and returns
// the bytes written (possibly fewer than asked), or -1 with the errno.
// blocking makes it an ordinary Syscall, for fds that may block.
func (v *Vec) Writev(fd int, bufs [][]byte, blocking bool) (int, syscall.Errno) {
	v.iov = v.iov[:0]
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		if len(v.iov) == maxIov {
			break
		}
		var io unix.Iovec
		io.Base = &b[0]
		io.SetLen(len(b))
		v.iov = append(v.iov, io)
	}
	if len(v.iov) == 0 {
		return 0, 0
	}
	call := unix.RawSyscall
	if blocking {
		call = unix.Syscall
	}
	if len(v.iov) == 1 {
		// One buffer (a lone small message, most often): write, which
		// spares the kernel importing an iovec array.
		n, _, e := call(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(v.iov[0].Base)), uintptr(v.iov[0].Len))
		clear(v.iov)
		if e != 0 {
			return -1, e
		}
		return int(n), 0
	}
	n, _, e := call(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&v.iov[0])), uintptr(len(v.iov)))
	clear(v.iov) // drop references to the buffers
	if e != 0 {
		return -1, e
	}
	return int(n), 0
}

// Writable reports whether fd can take bytes now (or has an error a write
// would report), without waiting.
func Writable(fd int) bool {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
	for {
		n, err := unix.Poll(fds, 0)
		if err == unix.EINTR {
			continue
		}
		return err != nil || (n > 0 && fds[0].Revents != 0)
	}
}

// AwaitWritable waits up to d (rounded up to a millisecond) for fd to take
// bytes, or have an error a write would report, and reports whether it
// may: false when the time ran out. An interrupted wait reports true (the
// caller's next write finds out). The wait blocks the calling thread (an
// ordinary system call), so it is for short waits.
func AwaitWritable(fd int, d time.Duration) bool { return Await(fd, unix.POLLOUT, d) }

// Await is AwaitWritable for any poll(2) events (unix.POLLIN, POLLOUT).
func Await(fd int, events int16, d time.Duration) bool {
	fds := [1]unix.PollFd{{Fd: int32(fd), Events: events}}
	ms := int((d + time.Millisecond - 1) / time.Millisecond)
	n, err := unix.Poll(fds[:], ms)
	return err != nil || n > 0
}
