package rel

import (
	"fmt"
	"time"
)

// Poll writes the next datagram due into buf and returns its length; 0 when
// nothing is due now. Call it until it returns 0 after each batch of Input,
// after Write, and when Deadline has passed. buf should hold HeaderLen+MSS
// bytes; with less, DATA carries less (a retransmission that does not fit
// waits for its timer).
//
// Order of what goes out: RST, handshake, NAK, retransmissions, new DATA
// (every datagram carries the cumulative ack and window, so a DATA is also
// the ack), FIN, STATUS, PING.
func (c *Conn) Poll(buf []byte, now int64) int {
	now = max(now, c.now) // (see Input)
	c.now = now
	if len(buf) < HeaderLen {
		return 0
	}
	if c.rstPending {
		c.rstPending = false
		return c.emit(buf, RST, 0, 0, c.sndNxt, c.writeOff, 0)
	}
	if c.closed {
		if c.finAckPending {
			c.finAckPending = false
			return c.emit(buf, FINACK, 0, 0, c.sndNxt, c.rcvOff, 0) // echoes the FIN's offset
		}
		return 0
	}
	if c.failed {
		return 0
	}
	c.timers(now)
	if c.failed {
		return 0
	}
	if c.hsPending {
		return c.emitHandshake(buf, now)
	}
	if !c.hasRemote {
		return 0
	}
	if c.nakPending {
		c.nakPending = false
		if c.nivs > 0 || seqLT(c.rcvSeq, c.rcvSeen) {
			return c.emitRanges(buf, NAK)
		}
	}
	for c.qHead != c.qTail {
		s := c.retxQ[c.qHead&c.rmask]
		c.qHead++
		if n := c.emitRetx(buf, s, now); n > 0 {
			return n
		}
	}
	if n := c.emitData(buf, now); n > 0 {
		return n
	}
	if c.finPending {
		c.finPending = false
		c.finSent = true
		c.finAt = now + c.finRTO
		c.finRTO = min(2*c.finRTO, c.cfg.maxRTO)
		return c.emit(buf, FIN, 0, 0, c.sndNxt, c.writeOff, 0)
	}
	if c.ackPending {
		return c.emitRanges(buf, STATUS)
	}
	if c.pingPending {
		c.pingPending = false
		c.stats.PingsSent++
		return c.emit(buf, PING, 0, 0, c.sndNxt, c.writeOff, 0)
	}
	return 0
}

// synAckMaxRTO caps the backoff of an accepted Conn's SYNACKs (or MaxRTO,
// if longer): with Config.AcceptWait's default, about nine from a 1ms
// InitialRTO (TCP sends six, over a minute).
const synAckMaxRTO = int64(128 * time.Millisecond)

// timers turns what is due at now into pending work.
func (c *Conn) timers(now int64) {
	if now-c.lastHeard >= c.cfg.dead {
		c.fail(ErrPeerDead)
		return
	}
	if !c.est {
		if !c.client && now-c.lastHeard >= c.cfg.acceptWait {
			// The SYN's sender went silent: whoever sent it (its source
			// can be forged) gets no more SYNACKs, and the listener its
			// place back.
			c.fail(fmt.Errorf("%w: %d SYNACKs unanswered", ErrPeerDead, c.hsCount))
			return
		}
		if c.hsAt <= now {
			c.hsPending = true
		}
		if !c.hasRemote {
			return
		}
	}
	if c.rtoAt <= now {
		if c.sndUna != c.sndNxt {
			if r := c.rec(c.sndUna); now-r.first >= c.cfg.dead {
				// The peer answers (its STATUS to our PINGs, small
				// datagrams) and yet the oldest datagram has not got
				// through in all this time: a path that drops datagrams
				// of its size (an MTU below ours: every datagram carries
				// DF, and AF_XDP never hears "fragmentation needed").
				// Failing says so, instead of holding the stream in
				// silence for ever, and lets the socket connect again.
				// Checked when the RTO expires only (off the fast path):
				// it is armed while datagrams are outstanding, every
				// MaxRTO at the longest.
				c.fail(fmt.Errorf("%w: datagram %d (%d bytes) unacknowledged for %v although the peer answers",
					ErrPeerDead, c.sndUna, r.n, time.Duration(now-r.first)))
				return
			}
			// The oldest datagram, and the newest as a probe when the
			// peer has not shown it arrived: if the tail was lost too, the
			// peer then NAKs all of it at once instead of one per RTO.
			c.queue(c.sndUna, reasonRTO)
			if last := c.sndNxt - 1; last != c.sndUna && seqLEQ(c.peerRcvMax, last) {
				c.queue(last, reasonRTO)
			}
			c.rto = min(2*c.rto, c.cfg.maxRTO)
			c.rtoAt = now + c.rto
		} else {
			c.rtoAt = never
		}
		c.tlpAt = never
	}
	if c.ackAt <= now {
		c.ackAt = never
		c.ackPending = true
	}
	if c.tlpAt <= now {
		c.tlpAt = never
		if last := c.sndNxt - 1; c.sndUna != c.sndNxt && seqLEQ(c.peerRcvMax, last) {
			c.queue(last, reasonTLP)
		}
	}
	// Zero window: probe with PINGs (backing off) until a STATUS opens it.
	if c.writeOff > c.sndNxtOff && c.sndNxtOff >= c.sndLimit {
		if c.probeAt == never {
			c.probeRTO = c.rto
			c.probeAt = now + c.probeRTO
		} else if c.probeAt <= now {
			c.pingPending = true
			c.probeRTO = min(2*c.probeRTO, c.cfg.maxRTO)
			c.probeAt = now + c.probeRTO
		}
	} else {
		c.probeAt = never
	}
	if c.closing && c.est {
		if !c.finSent {
			if c.sndUnaOff == c.writeOff {
				c.finPending = true
				c.finRTO = c.rto
			}
		} else if c.finAt <= now {
			c.finPending = true
		}
	}
	if c.est && now-c.lastSent >= c.cfg.ka {
		c.pingPending = true
	}
}

// Deadline is the next time Poll must be called even without Input or
// Write: a timer (retransmission, tail-loss probe, handshake, FIN, window
// probe, keepalive, peer death). It is the last time seen when something
// is due already, and math.MaxInt64 when nothing will be.
func (c *Conn) Deadline() int64 {
	if c.rstPending || c.finAckPending {
		return c.now
	}
	if c.closed || c.failed {
		return never
	}
	if c.hsPending || c.nakPending || c.ackPending || c.finPending || c.pingPending || c.qHead != c.qTail || c.canSend() {
		return c.now
	}
	d := c.lastHeard + c.cfg.dead
	if !c.est {
		d = min(d, c.hsAt)
		if !c.client {
			d = min(d, c.lastHeard+c.cfg.acceptWait)
		}
		if !c.hasRemote {
			return d
		}
	}
	d = min(d, c.rtoAt, c.tlpAt, c.probeAt, c.ackAt)
	if c.writeOff > c.sndNxtOff && c.sndNxtOff >= c.sndLimit && c.probeAt == never {
		return c.now // a Poll arms the window probe
	}
	if c.closing && c.est {
		if c.finSent {
			d = min(d, c.finAt)
		} else if c.sndUnaOff == c.writeOff {
			return c.now
		}
	}
	if c.est {
		d = min(d, c.lastSent+c.cfg.ka)
	}
	return d
}

// Due reports whether Poll has something to send at once, as of the last
// time passed to the Conn (Deadline has come then); unlike comparing
// Deadline with a fresh clock it needs no clock read, and leaves timers
// that expired since to whoever runs them.
func (c *Conn) Due() bool { return c.Deadline() <= c.now }

// canSend reports whether new DATA could go out now.
func (c *Conn) canSend() bool {
	return c.writeOff > c.sndNxtOff && c.sndNxtOff < c.sndLimit &&
		c.cwndOpen() && (c.est || (c.hasRemote && c.hsCount > 0))
}

// emit writes a header (with the current ack and window) and accounts for
// the datagram; payload bytes must already be in buf[HeaderLen:][:plen].
func (c *Conn) emit(buf []byte, t Type, flags, n uint8, seq uint32, off uint64, plen int) int {
	win := c.readOff + uint64(c.cfg.recvWin) - c.rcvOff
	h := header{typ: t, flags: flags, n: n, dst: c.remote, src: c.local, seq: seq, ack: c.rcvSeq, wnd: uint32(win), off: off}
	putHeader(buf, &h)
	c.ackPending = false
	c.ackAt = never
	c.unacked = 0
	c.advLimit = c.readOff + uint64(c.cfg.recvWin)
	c.lastSent = c.now
	size := HeaderLen + plen
	c.stats.DatagramsSent++
	c.stats.BytesSent += uint64(size)
	return size
}

func (c *Conn) emitHandshake(buf []byte, now int64) int {
	c.hsPending = false
	if c.hsCount == 0 {
		c.hsFirst = now
	} else if c.client {
		c.hsRTO = min(2*c.hsRTO, c.cfg.maxRTO)
	} else {
		// Fewer SYNACKs over the AcceptWait: a client held up for a
		// moment (its process busy, a burst of loss) still completes.
		c.hsRTO = min(2*c.hsRTO, max(c.cfg.maxRTO, synAckMaxRTO))
	}
	c.hsCount++
	c.hsAt = now + c.hsRTO
	c.stats.HandshakeSent++
	if c.client {
		h := header{typ: SYN, src: c.local, seq: c.iss, wnd: uint32(c.cfg.recvWin), off: uint64(c.cfg.mss)}
		putHeader(buf, &h)
		c.lastSent = now
		c.stats.DatagramsSent++
		c.stats.BytesSent += HeaderLen
		return HeaderLen
	}
	h := header{typ: SYNACK, dst: c.remote, src: c.local, seq: c.iss, ack: c.rcvSeq, wnd: uint32(c.cfg.recvWin), off: uint64(c.cfg.mss)}
	putHeader(buf, &h)
	c.advLimit = uint64(c.cfg.recvWin)
	c.lastSent = now
	c.stats.DatagramsSent++
	c.stats.BytesSent += HeaderLen
	return HeaderLen
}

// emitRanges writes a STATUS (the out-of-order runs received: SACK) or a
// NAK (the gaps: every one that fits). The seq field carries the highest
// sequence number received + 1.
func (c *Conn) emitRanges(buf []byte, t Type) int {
	fit := min((len(buf)-HeaderLen)/rangeLen, maxRanges, c.nivs)
	p := buf[HeaderLen:]
	if t == NAK {
		lo := c.rcvSeq
		for i := 0; i < fit; i++ {
			putRange(p[i*rangeLen:], lo, c.ivs[i].lo)
			lo = c.ivs[i].hi
		}
		c.stats.NAKsSent++
	} else {
		for i := 0; i < fit; i++ {
			putRange(p[i*rangeLen:], c.ivs[i].lo, c.ivs[i].hi)
		}
	}
	top := c.rcvSeq
	if c.nivs > 0 {
		top = c.ivs[c.nivs-1].hi
	}
	if t == NAK && fit == c.nivs && fit < maxRanges && len(p) >= (fit+1)*rangeLen && seqLT(top, c.rcvSeen) {
		// Datagrams seen beyond the last run but dropped (too many
		// runs to track) are missing too.
		putRange(p[fit*rangeLen:], top, c.rcvSeen)
		fit++
	}
	return c.emit(buf, t, 0, uint8(fit), top, c.rcvOff, fit*rangeLen)
}

func (c *Conn) emitRetx(buf []byte, s uint32, now int64) int {
	if !seqLEQ(c.sndUna, s) || !seqLT(s, c.sndNxt) {
		return 0 // acknowledged since it was queued
	}
	r := c.rec(s)
	why := r.queued
	r.queued = reasonNone
	if why == reasonNone || HeaderLen+int(r.n) > len(buf) {
		return 0
	}
	ringRead(c.sbuf, c.smask, r.off-c.sbase, buf[HeaderLen:HeaderLen+int(r.n)])
	r.last = now
	r.retx = true
	r.copies++
	r.inFlight = c.sndNxt - c.sndUna
	c.txn++
	r.lastTx = c.txn
	switch why {
	case reasonNAK:
		c.stats.RetransmitsNAK++
	case reasonRTO:
		c.stats.RetransmitsRTO++
	case reasonTLP:
		c.stats.RetransmitsTLP++
	}
	c.stats.DataBytesSent += uint64(r.n)
	return c.emit(buf, DATA, flagRetx, 0, s, r.off, int(r.n))
}

func (c *Conn) emitData(buf []byte, now int64) int {
	if !c.canSend() {
		return 0
	}
	n := min(c.writeOff-c.sndNxtOff, c.sndLimit-c.sndNxtOff, uint64(c.mss), uint64(len(buf)-HeaderLen))
	if n == 0 {
		return 0
	}
	ringRead(c.sbuf, c.smask, c.sndNxtOff-c.sbase, buf[HeaderLen:HeaderLen+int(n)])
	return c.dataOut(buf, n, now)
}

// dataOut accounts for new DATA of n bytes, the next unsent, whose payload
// is in buf[HeaderLen:], and writes its header.
func (c *Conn) dataOut(buf []byte, n uint64, now int64) int {
	s := c.sndNxt
	c.txn++
	if c.sndUna == s {
		c.recBase = s // none in flight: start again at the first record
	}
	*c.rec(s) = record{off: c.sndNxtOff, first: now, last: now, lastTx: c.txn, n: uint32(n)}
	if c.sndUna == c.sndNxt {
		c.rtoAt = now + c.rto
		c.stampRTO = c.stamping
	}
	c.sndNxt++
	c.sndNxtOff += n
	c.armTLP(now)
	c.stats.DataBytesSent += n
	var flags uint8
	if c.sndNxtOff == c.writeOff || c.sndNxtOff == c.sndLimit || c.inFlight() >= c.cwnd {
		flags = flagAckNow
	}
	return c.emit(buf, DATA, flags, 0, s, c.sndNxtOff-n, int(n))
}

// Send is Write followed by the Poll that sends it, in one step, for a
// writer that sends as it writes (a driver answering a request): when p
// fits one datagram that the windows allow, nothing written is still
// unsent, and nothing else is due (no control datagram, retransmission or
// expired timer that Poll would put first), p is accepted whole and its
// DATA written into buf, the same datagram Write and Poll would have
// made. It returns len(p) and the datagram's length, or 0, 0 having taken
// and sent nothing (the records may have grown): the caller then uses
// Write and Poll.
func (c *Conn) Send(p, buf []byte, now int64) (int, int) {
	n := len(p)
	now = max(now, c.now) // (see Input)
	if n == 0 || n > c.mss || HeaderLen+n > len(buf) || !c.sendable(uint64(n), now) {
		return 0, 0
	}
	// Write's part, all of p: sendable checked the room (and that the
	// Conn is open), and that nothing written is unsent.
	c.now = now
	c.take(p)
	copy(buf[HeaderLen:], p)
	return n, c.dataOut(buf, uint64(n), now)
}

// sendable reports whether Send may take n bytes at now: what Write would
// accept, and what Poll would send first and at once.
func (c *Conn) sendable(n uint64, now int64) bool {
	return c.est && !c.closing && !c.closed && !c.failed &&
		!c.rstPending && !c.hsPending && !c.nakPending && !c.finPending && !c.pingPending &&
		c.qHead == c.qTail && c.writeOff == c.sndNxtOff &&
		uint64(c.cfg.sendBuf)-(c.writeOff-c.sndUnaOff) >= n &&
		c.sndNxtOff+n <= c.sndLimit && c.cwndOpen() &&
		// Timers Poll would run first (see timers): none has come due.
		now < c.rtoAt && now < c.tlpAt && now-c.lastHeard < c.cfg.dead &&
		now-c.lastSent < c.cfg.ka && c.probeAt == never
}
