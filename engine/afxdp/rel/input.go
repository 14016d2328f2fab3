package rel

import (
	"encoding/binary"
	"time"
)

// InputRead is Input followed by Read(p), for a reader waiting for the
// bytes: in-order DATA that arrives with nothing buffered before it goes
// straight into p instead of through the receive ring. It returns how many
// bytes p got, and Input's error.
func (c *Conn) InputRead(d []byte, now int64, p []byte) (int, error) {
	c.direct, c.directN = p, 0
	err := c.Input(d, now)
	n := c.directN
	c.direct = nil
	if c.readOff == c.rcvOff {
		return n, err // (all read: the usual way, straight into p)
	}
	return n + c.Read(p[n:]), err
}

// Input handles one received datagram (already demultiplexed to this Conn).
// Any bytes are safe: a malformed datagram, or one for another channel, is
// refused with an error wrapping ErrProtocol and changes nothing; a
// well-formed one that breaks the protocol (data contradicting what was
// received, an ack of data never sent) fails the connection with
// ErrProtocol and is answered with a RST.
func (c *Conn) Input(d []byte, now int64) error {
	// A driver may pass a time read a little before the datagram arrived,
	// and another goroutine may have stamped a later one since: the Conn's
	// time never goes back.
	now = max(now, c.now)
	c.now = now
	if c.exchange(d, now) {
		return nil
	}
	return c.input(d, now)
}

// exchange is Input's straight line for the datagram of a request-reply
// exchange (header prediction, as in TCP): in-order DATA from the peer of
// an established connection, not a retransmission, with nothing received
// out of order, acknowledging either nothing new or the one datagram in
// flight (not a retransmission either), within the window. It does to the
// Conn exactly what input would (TestExchangeIsInput checks that on every
// datagram of simulated exchanges over lossy links), without decoding the
// header into a struct and going through every type's and state's case. It
// reports false, having changed nothing, for any other datagram: input
// takes it.
func (c *Conn) exchange(d []byte, now int64) bool {
	if len(d) <= HeaderLen || d[0] != Version || Type(d[1]) != DATA || d[2]&^flagAckNow != 0 || d[3] != 0 {
		return false
	}
	if !c.est || c.closed || c.failed || c.nivs != 0 || !c.hasRemote ||
		binary.BigEndian.Uint32(d[4:]) != c.local || binary.BigEndian.Uint32(d[8:]) != c.remote ||
		binary.BigEndian.Uint32(d[12:]) != c.rcvSeq || binary.BigEndian.Uint64(d[24:]) != c.rcvOff {
		return false
	}
	p := d[HeaderLen:]
	end := c.rcvOff + uint64(len(p))
	if c.rcvOff > 1<<62 || end > c.readOff+uint64(c.cfg.recvWin) {
		return false
	}
	ack := binary.BigEndian.Uint32(d[16:])
	var r *record
	if ack != c.sndUna {
		if ack != c.sndNxt || ack-c.sndUna != 1 {
			return false
		}
		if r = c.rec(c.sndUna); r.retx {
			return false
		}
	}
	c.stats.DatagramsReceived++
	c.stats.BytesReceived += uint64(len(d))
	c.lastHeard = now
	if r != nil {
		// The acknowledgement of the one datagram in flight (onAck).
		wasOut := c.inFlight()
		c.delivTx = max(c.delivTx, r.lastTx)
		sample := now - r.first
		c.sndUnaOff = c.sndNxtOff
		c.sndUna = ack
		if seqLT(c.peerRcvMax, ack) {
			c.peerRcvMax = ack
		}
		c.rttSample(sample) // (sets the RTO: progress ends any backoff)
		c.congestion(sample, 1, wasOut, now)
		c.rtoAt, c.tlpAt = never, never
	}
	if lim := c.sndUnaOff + uint64(binary.BigEndian.Uint32(d[20:])); lim > c.sndLimit {
		c.sndLimit = lim
	}
	// The data, in order (onData).
	c.stats.DataBytesReceived += uint64(len(p))
	switch {
	case d[2] != 0 && (c.ackDelay == 0 || end >= c.advLimit):
		c.ackPending = true
	case d[2] != 0:
		c.ackAt = min(c.ackAt, now+c.ackDelay)
	default:
		if c.unacked++; c.unacked >= ackEvery {
			c.ackPending = true
		}
	}
	if c.readOff == c.rcvOff {
		c.rbase = c.rcvOff // empty: start again at the beginning
	}
	direct := c.direct != nil && c.readOff == c.rcvOff && len(p) <= len(c.direct)
	if direct {
		c.directN = copy(c.direct, p)
	} else {
		ringWrite(c.rbuf, c.rbmask, c.rcvOff-c.rbase, p)
	}
	c.rcvSeq++
	c.rcvOff = end
	if seqLT(c.rcvSeen, c.rcvSeq) {
		c.rcvSeen = c.rcvSeq
	}
	if direct {
		c.consumed(len(p))
	}
	return true
}

// input is Input for any datagram, with c.now set.
func (c *Conn) input(d []byte, now int64) error {
	var h header
	p, err := parse(d, &h)
	if err != nil {
		c.stats.Malformed++
		return err
	}
	if h.typ == SYN {
		return c.onSYN(&h, len(d))
	}
	if h.dst != c.local || (c.hasRemote && h.src != c.remote) {
		c.stats.Malformed++
		return errNotMine
	}
	c.stats.DatagramsReceived++
	c.stats.BytesReceived += uint64(len(d))
	if c.failed {
		return nil
	}
	if h.typ == SYNACK {
		return c.onSYNACK(&h, now)
	}
	if !c.hasRemote {
		// A client learns the peer's sequence numbers from the SYNACK;
		// before it, only a RST answering its SYN (see Reset) counts.
		if h.typ == RST && h.ack == c.iss && !c.closed {
			c.fail(ErrReset)
		}
		return nil
	}
	c.lastHeard = now
	switch h.typ {
	case RST:
		if c.finSent || c.closed {
			// Our FIN was sent: the peer is gone either way.
			if !c.closed {
				c.closed = true
				c.stopTimers()
			}
			return nil
		}
		c.fail(ErrReset)
		return nil
	case FIN:
		if c.closed {
			c.finAckPending = true
			return nil
		}
	}
	if c.closed {
		return nil
	}
	if !c.est {
		// Server: the client's first datagram after our SYNACK.
		c.est = true
		if c.sbuf == nil {
			c.allocate() // (see Accept)
		}
		c.hsAt, c.hsPending = never, false
		if c.hsCount == 1 {
			c.rttSample(now - c.hsFirst)
		}
	}
	if err := c.onAck(&h, now); err != nil {
		return c.protocol(err)
	}
	switch h.typ {
	case DATA:
		c.stats.DataBytesReceived += uint64(len(p))
		return c.onData(&h, p)
	case NAK:
		c.stats.NAKsReceived++
		c.onNAK(p, now)
	case STATUS:
		c.onSACK(h.ack, p, now)
	case PING:
		c.ackPending = true
	case FIN:
		if h.off != c.rcvOff || c.nivs != 0 {
			return c.protocol(errFin)
		}
		c.closed = true
		c.stopTimers()
		c.finAckPending = true
	case FINACK:
		if c.finSent && h.off == c.writeOff {
			c.closed = true
			c.stopTimers()
		}
	}
	return nil
}

func (c *Conn) onSYN(h *header, size int) error {
	if c.client || h.src != c.remote {
		c.stats.Malformed++
		return errStraySYN
	}
	c.stats.DatagramsReceived++
	c.stats.BytesReceived += uint64(size)
	if h.seq != c.rcvSeq && !c.est {
		c.stats.Malformed++
		return errStraySYN
	}
	if !c.est && !c.closed && !c.failed {
		c.hsPending = true // our SYNACK was lost: send it again now
		c.lastHeard = c.now
	}
	return nil // a late duplicate after establishment is harmless
}

func (c *Conn) onSYNACK(h *header, now int64) error {
	if !c.client || h.ack != c.iss {
		return nil // stale or misdirected; ignore
	}
	c.lastHeard = now
	if c.hasRemote {
		c.ackPending = true // duplicate (our first STATUS lost?): ack again
		return nil
	}
	if c.closed {
		return nil
	}
	c.remote = h.src
	c.hasRemote = true
	c.est = true
	c.peerSyn(h)
	c.hsPending, c.hsAt = false, never
	if c.hsCount == 1 {
		c.rttSample(now - c.hsFirst)
	}
	c.ackPending = true // completes the handshake even with nothing to send
	return nil
}

// onAck takes the cumulative ack, the window and, from a STATUS or NAK, the
// peer's highest received sequence number.
func (c *Conn) onAck(h *header, now int64) error {
	// Distances from sndUna, not serial comparisons: those are not
	// transitive for numbers 2^31 apart, which a hostile datagram can
	// carry.
	ack := h.ack
	out := c.sndNxt - c.sndUna
	if d := ack - c.sndUna; d > out {
		if int32(d) < 0 {
			return nil // reordered, older than what we know
		}
		return errAck
	}
	sample := int64(-1)
	if h.typ == STATUS || h.typ == NAK {
		if top := h.seq - c.sndUna; top <= out && top > c.peerRcvMax-c.sndUna {
			// The peer just received h.seq-1 for the first time.
			if top > 0 {
				x := h.seq - 1
				if r := c.rec(x); !r.retx {
					sample = now - r.first
					c.delivTx = max(c.delivTx, r.lastTx)
				}
			}
			c.peerRcvMax = h.seq
		}
	}
	if ack != c.sndUna {
		acked, wasOut := ack-c.sndUna, c.inFlight()
		retx := false
		for s := c.sndUna; s != ack; s++ {
			r := c.rec(s)
			if r.retx {
				retx = true
				c.recovered(r, now)
			}
			c.delivTx = max(c.delivTx, r.lastTx)
		}
		if sample < 0 && !retx {
			sample = now - c.rec(ack-1).first
		}
		if ack == c.sndNxt {
			c.sndUnaOff = c.sndNxtOff
		} else {
			c.sndUnaOff = c.rec(ack).off
		}
		c.sndUna = ack
		if seqLT(c.peerRcvMax, ack) {
			c.peerRcvMax = ack
		}
		if sample >= 0 {
			c.rttSample(sample)
			c.congestion(sample, acked, wasOut, now)
			sample = -1
		}
		c.rto = c.baseRTO() // progress ends any backoff
		if ack == c.sndNxt {
			c.rtoAt, c.tlpAt = never, never
		} else {
			c.rtoAt = now + c.rto
			c.armTLP(now)
		}
	}
	if sample >= 0 {
		c.rttSample(sample)
		c.congestion(sample, 0, c.inFlight(), now)
	}
	if lim := c.sndUnaOff + uint64(h.wnd); lim > c.sndLimit {
		c.sndLimit = lim
	}
	return nil
}

func (c *Conn) recovered(r *record, now int64) {
	d := now - r.first
	if c.cfg.onRepair != nil {
		c.cfg.onRepair(Repair{Sent: r.first, Reported: r.reported, Resent: r.last, Acked: now,
			Copies: int(r.copies), Cause: Cause(r.cause), SRTT: time.Duration(c.srtt), RTT: time.Duration(c.lastRTT),
			InFlight: int(r.inFlight)})
	}
	c.stats.Recovered++
	c.stats.RecoveryTotal += time.Duration(d)
	c.stats.RecoveryMax = max(c.stats.RecoveryMax, time.Duration(d))
	if c.cfg.onRecovered != nil {
		c.cfg.onRecovered(time.Duration(d))
	}
}

// holeFilled reports a hole in the received sequence, first seen at since,
// filled now.
func (c *Conn) holeFilled(since int64) {
	c.stats.HolesFilled++
	if c.cfg.onHole != nil {
		c.cfg.onHole(time.Duration(c.now - since))
	}
}

// rttSample updates SRTT, RTTVAR and the RTO as RFC 6298 does.
func (c *Conn) rttSample(r int64) {
	r = max(r, 0)
	c.lastRTT = r
	if !c.hasRTT {
		c.hasRTT = true
		c.srtt = r
		c.rttvar = r / 2
	} else {
		d := c.srtt - r
		if d < 0 {
			d = -d
		}
		c.rttvar = (3*c.rttvar + d) / 4
		c.srtt = (7*c.srtt + r) / 8
	}
	c.rto = c.baseRTO()
}

// baseRTO is the timeout without backoff.
func (c *Conn) baseRTO() int64 {
	if !c.hasRTT {
		return c.cfg.initRTO
	}
	return min(max(c.srtt+max(4*c.rttvar, int64(time.Microsecond)), c.cfg.minRTO), c.cfg.maxRTO)
}

// armTLP schedules the tail-loss probe ~2 SRTT after the latest send or
// ack, when that comes before the RTO.
func (c *Conn) armTLP(now int64) {
	if !c.hasRTT {
		c.tlpAt = never
		return
	}
	at := now + 2*c.srtt + c.cfg.minRTO/4
	if at >= c.rtoAt {
		at = never
	}
	c.tlpAt = at
}

// onNAK queues every datagram the peer reports missing.
func (c *Conn) onNAK(p []byte, now int64) {
	for ; len(p) >= rangeLen; p = p[rangeLen:] {
		lo, hi := getRange(p)
		c.missing(lo, hi, now)
	}
}

// onSACK treats the holes between the ack and the received runs a STATUS
// reports like a NAK: a STATUS is sent instead of a NAK when the receiver
// saw nothing new out of order (a duplicate, a window update, a PING's
// answer), and the holes it shows are still missing.
func (c *Conn) onSACK(ack uint32, p []byte, now int64) {
	lo := ack
	for ; len(p) >= rangeLen; p = p[rangeLen:] {
		a, b := getRange(p)
		c.missing(lo, a, now)
		lo = b
	}
}

// missing queues the datagrams [lo, hi) the peer reports missing, each
// unless its latest copy may still be in flight. A copy is lost, not in
// flight, when a datagram transmitted after it has arrived (RACK's rule,
// RFC 8985, in transmission order rather than time, so that datagrams sent
// in one batch at one instant are still ordered); a copy sent an RTO ago
// counts as lost too. So repeated NAKs for the same gap (every out-of-order
// arrival sends one) never resend a datagram whose retransmission is still
// on its way: no storms, whatever the queueing delay. (A copy is also
// never resent within half an SRTT of the last: with reordering, a later
// datagram can overtake it; it cannot be known lost sooner than a round
// trip after it left anyway.)
func (c *Conn) missing(lo, hi uint32, now int64) {
	out := c.sndNxt - c.sndUna
	l, h := lo-c.sndUna, hi-c.sndUna
	if int32(h) <= 0 {
		return
	}
	if int32(l) < 0 {
		l = 0
	}
	for i := l; i < min(h, out); i++ {
		s := c.sndUna + i
		r := c.rec(s)
		if r.queued == reasonNone && ((r.lastTx < c.delivTx && now-r.last >= c.srtt/2) || now-r.last >= c.rto) {
			c.queue(s, reasonNAK)
		}
	}
}

// queue puts a datagram in the retransmission queue (at most once; when
// the queue is full the RTO covers it).
func (c *Conn) queue(s uint32, why uint8) {
	r := c.rec(s)
	if r.queued != reasonNone || c.qTail-c.qHead >= uint32(len(c.retxQ)) {
		return
	}
	r.queued = why
	if r.cause == reasonNone {
		r.cause, r.reported = why, c.now
	}
	c.retxQ[c.qTail&c.rmask] = s
	c.qTail++
}

// onData places a DATA payload: in order it extends the readable bytes (and
// joins the out-of-order run that follows); beyond a gap it goes into the
// ring at its offset and its sequence number into the out-of-order ranges,
// and a NAK of every gap is due at the next Poll.
func (c *Conn) onData(h *header, p []byte) error {
	s, o := h.seq, h.off
	// At once: what the sender asks to be acknowledged, retransmissions,
	// anything out of order or while a gap is open; else every ackEvery.
	switch {
	case h.flags&flagRetx != 0 || c.nivs > 0 || s != c.rcvSeq:
		c.ackPending = true
	case h.flags&flagAckNow != 0 && (c.ackDelay == 0 || h.off+uint64(len(p)) >= c.advLimit):
		c.ackPending = true
	case h.flags&flagAckNow != 0:
		// The sender has nothing more: what we send it soon carries the
		// ack, or the deferred ack goes on its own (SetAckDelay).
		c.ackAt = min(c.ackAt, c.now+c.ackDelay)
	default:
		if c.unacked++; c.unacked >= ackEvery {
			c.ackPending = true
		}
	}
	if o > 1<<62 {
		return c.protocol(errOffset)
	}
	end := o + uint64(len(p))
	d := s - c.rcvSeq
	if int32(d) < 0 {
		c.stats.DuplicatesReceived++
		return nil
	}
	if end > c.readOff+uint64(c.cfg.recvWin) {
		c.stats.OutOfWindow++
		return nil
	}
	if c.readOff == c.rcvOff && c.nivs == 0 {
		c.rbase = c.rcvOff // empty: start again at the beginning
	}
	if d == 0 {
		if o != c.rcvOff {
			return c.protocol(errOffset)
		}
		// InputRead's reader takes it when nothing is buffered before it
		// and nothing out of order after it: it skips the ring.
		direct := c.direct != nil && c.readOff == c.rcvOff && c.nivs == 0 && len(p) <= len(c.direct)
		if direct {
			c.directN = copy(c.direct, p)
		} else {
			ringWrite(c.rbuf, c.rbmask, o-c.rbase, p)
		}
		c.rcvSeq++
		c.rcvOff = end
		if c.nivs > 0 && c.ivs[0].lo == c.rcvSeq {
			c.holeFilled(c.ivs[0].since)
			c.rcvSeq, c.rcvOff = c.ivs[0].hi, c.ivs[0].offHi
			copy(c.ivs[:], c.ivs[1:c.nivs])
			c.nivs--
		}
		if seqLT(c.rcvSeen, c.rcvSeq) {
			c.rcvSeen = c.rcvSeq
		}
		if direct {
			c.consumed(len(p))
		}
		return nil
	}
	// Out of order: find the first run that starts after s (usually s
	// extends or follows the last one).
	i := c.nivs
	if i > 0 && seqLT(s, c.ivs[i-1].hi) {
		for i = 0; i < c.nivs; i++ {
			if seqLT(s, c.ivs[i].lo) {
				break
			}
			if seqLT(s, c.ivs[i].hi) {
				c.stats.DuplicatesReceived++
				return nil
			}
		}
	}
	prevSeq, prevOff := c.rcvSeq, c.rcvOff
	if i > 0 {
		prevSeq, prevOff = c.ivs[i-1].hi, c.ivs[i-1].offHi
	}
	// Every datagram carries at least one byte: the missing ones between
	// the previous run and this one need at least as many bytes.
	miss := uint64(s - prevSeq)
	if o < prevOff || o-prevOff < miss || (miss == 0 && o != prevOff) {
		return c.protocol(errOffset)
	}
	joinPrev := i > 0 && miss == 0
	joinNext := false
	if i < c.nivs {
		nx := &c.ivs[i]
		m := uint64(nx.lo - s - 1)
		if end > nx.offLo || nx.offLo-end < m || (m == 0 && end != nx.offLo) {
			return c.protocol(errOffset)
		}
		joinNext = m == 0
	}
	if !joinPrev && !joinNext && c.nivs == maxIntervals {
		c.stats.OutOfWindow++
		c.nakPending = true
		if seqLEQ(c.rcvSeen, s) {
			c.rcvSeen = s + 1
		}
		return nil
	}
	ringWrite(c.rbuf, c.rbmask, o-c.rbase, p)
	switch {
	case joinPrev && joinNext:
		c.holeFilled(c.ivs[i].since)
		c.ivs[i-1].hi, c.ivs[i-1].offHi = c.ivs[i].hi, c.ivs[i].offHi
		copy(c.ivs[i:], c.ivs[i+1:c.nivs])
		c.nivs--
	case joinPrev:
		c.ivs[i-1].hi, c.ivs[i-1].offHi = s+1, end
	case joinNext:
		c.ivs[i].lo, c.ivs[i].offLo = s, o
	default:
		// A new run splits a hole (seen since the next run's) or opens one.
		since := c.now
		if i < c.nivs {
			since = c.ivs[i].since
		}
		copy(c.ivs[i+1:c.nivs+1], c.ivs[i:c.nivs])
		c.ivs[i] = interval{lo: s, hi: s + 1, offLo: o, offHi: end, since: since}
		c.nivs++
	}
	c.nakPending = true
	return nil
}
