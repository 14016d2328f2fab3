//go:build linux

package afxdp

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zmqx/zmqx/engine/afxdp/rel"
	"github.com/zmqx/zmqx/internal/udpframe"
)

// channel is one connection over AF_XDP: a reliable channel (package rel)
// between two UDP endpoints, seen by the ZMTP engine as a net.Conn.
type channel struct {
	h    *host
	home *queue
	id   uint32
	hdr  udpframe.Header  // our frames' addressing: us → peer
	pfx  *udpframe.Prefix // hdr's headers, precomputed (nil: not IPv4)
	// peer is hdr.Dst as a frame carries it, the source of the peer's
	// datagrams (peerOK: hdr.Dst is IPv4).
	peer   udpframe.Endpoint
	peerOK bool
	syn    synKey       // accepted channels: the SYN that made it
	lis    *listener    // accepted channels, until handed to Accept
	resv   *reservation // accepted channels: their port, held (host.mu)
	// pending: an accepted channel counted in its listener's pending
	// until established or gone.
	pending atomic.Bool
	from    *listener // accepted channels: their listener (immutable)

	mu sync.Mutex // guards rc
	rc *rel.Conn

	dirty    atomic.Bool // on its queue's dirty list
	deadline int64       // rc.Deadline after the last service; under home.mu (a plain store: no locked instruction per datagram)
	gone     atomic.Bool // ended and out of the tables

	// Home worker only (with its queue's mu).
	owned, queued, est bool
	ownedA             atomic.Bool // owned, for writers

	readable chan struct{} // 1-buffered: data (or an end) to read
	writable chan struct{} // 1-buffered: send-buffer space freed
	estab    chan struct{} // closed when established
	dead     chan struct{} // closed when failed or ended
	deadOnce sync.Once
	err      error // why, once dead is closed

	polledA atomic.Bool // a spinning driver polls it (ReadNonBlocking)
	// rgen counts the services that left bytes to read, and the end
	// (update, finish): a driver whose last read found nothing
	// (drained) reads again only once it moved from rseen. Both are the
	// driver's own (ReadNonBlocking's).
	rgen    atomic.Uint32
	drained bool
	rseen   uint32

	closed   atomic.Bool
	drainBy  atomic.Int64  // until when closing the engine waits for c's orderly close (UnixNano; 0: open)
	done     chan struct{} // closed by Close
	doneOnce sync.Once
	rdl, wdl deadline
}

func newChannel(h *host, q *queue, id uint32, hdr udpframe.Header, rc *rel.Conn) *channel {
	c := &channel{h: h, home: q, id: id, hdr: hdr, rc: rc,
		readable: make(chan struct{}, 1), writable: make(chan struct{}, 1),
		estab: make(chan struct{}), dead: make(chan struct{}), done: make(chan struct{})}
	if p, err := udpframe.NewPrefix(&hdr); err == nil {
		c.pfx = &p
	}
	c.peer, c.peerOK = udpframe.EndpointOf(hdr.Dst)
	c.rdl.init()
	c.wdl.init()
	return c
}

// signal leaves a token in ch (a buffer of one) unless one waits there.
func signal(ch chan struct{}) {
	if len(ch) == cap(ch) {
		return // signalled already: no channel operation (the common case)
	}
	select {
	case ch <- struct{}{}:
	default:
	}
}

// update runs on the home worker after c was serviced, with c.mu held: it
// publishes c's next deadline and wakes whoever waits on it.
func (c *channel) update() { c.updateAt(c.rc.Deadline()) }

// updateAt is update with c's deadline already computed.
func (c *channel) updateAt(dl int64) {
	c.deadline = dl
	if c.rc.Readable() > 0 {
		c.rgen.Add(1)
		signal(c.readable)
	}
	if c.rc.Writable() > 0 {
		signal(c.writable)
	}
	switch c.rc.State() {
	case rel.Established:
		if !c.est {
			c.est = true
			close(c.estab)
			if c.lis != nil {
				c.accepted()
				if !c.lis.offer(c) {
					c.rc.Abort()
				}
			}
			c.lis = nil
		}
	case rel.Closed, rel.Failed:
		err := c.rc.Err()
		if err == nil {
			err = io.EOF
		}
		c.finish(err)
	}
}

// accepted takes c out of its listener's pending count, once.
func (c *channel) accepted() {
	if c.pending.CompareAndSwap(true, false) {
		c.from.pending.Add(-1)
	}
}

// finish marks c ended: out of the tables, its waiters woken.
func (c *channel) finish(err error) {
	c.deadOnce.Do(func() {
		c.err = err
		if lg := c.h.t.c.Logger; lg.Enabled(context.Background(), slog.LevelDebug) {
			st := c.rc.Stats()
			lg.Debug("afxdp: channel ended", "local", c.hdr.Src, "peer", c.hdr.Dst, "why", err,
				"sent", st.DatagramsSent, "received", st.DatagramsReceived,
				"data_bytes_sent", st.DataBytesSent, "data_bytes_received", st.DataBytesReceived,
				"retx_rto", st.RetransmitsRTO, "retx_nak", st.RetransmitsNAK, "retx_tlp", st.RetransmitsTLP,
				"naks_sent", st.NAKsSent, "naks_received", st.NAKsReceived, "duplicates", st.DuplicatesReceived,
				"out_of_window", st.OutOfWindow, "malformed", st.Malformed, "srtt", st.SRTT, "rto", st.RTO,
				"recovered", st.Recovered, "recovery_max", st.RecoveryMax)
		}
		close(c.dead)
		c.gone.Store(true)
		c.h.removing.Add(1)
		go func() {
			defer c.h.removing.Done()
			c.h.remove(c)
		}()
	})
	c.rgen.Add(1)
	signal(c.readable)
	signal(c.writable)
}

// fail ends c from outside its worker (the engine stopping).
func (c *channel) fail(err error) {
	c.mu.Lock()
	c.rc.Abort()
	c.finish(err)
	c.mu.Unlock()
}

func (c *channel) deadErr() error {
	<-c.dead
	return c.err
}

// abort drops a channel nobody will use (a connect given up).
func (c *channel) abort() {
	c.closed.Store(true)
	c.doneOnce.Do(func() { close(c.done) })
	c.mu.Lock()
	c.rc.Abort()
	c.mu.Unlock()
	c.home.kick(c)
}

// Read reads the in-order stream; io.EOF after the peer's orderly close.
func (c *channel) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := c.readNow(p)
		if n > 0 || err != nil {
			return n, err
		}
		if err := c.wait(c.readable, &c.rdl); err != nil {
			return 0, err
		}
	}
}

// ReadNonBlocking is Read for a goroutine that drives the channel itself
// (an I/O worker or an invoker, through the stream engine's agent): it
// first runs a round of every queue of the host that is free, in this
// goroutine, so what arrived is taken off the RX rings without waking a
// queue worker. Bytes that round brought for c are read into p as their
// datagram is input, under the one lock that takes (host.pollFor);
// otherwise it reads what is there without waiting. One goroutine at a
// time drives a channel.
func (c *channel) ReadNonBlocking(p []byte) (int, error) { return c.read(p, false) }

// SpinRead is ReadNonBlocking for a driver that spins on this channel
// alone (the stream engine's SpinWork, an invoker's only connection): when
// its last read found nothing and nothing came since, it first waits a
// little (under a microsecond) for a datagram or other work on the queue,
// spinning on the ring (queue.await), before it reads. Only on a host with
// one queue; with more, it is ReadNonBlocking.
func (c *channel) SpinRead(p []byte) (int, error) { return c.read(p, true) }

func (c *channel) read(p []byte, spin bool) (int, error) {
	reader := c
	if c.closed.Load() {
		reader = nil // a closed channel's read says so (readNow)
	}
	spin = spin && reader != nil && c.drained && c.rgen.Load() == c.rseen
	if n := c.h.pollFor(reader, p, spin); n > 0 {
		c.drained = false
		return n, nil
	}
	if !c.polledA.Load() && c.h.t.c.DriversPoll {
		// Its driver polls the rings anyway: an acknowledgement may wait
		// a little for the answer to carry it, at no timer's cost.
		c.mu.Lock()
		c.rc.SetAckDelay(agentAckDelay)
		c.mu.Unlock()
		c.polledA.Store(true)
	}
	g := c.rgen.Load()
	if c.drained && g == c.rseen && !c.closed.Load() {
		// Nothing came since the last read found nothing: no lock to
		// take, the spinning driver's common case.
		return 0, nil
	}
	c.rseen = g
	n, err := c.readNow(p)
	c.drained = n == 0 && err == nil && len(p) > 0
	return n, err
}

// readNow takes what is readable into p: 0 and nil when nothing is yet,
// io.EOF after the peer's orderly close, or why the channel failed.
func (c *channel) readNow(p []byte) (int, error) {
	if c.closed.Load() {
		return 0, net.ErrClosed
	}
	c.mu.Lock()
	n := c.rc.Read(p)
	st, err := c.rc.State(), c.rc.Err()
	due := n > 0 && c.rc.Due()
	c.mu.Unlock()
	if n > 0 {
		if due {
			// Reading opened the window: tell the peer now.
			c.home.send(c, nowNs())
		}
		return n, nil
	}
	switch st {
	case rel.Closed:
		return 0, io.EOF
	case rel.Failed:
		return 0, err
	}
	return 0, nil
}

// agentAckDelay is how long a polled channel defers an acknowledgement
// (rel.Conn.SetAckDelay): a reply written within it carries the ack.
const agentAckDelay = 10 * time.Microsecond

// AwaitWritable blocks until the send buffer has room, or the channel
// ends (its error) or is closed.
func (c *channel) AwaitWritable() error {
	for {
		if c.closed.Load() {
			return net.ErrClosed
		}
		c.mu.Lock()
		room, st, err := c.rc.Writable(), c.rc.State(), c.rc.Err()
		c.mu.Unlock()
		switch {
		case st == rel.Failed || st == rel.Closed:
			if err == nil {
				err = io.ErrClosedPipe
			}
			return err
		case room > 0:
			return nil
		}
		if err := c.wait(c.writable, &c.wdl); err != nil {
			return err
		}
	}
}

// Write queues p in the channel's send buffer, waiting for room as the peer
// acknowledges.
func (c *channel) Write(p []byte) (int, error) {
	off := 0
	for {
		if c.closed.Load() {
			return off, net.ErrClosed
		}
		c.mu.Lock()
		st := c.rc.State()
		if st == rel.Failed || st == rel.Closed {
			err := c.rc.Err()
			c.mu.Unlock()
			if err == nil {
				err = io.ErrClosedPipe
			}
			return off, err
		}
		now := nowNs()
		n := c.rc.Write(p[off:], now)
		c.mu.Unlock()
		if n > 0 {
			off += n
			c.home.send(c, now)
		}
		if off == len(p) {
			return off, nil
		}
		if err := c.wait(c.writable, &c.wdl); err != nil {
			return off, err
		}
	}
}

// WriteNonBlocking takes what fits of iov into the send buffer and sends
// it: the write-through of REQ and REP sockets in the blocking mode (the
// stream engine's direct writer), with no hand-off to a goroutine. When the
// queue is free it takes the queue's lock first and the channel's once, for
// the write and the datagrams both (see queue.send).
func (c *channel) WriteNonBlocking(iov [][]byte) int {
	if c.closed.Load() {
		return 0
	}
	q := c.home
	direct := c.ownedA.Load() && q.mu.TryLock()
	total := 0
	c.mu.Lock()
	// The Conn's latest time, not the clock's: the clock is read once the
	// datagram is on its way (see serviceLocked).
	now := c.rc.Now()
	sentNow := false
	if st := c.rc.State(); st == rel.Established {
		if direct && len(iov) == 1 {
			// A lone message: straight into a TX frame (sendNow).
			total = q.sendNow(c, iov[0])
			sentNow = total > 0
		}
		if !sentNow {
			for _, b := range iov {
				n := c.rc.Write(b, now)
				total += n
				if n < len(b) {
					break
				}
			}
		}
	}
	if !direct {
		c.mu.Unlock()
		if total > 0 {
			q.kick(c)
		}
		return total
	}
	if sentNow {
		q.serviceLocked(c, c.rc.Now(), false) // anything else due, and the deadline
	} else if total > 0 {
		q.serviceLocked(c, now, true)
	}
	c.mu.Unlock()
	if total > 0 {
		q.sent(c)
	} else {
		q.mu.Unlock()
	}
	return total
}

// wait blocks until ch is signalled, c ends or is closed, or the deadline
// passes.
func (c *channel) wait(ch chan struct{}, dl *deadline) error {
	for {
		t, changed := dl.get()
		var timer *time.Timer
		var tc <-chan time.Time
		if !t.IsZero() {
			d := time.Until(t)
			if d <= 0 {
				return os.ErrDeadlineExceeded
			}
			timer = time.NewTimer(d)
			tc = timer.C
		}
		var err error
		again := false
		select {
		case <-ch:
		case <-c.dead: // the caller sees the end in the channel's state
		case <-c.done:
			err = net.ErrClosed
		case <-tc:
			err = os.ErrDeadlineExceeded
		case <-changed:
			again = true
		}
		if timer != nil {
			timer.Stop()
		}
		if !again {
			return err
		}
	}
}

// Close ends the channel in order: what was written is delivered and
// acknowledged, then FIN. It does not wait for that, and closing the engine
// does not wait for it either (see CloseWithin).
func (c *channel) Close() error { return c.CloseWithin(0) }

// CloseWithin is Close for a connection whose socket is closing with grace
// left of its linger period (the stream engine's end): closing the engine
// waits up to grace from now for the peer to take what was written, as the
// kernel keeps delivering a closed TCP socket's bytes. A grace of 0 (a
// negative linger: discard) has it wait for none of it.
func (c *channel) CloseWithin(grace time.Duration) error {
	if c.closed.Swap(true) {
		return net.ErrClosed
	}
	c.drainBy.Store(time.Now().Add(max(grace, 0)).UnixNano())
	c.doneOnce.Do(func() { close(c.done) })
	c.mu.Lock()
	c.rc.Close(nowNs())
	c.mu.Unlock()
	c.home.kick(c)
	return nil
}

// Addr is a UDP endpoint of the AF_XDP engine.
type Addr netip.AddrPort

// Network is "xdp".
func (a Addr) Network() string { return "xdp" }
func (a Addr) String() string  { return netip.AddrPort(a).String() }

func (c *channel) LocalAddr() net.Addr  { return Addr(c.hdr.Src) }
func (c *channel) RemoteAddr() net.Addr { return Addr(c.hdr.Dst) }

func (c *channel) SetDeadline(t time.Time) error {
	c.rdl.set(t)
	c.wdl.set(t)
	return nil
}
func (c *channel) SetReadDeadline(t time.Time) error  { c.rdl.set(t); return nil }
func (c *channel) SetWriteDeadline(t time.Time) error { c.wdl.set(t); return nil }

// Stats are the channel's reliability counters.
func (c *channel) Stats() rel.Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rc.Stats()
}

// deadline is a settable time with a channel that tells waiters it moved.
type deadline struct {
	mu      sync.Mutex
	t       time.Time
	changed chan struct{}
}

func (d *deadline) init() { d.changed = make(chan struct{}) }

func (d *deadline) get() (time.Time, <-chan struct{}) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.t, d.changed
}

func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	d.t = t
	close(d.changed)
	d.changed = make(chan struct{})
	d.mu.Unlock()
}
