package stream

import (
	"net"
	"os"
	"syscall"

	"github.com/zmqx/zmqx/internal/rawio"
)

// vecWriter writes a gather list to a connection: one writev system call
// through the connection's own file descriptor where there is one (parked
// in the poller while the socket buffer is full, allocating nothing),
// net.Buffers elsewhere.
type vecWriter struct {
	c    net.Conn
	rc   syscall.RawConn
	v    rawio.Vec
	bufs [][]byte
	n    int // written by step
	err  error
	fn   func(fd uintptr) bool // w.step, bound once
}

func newVecWriter(c net.Conn) *vecWriter {
	w := &vecWriter{c: c}
	if sc, ok := c.(syscall.Conn); ok && rawio.Supported {
		if rc, err := sc.SyscallConn(); err == nil {
			w.rc = rc
			w.fn = w.step
		}
	}
	return w
}

// write writes all of iov, and returns how many bytes were written: all of
// them unless it fails (the connection took the first n then). It may
// reslice iov's elements.
func (w *vecWriter) write(iov [][]byte) (int, error) {
	if len(iov) == 1 {
		return w.c.Write(iov[0])
	}
	if w.rc == nil {
		nb := net.Buffers(iov)
		n, err := nb.WriteTo(w.c)
		return int(n), err
	}
	w.bufs, w.n, w.err = iov, 0, nil
	err := w.rc.Write(w.fn)
	w.bufs = nil
	if err != nil {
		return w.n, err
	}
	return w.n, w.err
}

func (w *vecWriter) step(fd uintptr) bool {
	for len(w.bufs) > 0 {
		n, errno := w.v.Writev(int(fd), w.bufs, true)
		if errno == rawio.EAGAIN {
			return false // wait in the poller for room
		}
		if errno != 0 {
			w.err = os.NewSyscallError("writev", errno)
			return true
		}
		w.n += n
		w.bufs = consume(w.bufs, n)
	}
	return true
}

// consume drops the first n bytes of bufs.
func consume(bufs [][]byte, n int) [][]byte {
	for n > 0 && len(bufs) > 0 {
		if n < len(bufs[0]) {
			bufs[0] = bufs[0][n:]
			return bufs
		}
		n -= len(bufs[0])
		bufs = bufs[1:]
	}
	for len(bufs) > 0 && len(bufs[0]) == 0 {
		bufs = bufs[1:]
	}
	return bufs
}
