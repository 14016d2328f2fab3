package rel

import (
	"math"
	"time"
)

// State is where a connection stands.
type State uint8

// The states.
const (
	Connecting  State = iota // handshake not complete
	Established              // data flows both ways
	Closing                  // Close called: flushing what was written, then FIN
	Closed                   // closed in order (or aborted); Read still returns what was received
	Failed                   // see Err
)

var stateNames = [...]string{"Connecting", "Established", "Closing", "Closed", "Failed"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(?)"
}

const never = math.MaxInt64

// Why a DATA datagram sits in the retransmission queue.
const (
	reasonNone uint8 = iota
	reasonNAK
	reasonRTO
	reasonTLP
)

// maxIntervals bounds the out-of-order ranges a receiver tracks (and so the
// gaps one NAK can report). A datagram that would need one more is dropped
// and repaired later.
const maxIntervals = 256

// record is one DATA datagram sent and not yet acknowledged. Its bytes stay
// in the send ring; a retransmission resends exactly the same datagram (same
// sequence number, offset and length).
type record struct {
	off    uint64
	first  int64  // first transmission
	last   int64  // latest transmission
	lastTx uint64 // transmission number of the latest transmission
	n      uint32
	retx   bool  // sent more than once: no RTT sample (Karn)
	queued uint8 // reason, while in the retransmission queue
	// For Repair: when and why it was first queued, and how many copies.
	cause    uint8
	copies   uint16
	reported int64
	inFlight uint32 // at the latest retransmission
}

// interval is a run of consecutive sequence numbers received beyond the
// cumulative ack point, and the stream bytes they carry.
type interval struct {
	lo, hi       uint32 // [lo, hi)
	offLo, offHi uint64
	since        int64 // the hole before it was seen first (for OnHole)
}

// Conn is one end of a reliable, ordered, flow-controlled byte stream over
// datagrams. It is a state machine with no goroutines, timers or clock: the
// caller passes the time to every call and drives it (see the package doc).
// A Conn is not safe for concurrent use.
type Conn struct {
	cfg    resolved
	local  uint32
	remote uint32
	mss    int
	now    int64

	client    bool
	hasRemote bool // client: SYNACK seen
	est       bool // handshake complete
	closing   bool // Close called
	closed    bool
	failed    bool
	err       error

	// Handshake.
	iss       uint32
	hsPending bool
	hsAt      int64 // next SYN/SYNACK retransmission
	hsRTO     int64
	hsFirst   int64
	hsCount   int

	// Send side: the ring holds [sndUnaOff, writeOff); [sndUnaOff,
	// sndNxtOff) is in flight as records [sndUna, sndNxt). The ring's
	// first byte holds stream offset sbase, and the first record sequence
	// number recBase: both restart at the beginning whenever they are
	// empty, so that a request-reply exchange (every message acknowledged
	// before the next) writes and reads the same few cache lines each time
	// instead of walking megabytes of cold memory.
	sbuf      []byte
	smask     uint64
	sbase     uint64
	recBase   uint32
	writeOff  uint64
	sndNxtOff uint64
	sndUnaOff uint64
	sndUna    uint32
	sndNxt    uint32
	sndLimit  uint64 // the peer accepts stream bytes below this offset
	recs      []record
	rmask     uint32
	maxRecs   uint32 // what recs may grow to
	retxQ     []uint32
	qHead     uint32
	qTail     uint32

	hasRTT     bool
	srtt       int64
	rttvar     int64
	lastRTT    int64 // the latest sample
	rto        int64
	rtoAt      int64
	tlpAt      int64
	probeAt    int64
	probeRTO   int64
	peerRcvMax uint32 // the peer has received nothing at or beyond this seq
	txn        uint64 // DATA transmissions so far (originals and copies)
	delivTx    uint64 // the latest transmission known to have arrived

	// Congestion window (see cc.go): DATA datagrams in flight at most.
	cwnd        uint32
	cwndLimited bool  // held by cwnd during this round trip
	standCur    int64 // the smallest RTT sample of this round trip
	standEnd    int64 // this round trip's end
	minRTT      int64 // the smallest RTT sample of this and the last epoch
	minRTTCur   int64 // the smallest of this epoch
	minRTTPrev  int64 // the smallest of the last epoch
	minRTTEnd   int64 // this epoch's end

	pingPending bool
	lastSent    int64
	lastHeard   int64

	// Receive side: the ring holds [readOff, rcvOff) in order and the
	// out-of-order intervals beyond; its first byte holds stream offset
	// rbase, which restarts at the beginning when the ring is empty (as
	// sbase).
	rbuf       []byte
	rbmask     uint64
	rbase      uint64
	readOff    uint64
	rcvOff     uint64
	rcvSeq     uint32
	rcvSeen    uint32 // beyond the highest seq received, dropped ones included
	ivs        [maxIntervals]interval
	nivs       int
	ackPending bool
	unacked    int   // in-order DATA taken since our last datagram (which acks)
	ackAt      int64 // a deferred acknowledgement is due (SetAckDelay)
	ackDelay   int64
	nakPending bool
	advLimit   uint64 // readOff+RecvWindow when the window was last sent

	// Close.
	finSent       bool
	finPending    bool
	finAt         int64
	finRTO        int64
	finAckPending bool
	rstPending    bool

	// A send whose time is told afterwards (Unstamped, Stamp): DATA
	// transmitted after txn stampTxn.
	stamping bool
	stampTxn uint64
	stampRTO bool // the RTO was armed by such DATA

	// InputRead's reader, during its Input: in-order DATA with nothing
	// buffered goes into direct (directN bytes) instead of the ring.
	direct  []byte
	directN int

	stats Stats
}

func newConn(cfg Config, localID uint32, now int64, buffers bool) *Conn {
	r := cfg.resolve()
	c := &Conn{
		cfg:       r,
		local:     localID,
		mss:       r.mss,
		now:       now,
		rto:       r.initRTO,
		hsRTO:     r.initRTO,
		rtoAt:     never,
		tlpAt:     never,
		probeAt:   never,
		finAt:     never,
		hsAt:      never,
		ackAt:     never,
		lastSent:  now,
		lastHeard: now,
	}
	c.initCC(now)
	if buffers {
		c.allocate()
	}
	c.iss = initialSeq(localID, now)
	c.sndUna, c.sndNxt, c.peerRcvMax = c.iss, c.iss, c.iss
	return c
}

// allocate makes the send and receive rings and the records: when a Conn
// dials, and when an accepted one is established (Accept), so that a SYN,
// which anyone can send, costs the Conn alone, not its megabytes.
//
// The send ring and the records start small and grow (doubling) as the
// data kept until acknowledged, and the datagrams in flight, need them, up
// to SendBuffer and its records: most connections never carry more than a
// few messages at a time, and a connection's megabytes, made and cleared
// at every connect, made a connect-send-receive-close cycle 2-3× as long
// as at 64 KiB (bench/RESULTS.md).
func (c *Conn) allocate() {
	sb := min(pow2(c.cfg.sendBuf), firstSendRing)
	rb := pow2(c.cfg.recvWin)
	// Records bound the datagrams in flight; when they run out, writes
	// wait in the send ring and later go out packed into full datagrams.
	c.maxRecs = uint32(pow2(min(max(c.cfg.sendBuf/128, 256), 1<<16)))
	nrec := min(c.maxRecs, firstRecords)
	c.sbuf, c.smask = make([]byte, sb), uint64(sb-1)
	c.recs, c.rmask = make([]record, nrec), nrec-1
	c.retxQ = make([]uint32, nrec)
	c.rbuf, c.rbmask = make([]byte, rb), uint64(rb-1)
	c.cwnd = min(uint32(c.cfg.initCwnd), c.maxRecs)
}

// The sizes the send ring and the records start at (see allocate).
const (
	firstSendRing = 64 << 10
	firstRecords  = 256
)

// growSend makes the send ring large enough for need bytes (at most
// SendBuffer, which Writable ensures), keeping the bytes not yet
// acknowledged, [sndUnaOff, writeOff), now from its beginning.
func (c *Conn) growSend(need uint64) {
	n := uint64(len(c.sbuf))
	for n < need {
		n *= 2
	}
	nb := make([]byte, n)
	ringRead(c.sbuf, c.smask, c.sndUnaOff-c.sbase, nb[:c.writeOff-c.sndUnaOff])
	c.sbuf, c.smask, c.sbase = nb, n-1, c.sndUnaOff
}

// growRecords doubles the records and the retransmission queue, keeping
// those in use ([sndUna, sndNxt), [qHead, qTail)) at their sequence
// numbers' and counters' places; false when they are at maxRecs.
func (c *Conn) growRecords() bool {
	n := uint32(len(c.recs)) * 2
	if n == 0 || n > c.maxRecs { // none yet (not established), or all
		return false
	}
	recs, q := make([]record, n), make([]uint32, n)
	for s := c.sndUna; s != c.sndNxt; s++ {
		recs[(s-c.recBase)&(n-1)] = *c.rec(s)
	}
	for i := c.qHead; i != c.qTail; i++ {
		q[i&(n-1)] = c.retxQ[i&c.rmask]
	}
	c.recs, c.retxQ, c.rmask = recs, q, n-1
	return true
}

// initialSeq mixes the id and the time (splitmix64's finaliser) so that a
// new connection reusing ids does not start where an old one stopped.
func initialSeq(id uint32, now int64) uint32 {
	x := uint64(id)<<32 ^ uint64(now)
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return uint32(x)
}

// Dial starts the client side; its first Poll emits a SYN, retransmitted
// with backoff (InitialRTO ×2 up to MaxRTO) until answered or DeadAfter.
func Dial(c Config, localID uint32, now int64) *Conn {
	cn := newConn(c, localID, now, true)
	cn.client = true
	cn.hsPending = true
	return cn
}

// Accept creates the server side from a received SYN; its first Poll emits
// the SYNACK. It returns an error for anything but a well-formed SYN. Its
// buffers are made once the client's first datagram after the SYNACK
// establishes it: until then it takes no writes (Writable is 0).
func Accept(c Config, localID uint32, syn []byte, now int64) (*Conn, error) {
	var h header
	if _, err := parse(syn, &h); err != nil {
		return nil, err
	}
	if h.typ != SYN {
		return nil, errNotSYN
	}
	cn := newConn(c, localID, now, false) // (buffers once established)
	cn.remote = h.src
	cn.hasRemote = true
	cn.peerSyn(&h)
	cn.hsPending = true
	cn.stats.DatagramsReceived++
	cn.stats.BytesReceived += uint64(len(syn))
	return cn, nil
}

// peerSyn takes the peer's initial sequence number, window and MSS from its
// SYN or SYNACK.
func (c *Conn) peerSyn(h *header) {
	c.rcvSeq, c.rcvSeen = h.seq, h.seq
	c.sndLimit = uint64(h.wnd)
	if h.off > 0 && h.off < uint64(c.mss) {
		c.mss = int(h.off)
	}
}

// LocalID is this end's channel id.
func (c *Conn) LocalID() uint32 { return c.local }

// RemoteID is the peer's channel id (0 until a client has the SYNACK).
func (c *Conn) RemoteID() uint32 { return c.remote }

// State reports where the connection stands.
func (c *Conn) State() State {
	switch {
	case c.failed:
		return Failed
	case c.closed && c.rstPending:
		return Closing // aborted, the RST not out yet
	case c.closed:
		return Closed
	case c.closing:
		return Closing
	case c.est:
		return Established
	}
	return Connecting
}

// Err is why the connection failed: an error wrapping ErrPeerDead, ErrReset
// or ErrProtocol; nil unless State is Failed.
func (c *Conn) Err() error { return c.err }

// Stats returns the counters and the current RTT estimates.
func (c *Conn) Stats() Stats {
	s := c.stats
	if c.hasRTT {
		s.SRTT = time.Duration(c.srtt)
		s.RTTVar = time.Duration(c.rttvar)
	}
	if c.minRTT != never {
		s.MinRTT = time.Duration(c.minRTT)
	}
	s.Cwnd = int(c.cwnd)
	s.RTO = time.Duration(c.rto)
	return s
}

func (c *Conn) fail(err error) {
	if c.failed || c.closed {
		return
	}
	c.failed = true
	c.err = err
	c.stopTimers()
}

// protocol fails the connection on a datagram that breaks the protocol and
// tells the peer with a RST.
func (c *Conn) protocol(err error) error {
	if !c.failed && !c.closed {
		c.fail(err)
		c.rstPending = c.hasRemote
	}
	return err
}

func (c *Conn) stopTimers() {
	c.rtoAt, c.tlpAt, c.probeAt, c.finAt, c.hsAt, c.ackAt = never, never, never, never, never, never
	c.hsPending, c.finPending, c.pingPending, c.nakPending, c.ackPending = false, false, false, false, false
	c.qHead = c.qTail
}

// Write accepts up to len(p) stream bytes into the send buffer and returns
// how many; they go out at the next Poll. It accepts nothing once Close or
// Abort was called or the connection failed.
func (c *Conn) Write(p []byte, now int64) int {
	now = max(now, c.now) // (see Input)
	c.now = now
	n := c.Writable()
	if n == 0 {
		return 0
	}
	n = min(n, len(p))
	c.take(p[:n])
	return n
}

// take puts p in the send buffer, whose room the caller has checked.
func (c *Conn) take(p []byte) {
	if c.writeOff == c.sndUnaOff {
		c.sbase = c.writeOff // empty: start again at the beginning
	}
	if need := c.writeOff - c.sndUnaOff + uint64(len(p)); need > uint64(len(c.sbuf)) {
		c.growSend(need)
	}
	ringWrite(c.sbuf, c.smask, c.writeOff-c.sbase, p)
	c.writeOff += uint64(len(p))
}

// Writable is how many bytes Write would accept now.
func (c *Conn) Writable() int {
	if c.closing || c.closed || c.failed || c.sbuf == nil {
		return 0
	}
	return c.cfg.sendBuf - int(c.writeOff-c.sndUnaOff)
}

// Read copies in-order received bytes into p and returns how many (0: none
// now). Bytes received before a FIN or a failure can still be read.
func (c *Conn) Read(p []byte) int {
	n := int(min(uint64(len(p)), c.rcvOff-c.readOff))
	if n == 0 {
		return 0
	}
	ringRead(c.rbuf, c.rbmask, c.readOff-c.rbase, p[:n])
	c.consumed(n)
	return n
}

// consumed moves the read offset past n bytes the reader took.
func (c *Conn) consumed(n int) {
	c.readOff += uint64(n)
	// Announce a window that opened substantially after the advertised
	// one had become small: the sender may be waiting for it.
	q := uint64(c.cfg.recvWin / 4)
	if c.advLimit-c.rcvOff < q && c.readOff+uint64(c.cfg.recvWin)-c.advLimit >= q && !c.closed && !c.failed {
		c.ackPending = true
	}
}

// Readable is how many in-order bytes Read would return now.
func (c *Conn) Readable() int { return int(c.rcvOff - c.readOff) }

// Close starts an orderly close: no more writes; a FIN goes out once
// everything written is acknowledged; the connection is Closed when the FIN
// is acknowledged. The close is of the whole channel: the peer stops
// sending too, and what it had not sent yet is dropped.
func (c *Conn) Close(now int64) {
	now = max(now, c.now) // (see Input)
	c.now = now
	if c.closed || c.failed || c.closing {
		return
	}
	if !c.hasRemote {
		// A client still waiting for its SYNACK has nothing to flush
		// that the peer could receive: just stop.
		c.closed = true
		c.stopTimers()
		return
	}
	c.closing = true
}

// Abort closes at once: nothing more is sent or received but the RST the
// next Poll emits; State is Closing until then, Closed after (at once when
// the peer is not known yet). Read still returns what was received.
func (c *Conn) Abort() {
	if c.closed || c.failed {
		return
	}
	c.closed = true
	c.stopTimers()
	c.rstPending = c.hasRemote
}

// rec is the record of sequence number s (in flight).
func (c *Conn) rec(s uint32) *record { return &c.recs[(s-c.recBase)&c.rmask] }

// ringWrite and ringRead copy p to and from the ring at position pos (a
// stream offset less the ring's base), wrapping.
func ringWrite(ring []byte, mask, off uint64, p []byte) {
	n := copy(ring[off&mask:], p)
	if n < len(p) {
		copy(ring, p[n:])
	}
}

func ringRead(ring []byte, mask, off uint64, p []byte) {
	n := copy(p, ring[off&mask:])
	if n < len(p) {
		copy(p[n:], ring)
	}
}

// SetAckDelay lets the acknowledgement of in-order DATA that its sender
// marked as the last it has wait up to d for a datagram going the other
// way, which carries it: in a request-reply exchange the reply then acks
// the request, one datagram (and one TX kick) each way instead of two.
// DATA that uses up the window we advertised is still acknowledged at
// once, so a sender never waits on the delay. d is capped at a quarter of
// the tail-loss probe's margin (MinRTO/8), so a deferred ack never
// triggers a probe; 0, the default, acknowledges at once. Worth it only
// where Poll runs often anyway (a spinning driver), since each deferred
// acknowledgement is a timer.
func (c *Conn) SetAckDelay(d time.Duration) {
	c.ackDelay = min(max(int64(d), 0), c.cfg.minRTO/8)
}

// Now is the latest time passed to the Conn (by Input, Write, Poll or
// Stamp).
func (c *Conn) Now() int64 { return c.now }

// Unstamped begins a send whose time is told afterwards, for a driver that
// wants no clock read before its datagram is on its way: it returns the
// Conn's latest time (Now) to pass to Write and Poll, and the new DATA the
// Polls return until Stamp counts as sent at Stamp's time. Timers that
// came due since Now run at the next Poll after.
func (c *Conn) Unstamped() int64 {
	c.stampTxn = c.txn
	c.stamping, c.stampRTO = true, false
	return c.now
}

// Stamp ends a send begun by Unstamped: the new DATA sent since counts as
// sent at now, and the retransmission, tail-loss and window-probe timers
// its sending armed run from now, so that the round trip sampled from its
// acknowledgement is the true one. Retransmissions among it keep the
// earlier time (a copy then counts as lost that much sooner). Without a
// send begun, or with now not later than it, it does nothing.
func (c *Conn) Stamp(now int64) {
	if !c.stamping {
		return
	}
	c.stamping = false
	t := c.now
	if now <= t {
		return
	}
	c.now = now
	if c.lastSent == t {
		c.lastSent = now
	}
	if c.probeAt != never && c.probeAt == t+c.probeRTO {
		c.probeAt = now + c.probeRTO // a window probe armed by this send
	}
	// The new DATA sent since Unstamped is the newest in flight.
	moved := false
	for s := c.sndNxt - 1; c.sndNxt != c.sndUna && seqLEQ(c.sndUna, s); s-- {
		r := c.rec(s)
		if r.lastTx <= c.stampTxn || r.retx {
			break
		}
		r.first, r.last = now, now
		moved = true
	}
	if !moved {
		return
	}
	if c.stampRTO {
		c.rtoAt = now + c.rto
	}
	if c.tlpAt != never {
		c.armTLP(now)
	}
}
