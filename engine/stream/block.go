package stream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/zmqx/zmqx/internal/rawio"

	"github.com/zmqx/zmqx/internal/zmtp"
)

// runBlocking drives the connection with two goroutines parked in the
// network poller: a reader that reads straight into the inbound stream and
// a writer that writes the outbound stream out.
func (c *conn) runBlocking(ctx context.Context) error {
	if d := newDirect(c); d != nil {
		c.h.Direct(d) // REQ and REP only (the Host decides)
		if d.nb == nil {
			c.h.Through(d)
		}
		defer c.unhook() // before the connection closes: nobody writes to it after
	}
	done := make(chan struct{})
	werr := make(chan error, 1)
	go func() { werr <- c.writeLoop(ctx, done) }()
	rerr := c.readLoop(ctx)
	c.unhook()
	close(done)
	c.c.Close()
	if err := <-werr; rerr == nil || errors.Is(rerr, net.ErrClosed) && err != nil {
		rerr = err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return rerr
}

// unhook stops the socket's goroutines writing to the connection
// themselves (Direct, Through).
func (c *conn) unhook() {
	c.h.Direct(nil)
	c.h.Through(nil)
}

// readLoop reads into the inbound stream; each read's whole messages are
// published to the socket at once.
func (c *conn) readLoop(ctx context.Context) error {
	for {
		for c.ib.Full() {
			select {
			case <-c.ib.SpaceSignal():
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if ctx.Err() == nil { // closing: the grace deadline stands
			c.setReadDeadline()
		}
		n, err := c.c.Read(c.readSpace())
		if n > 0 {
			c.gotData.Store(true)
			woke, ferr := c.filled(n)
			if ferr != nil {
				return ferr
			}
			if woke {
				// Let the receiver have the message before this goroutine's
				// next read (which usually finds nothing and parks).
				runtime.Gosched()
			}
		}
		if err != nil {
			if ctx.Err() == nil && errors.Is(err, os.ErrDeadlineExceeded) {
				if d := c.readTimeout(); d > 0 {
					return silent(d)
				}
			}
			return err
		}
	}
}

// readSpace is where the next read from the connection goes: the
// Inbound's free space, or for CURVE the ciphertext buffer.
func (c *conn) readSpace() []byte {
	if c.cv != nil {
		return c.cv.space()
	}
	return c.ib.Space()
}

// filled takes the n bytes just read into readSpace: whole messages are
// published (opened first, for CURVE). It reports whether anything was
// published.
func (c *conn) filled(n int) (bool, error) {
	if c.cv != nil {
		return c.curveFilled(n)
	}
	return c.ib.Fill(n)
}

func (c *conn) setReadDeadline() {
	if d := c.readTimeout(); d > 0 {
		c.c.SetReadDeadline(time.Now().Add(d))
	}
}

// readTimeout is how long the peer may stay silent: our heartbeat
// interval plus timeout, or the TTL the peer asked for if shorter.
func (c *conn) readTimeout() time.Duration {
	d := time.Duration(0)
	if c.o.HeartbeatInterval > 0 {
		d = c.o.HeartbeatInterval + c.o.HeartbeatTimeout
	}
	if c.peerTTL > 0 && (d == 0 || c.peerTTL < d) {
		d = c.peerTTL
	}
	return d
}

// silent is the reason a connection ends whose peer sent nothing for d,
// its read timeout (readTimeout).
func silent(d time.Duration) error {
	return fmt.Errorf("zmtp: heartbeat: nothing from the peer for %v: %w", d, os.ErrDeadlineExceeded)
}

// command handles a command frame after the handshake (subscriptions
// excepted: those go to the socket as messages).
func (c *conn) command(body []byte) error {
	cmd, err := zmtp.ParseCommand(body)
	if err != nil {
		return err
	}
	switch cmd.Name {
	case zmtp.CmdPing:
		p, err := zmtp.ParsePing(cmd.Data)
		if err != nil {
			return err
		}
		if p.TTL > 0 {
			c.peerTTL = time.Duration(p.TTL) * 100 * time.Millisecond
		}
		c.control(zmtp.AppendCommand(nil, zmtp.CmdPong, p.Context))
		return nil
	case zmtp.CmdPong, zmtp.CmdSubscribe, zmtp.CmdCancel:
		return nil // subscriptions reach us here only where they mean nothing
	case zmtp.CmdError:
		reason, _ := zmtp.ParseError(cmd.Data)
		return fmt.Errorf("%w: %q", zmtp.ErrPeerError, reason)
	}
	return fmt.Errorf("%w %q after handshake", errUnexpectedCommand, cmd.Name)
}

// control queues a command frame for the writer.
func (c *conn) control(frame []byte) {
	c.ctlMu.Lock()
	c.ctl = append(c.ctl, frame...)
	c.ctlPending.Store(true)
	c.ctlMu.Unlock()
	select {
	case c.ctlC <- struct{}{}:
	default:
	}
}

// takeControl moves queued command frames into buf, between two messages
// only.
func (c *conn) takeControl(buf []byte) []byte {
	if !c.ctlPending.Load() || !c.ob.AtBoundary() {
		return buf
	}
	c.ctlMu.Lock()
	buf = append(buf, c.ctl...)
	c.ctl = c.ctl[:0]
	c.ctlPending.Store(false)
	c.ctlMu.Unlock()
	return buf
}

// heartbeatTicker ticks at the heartbeat interval (nil: no heartbeats);
// stop releases it.
func (c *conn) heartbeatTicker() (tick <-chan time.Time, stop func()) {
	if c.o.HeartbeatInterval <= 0 {
		return nil, func() {}
	}
	t := time.NewTicker(c.o.HeartbeatInterval)
	return t.C, t.Stop
}

// awaitOutput parks a writer with nothing to write until output is
// published, a control frame is queued or a heartbeat is due (it queues
// the PING); false when the connection ends instead.
func (c *conn) awaitOutput(ctx context.Context, done <-chan struct{}, tick <-chan time.Time) bool {
	if !c.ob.Sleep() {
		return true
	}
	select {
	case <-c.ob.Wake():
	case <-c.ctlC:
	case <-tick:
		c.control(zmtp.AppendPing(nil, uint16(c.o.HeartbeatTTL/(100*time.Millisecond)), nil))
	case <-done:
		return false
	case <-ctx.Done():
		return false
	}
	c.ob.Resume()
	return true
}

// writeLoop writes the outbound stream out; see the package comment.
func (c *conn) writeLoop(ctx context.Context, done <-chan struct{}) error {
	if c.cv != nil {
		return c.curveWriteLoop(ctx, done)
	}
	batch := c.o.BatchSize
	var (
		ctl []byte
		iov [][]byte
		w   = newVecWriter(c.c)
	)
	tick, stop := c.heartbeatTicker()
	defer stop()
	c.ob.Resume()
	for {
		ctl = c.takeControl(ctl[:0])
		iov = iov[:0]
		if len(ctl) > 0 {
			iov = append(iov, ctl)
		}
		iov = c.ob.Gather(iov, batch)
		if len(iov) == 0 {
			if !c.awaitOutput(ctx, done, tick) {
				return nil
			}
			continue
		}
		n := c.willWrite(iov)
		written, err := w.write(iov)
		if err != nil {
			// What the connection took before it failed was sent: the
			// messages it took whole are not sent again on the next
			// connection, and the rest of the one it cut is dropped
			// (core.Outbound.DropPartial), as libzmq drops what its
			// engine held. Sending the batch again from its start would
			// repeat the first and, for a message the peer refuses (too
			// large), would do so on every connection.
			if k := written - len(ctl); k > 0 {
				c.ob.Advance(k)
			}
			clear(iov)
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		c.ob.Advance(n - len(ctl))
		clear(iov)
	}
}

// direct is the write-through of a connection in the blocking mode, from
// the sending goroutine: for REQ and REP (see core.Host.Direct), one
// non-blocking writev of what is published; for large frames of any
// socket (core.Host.Through, connections with a descriptor only), a writev
// of the frame from the caller's memory that may wait a moment for room.
// What does not fit goes to the writer goroutine.
type direct struct {
	c   *conn
	fd  int
	nb  NonBlockingWriter // instead of fd, for connections without one
	vec rawio.Vec
	iov [][]byte

	// The system calls (PumpOut's and WriteThrough's) run inside the
	// connection's RawConn, so a Close from another goroutine (a session
	// ended while a Send writes) cannot release the descriptor under them;
	// the functions are bound once, their arguments and results passed in
	// the fields below.
	rc      syscall.RawConn
	pumpFn  func(fd uintptr) bool
	writeFn func(fd uintptr) bool
	waitFn  func(fd uintptr)
	tiov    [][]byte
	tn      int
	terr    syscall.Errno
	twait   time.Duration
	tok     bool
}

// NonBlockingWriter is a connection that takes bytes without blocking and
// without a descriptor (the AF_XDP engine's channels): WriteNonBlocking
// takes what fits of iov, in order, and returns how many bytes.
type NonBlockingWriter interface {
	WriteNonBlocking(iov [][]byte) int
}

// NonBlockingConn is a connection without a descriptor that a worker or an
// invoker can still drive as an agent (the AF_XDP engine's channels):
// ReadNonBlocking returns what has arrived, 0 and nil when nothing has, or
// why the connection ended (io.EOF at an orderly end); AwaitWritable
// blocks until WriteNonBlocking may take more, or returns why it never
// will.
type NonBlockingConn interface {
	NonBlockingWriter
	ReadNonBlocking(p []byte) (int, error)
	AwaitWritable() error
}

// SpinReader is a NonBlockingConn that can wait a little for input by
// spinning: SpinRead is ReadNonBlocking for a driver that spins on this
// connection alone (SpinWork), which may first spin on where the input
// arrives (the AF_XDP engine's RX ring) for under a microsecond when
// nothing is there yet. That loop is much shorter than going back through
// the socket for every look, so what arrives is seen sooner.
type SpinReader interface {
	SpinRead(p []byte) (int, error)
}

func newDirect(c *conn) *direct {
	if c.cv != nil {
		return nil
	}
	if nb, ok := c.c.(NonBlockingWriter); ok {
		return &direct{c: c, fd: -1, nb: nb}
	}
	if !rawio.Supported {
		return nil
	}
	sc, ok := c.c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	d := &direct{c: c, fd: -1, rc: rc}
	if rc.Control(func(fd uintptr) { d.fd = int(fd) }) != nil || d.fd < 0 {
		return nil
	}
	d.pumpFn, d.writeFn, d.waitFn = d.pumpOnce, d.writeOnce, d.awaitOnce
	return d
}

// DoWork is not used: a direct writer only pumps out.
func (d *direct) DoWork() int { return 0 }

// PumpOut writes what is published, once, without blocking.
func (d *direct) PumpOut() {
	c := d.c
	d.iov = c.ob.Gather(d.iov[:0], c.o.BatchSize)
	if len(d.iov) == 0 {
		return
	}
	c.willWrite(d.iov)
	var n int
	if d.nb != nil {
		n = d.nb.WriteNonBlocking(d.iov)
	} else {
		d.tiov, d.tn = d.iov, -1
		if d.rc.Write(d.pumpFn) == nil { // fails once the connection is closed
			n = d.tn
		}
		d.tiov = nil
	}
	clear(d.iov)
	if n > 0 {
		c.ob.Advance(n)
	}
	// Errors and the rest are the writer goroutine's (Disown hands over).
}

// throughWait bounds how long WriteThrough waits for room in a full
// connection, all waits of one frame together. A peer that reads keeps up
// within it (its socket buffer drains in well under a millisecond on
// loopback); one that does not gets the rest of the frame queued for the
// writer goroutine, so Send does not block on it beyond this bound (the
// next large frames find the writer busy: see core.ThroughWait).
const throughWait = time.Millisecond

// WriteThrough writes iov from the sending goroutine (core.Through):
// writev until all is taken, waiting for room (if wait) at most throughWait
// in all; it stops at the first error (the writer goroutine meets it too).
func (d *direct) WriteThrough(iov [][]byte, wait bool) int {
	total := 0
	var deadline time.Time
	for len(iov) > 0 {
		d.c.willWrite(iov)
		d.tiov, d.tn, d.terr = iov, -1, 0
		err := d.rc.Write(d.writeFn) // fails once the connection is closed
		d.tiov = nil
		if err != nil {
			break
		}
		if n := d.tn; n > 0 {
			total += n
			iov = consume(iov, n)
			continue
		}
		if d.terr != rawio.EAGAIN || !wait {
			break
		}
		now := time.Now()
		if deadline.IsZero() {
			deadline = now.Add(throughWait)
		}
		if !now.Before(deadline) {
			break
		}
		d.twait, d.tok = deadline.Sub(now), false
		if d.rc.Control(d.waitFn) != nil || !d.tok {
			break
		}
	}
	return total
}

// pumpOnce is PumpOut's one non-blocking writev of d.tiov.
func (d *direct) pumpOnce(fd uintptr) bool {
	d.tn, d.terr = d.vec.Writev(int(fd), d.tiov, false)
	return true
}

// writeOnce is one writev of d.tiov, an ordinary system call: copying a
// large frame takes a while, and the scheduler may give the processor to
// others meanwhile. It never waits in the poller.
func (d *direct) writeOnce(fd uintptr) bool {
	d.tn, d.terr = d.vec.Writev(int(fd), d.tiov, true)
	return true
}

// awaitOnce waits up to d.twait for room (d.tok).
func (d *direct) awaitOnce(fd uintptr) { d.tok = rawio.AwaitWritable(int(fd), d.twait) }
