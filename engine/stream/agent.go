package stream

import (
	"context"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/zmqx/zmqx/core"
	"github.com/zmqx/zmqx/internal/rawio"
	"github.com/zmqx/zmqx/internal/zmtp"
)

// agent is a connection as a state machine that a worker or an invoker
// drives: each DoWork makes one non-blocking read into the inbound stream
// and one non-blocking write of the outbound stream, with raw system calls
// on the connection's file descriptor (or through a NonBlockingConn, for
// connections without one), and checks the heartbeat timers now and then.
// Nothing in it blocks, so the driver decides how to wait.
type agent struct {
	c      *conn
	fd     int
	nb     NonBlockingConn // instead of fd
	sr     SpinReader      // nb's, when it has one
	vec    rawio.Vec
	iov    [][]byte
	ctl    []byte // command frames being written (between messages only)
	xrest  bool   // ctl holds the rest of a message ExpressWrite took
	failed bool
	err    error
	done   chan struct{}

	rc       syscall.RawConn
	backlog  chan struct{} // output is left after a pump (invoker mode)
	awaitErr error         // why AwaitWritable gave up (nb; the driving goroutine's)

	rounds   uint32
	lastData time.Time // heartbeat bookkeeping
	pingAt   time.Time
}

var (
	_ core.Agent   = (*agent)(nil)
	_ core.Express = (*agent)(nil)
)

// runAgent hands the connection to the runtime's worker or to its socket's
// callers and waits for it to end. ok is false when this connection has no
// file descriptor to drive (the caller then runs it blocking).
func (c *conn) runAgent(ctx context.Context) (err error, ok bool) {
	a := &agent{c: c, fd: -1, done: make(chan struct{}), backlog: make(chan struct{}, 1)}
	if nb, isNB := c.c.(NonBlockingConn); isNB {
		a.nb = nb
		a.sr, _ = nb.(SpinReader)
	} else {
		sc, isSC := c.c.(syscall.Conn)
		if !isSC || !rawio.Supported {
			return nil, false
		}
		rc, err := sc.SyscallConn()
		if err != nil {
			return nil, false
		}
		a.rc = rc
		// The descriptor is used outside rc from here on: the socket's
		// closing must then shut the connection down without closing it
		// (see end).
		c.endMu.Lock()
		if rc.Control(func(fd uintptr) { a.fd = int(fd) }) == nil && a.fd >= 0 {
			c.rawDriven = true
			// Nobody waits in the poller for a driven connection's input:
			// take the socket out of it (see unpolledConn).
			if nc, nrc, fd, err := unpoll(c.c, a.fd); err == nil {
				c.c, a.rc, a.fd = nc, nrc, fd
			}
		}
		c.endMu.Unlock()
		if a.fd < 0 {
			return nil, false
		}
	}
	now := time.Now()
	a.lastData = now
	c.h.Drive(ctx, a, a.done)
	if ctx.Err() != nil {
		// Closing: nobody drives the agent any more; wait (within the
		// grace period closeGracefully set) for the peer to finish, as the
		// blocking reader does, so our last writes are read.
		buf := make([]byte, 4096)
		for {
			if _, err := c.c.Read(buf); err != nil {
				break
			}
		}
		return ctx.Err(), true
	}
	if a.err == nil {
		return a.awaitErr, true
	}
	return a.err, true
}

func (a *agent) fail(err error) {
	if !a.failed {
		a.failed, a.err = true, err
		close(a.done)
	}
}

// DoWork implements core.Agent.
func (a *agent) DoWork() int { return a.work(1) }

// SpinWork implements core.Spinner: with no output waiting, a read that
// finds nothing is repeated at once, up to reads times, and a read that
// completes a message returns at once: the caller waits for it, and there
// was nothing to write (what the message brought, a PONG to send, goes at
// the socket's next drive).
func (a *agent) SpinWork(reads int) int {
	c := a.c
	if len(a.ctl) > 0 || c.ctlPending.Load() || c.ob.Available() > 0 || c.cv != nil && c.cv.off < len(c.cv.out) {
		reads = 1
	}
	return a.work(reads)
}

// work is DoWork, making up to reads reads while none finds anything; with
// reads > 1 (SpinWork with no output waiting) it skips the pump after a
// read that published a message.
func (a *agent) work(reads int) int {
	if a.failed {
		return 0
	}
	work := 0
	c := a.c
	if !c.ib.Full() {
		spin := reads > 1 // SpinWork with no output waiting
		n, err := a.readIn(c.readSpace(), reads, spin)
		if n > 0 {
			work++
			if a.fill(n, spin) {
				if !a.failed {
					a.tick()
				}
				return work
			}
		} else if err != nil {
			a.fail(err)
			return work
		}
	}
	work += a.pumpOut()
	a.tick()
	return work
}

// readIn makes up to reads reads into p while none brings anything, and
// notes for the heartbeat that data came.
func (a *agent) readIn(p []byte, reads int, spin bool) (int, error) {
	n, err := a.read(p, spin)
	for i := 1; i < reads && n == 0 && err == nil; i++ {
		n, err = a.read(p, spin)
	}
	if n > 0 && !a.c.gotData.Load() {
		a.c.gotData.Store(true)
	}
	return n, err
}

// fill hands n bytes read to the inbound stream. It reports whether the
// round ends there, before the pump: the connection failed, or a spinning
// read published a message, which the caller waits for (what it brought, a
// PONG to send, goes at the socket's next drive).
func (a *agent) fill(n int, spin bool) bool {
	published, err := a.c.filled(n)
	if err != nil {
		a.fail(err)
		return true
	}
	return published && spin
}

// outputWaits reports whether anything waits to be written: command frames
// (a PONG, a PING), or the socket's messages.
func (a *agent) outputWaits() bool {
	c := a.c
	return len(a.ctl) > 0 || c.ctlPending.Load() || c.ob.Available() > 0
}

// ExpressRead implements core.Express: work's read and its bookkeeping,
// when nothing waits to be written (work would then pump nothing).
func (a *agent) ExpressRead(p []byte, reads int, spin bool) (int, bool) {
	c := a.c
	if a.failed || c.cv != nil || a.outputWaits() || c.ib.Full() {
		return 0, false
	}
	n, err := a.readIn(p, reads, spin)
	if err != nil {
		a.fail(err)
		return 0, true
	}
	a.tick()
	return n, true
}

// ExpressFilled implements core.Express: the rest of work's round after
// its read brought n bytes.
func (a *agent) ExpressFilled(n int, spin bool) {
	if !a.fill(n, spin) {
		a.pumpOut()
	}
}

// ExpressWrite implements core.Express: one write of b, when nothing else
// waits to be written. What the connection does not take goes out first
// at the next pump, as command frames do (between two messages: b holds
// whole messages). When it takes none of b, b is left to the socket's
// outbound stream, where a message not yet begun waits for a reconnection.
func (a *agent) ExpressWrite(b []byte) bool {
	c := a.c
	if a.failed || c.cv != nil || a.outputWaits() {
		return false
	}
	a.iov = append(a.iov[:0], b)
	n, ok := a.write()
	if !ok {
		return false
	}
	if n < len(b) {
		a.ctl = append(a.ctl[:0], b[n:]...)
		a.xrest = true
		a.leftOver()
	}
	return true
}

// ExpressPending implements core.Express.
func (a *agent) ExpressPending() bool { return a.xrest && !a.failed }

// tick counts a round of work, running the timers every 256.
func (a *agent) tick() {
	if a.rounds++; a.rounds&255 == 0 {
		a.timers()
	}
}

// read makes one non-blocking read: the bytes read, 0 and nil when there
// were none, or why the connection ended (io.EOF at its orderly end). With
// spin (SpinWork), a SpinReader may first spin a little for input.
func (a *agent) read(p []byte, spin bool) (int, error) {
	if a.nb != nil {
		if spin && a.sr != nil {
			return a.sr.SpinRead(p)
		}
		return a.nb.ReadNonBlocking(p)
	}
	n, errno := rawio.Read(a.fd, p)
	switch {
	case n > 0:
		return n, nil
	case n == 0:
		return 0, io.EOF
	case errno != rawio.EAGAIN:
		return 0, os.NewSyscallError("read", errno)
	}
	return 0, nil
}

// PumpOut implements core.Agent.
func (a *agent) PumpOut() {
	if !a.failed {
		a.pumpOut()
	}
}

func (a *agent) pumpOut() int {
	c := a.c
	if c.cv != nil {
		return a.curvePumpOut()
	}
	if len(a.ctl) == 0 {
		a.ctl = c.takeControl(a.ctl[:0])
	}
	a.iov = a.iov[:0]
	if len(a.ctl) > 0 {
		a.iov = append(a.iov, a.ctl) // alone: what follows waits for it
	} else {
		a.iov = c.ob.Gather(a.iov, c.o.BatchSize)
	}
	if len(a.iov) == 0 {
		return 0
	}
	n, ok := a.write()
	if !ok {
		return 0
	}
	if len(a.ctl) > 0 {
		if a.ctl = a.ctl[n:]; len(a.ctl) == 0 {
			a.xrest = false
		}
	} else {
		c.ob.Advance(n)
	}
	if len(a.ctl) > 0 || c.ob.Available() > 0 {
		a.leftOver()
	}
	return 1
}

// leftOver tells the driver that output remains after a pump.
func (a *agent) leftOver() {
	select {
	case a.backlog <- struct{}{}:
	default:
	}
}

// Backlog is signalled when a pump leaves output behind: the invoker's
// session then finishes it once the socket is writable (see core.Host).
func (a *agent) Backlog() <-chan struct{} { return a.backlog }

// AwaitWritable waits in the poller until the connection can take more
// (or fails), without writing. It asks the socket first: the poller wakes
// on changes, and the space a peer freed before the wait began is one it
// already reported (waiting for the next would wait for ever once the peer
// has read everything).
func (a *agent) AwaitWritable() error {
	if a.nb != nil {
		if err := a.nb.AwaitWritable(); err != nil {
			a.awaitErr = err
			return err
		}
		return nil
	}
	return a.rc.Write(a.writable)
}

func (a *agent) writable(fd uintptr) bool { return rawio.Writable(int(fd)) }

// timers sends PINGs and ends a silent connection, from the loop's own
// clock: no Go timers on this path.
func (a *agent) timers() {
	c := a.c
	now := time.Now()
	if c.gotData.Swap(false) {
		a.lastData = now
	}
	if d := c.readTimeout(); d > 0 && now.Sub(a.lastData) > d {
		a.fail(silent(d))
		return
	}
	if ivl := c.o.HeartbeatInterval; ivl > 0 && now.After(a.pingAt) {
		a.pingAt = now.Add(ivl)
		c.control(zmtp.AppendPing(nil, uint16(c.o.HeartbeatTTL/(100*time.Millisecond)), nil))
	}
}

// write makes one non-blocking writev of a.iov: the bytes written, or
// false when none were (the socket is full: the backlog is signalled; or
// the connection failed).
func (a *agent) write() (int, bool) {
	if a.c.eng.Writes != nil {
		a.c.willWrite(a.iov)
	}
	if a.nb != nil {
		// No error here: a channel that ended says so to the next read.
		n := a.nb.WriteNonBlocking(a.iov)
		clear(a.iov)
		if n > 0 {
			return n, true
		}
		a.leftOver()
		return 0, false
	}
	n, errno := a.vec.Writev(a.fd, a.iov, false)
	clear(a.iov)
	if n >= 0 {
		return n, true
	}
	if errno != rawio.EAGAIN {
		a.fail(os.NewSyscallError("writev", errno))
	} else {
		a.leftOver()
	}
	return 0, false
}

// curvePumpOut is pumpOut for CURVE connections: one non-blocking write
// of what is sealed, sealing more once it has all gone.
func (a *agent) curvePumpOut() int {
	c, x := a.c, a.c.cv
	var more bool
	if a.ctl, more = c.curveRefill(a.ctl); !more {
		return 0
	}
	a.iov = append(a.iov[:0], x.out[x.off:])
	n, ok := a.write()
	if !ok {
		return 0
	}
	x.off += n
	if x.off < len(x.out) || c.ob.Available() > 0 {
		a.leftOver()
	}
	return 1
}
