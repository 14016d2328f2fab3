package core

import (
	"context"
	"encoding/binary"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/zmqx/zmqx/internal/zmtp"
)

// OutBuffer is where a socket encodes the messages it sends to one stream
// connection: the ZMTP frames go straight into the engine's outbound memory,
// with no message queue in between. The socket is its only producer and the
// connection's engine its only consumer.
//
// The contract an engine's buffer keeps, whatever memory it is made of (a
// chain of byte segments for TCP, UMEM frames for AF_XDP):
//
//   - Reserve(n) returns at least n contiguous writable bytes (n is at most
//     MaxReserve) at the current end of the stream; Commit(k) makes k of them
//     part of the message being written. A frame header is always written
//     into one reservation, so an engine that splits the stream into packets
//     can keep headers whole.
//   - AppendRef adds a payload by reference instead of copying it (large and
//     zero-copy payloads); the buffer closes the Msg once the engine is done
//     with it.
//   - EndMessage publishes everything committed since the last EndMessage as
//     one whole message. Nothing of a message is visible to the engine before
//     then, so messages are all-or-nothing, and the engine counts messages
//     out of the frames it writes (for the high-water mark).
//
// Outbound, the byte-chain implementation, is the only one today: the
// AF_XDP engine (package engine/afxdp) runs the stream engine over its
// channels, so its connections use an Outbound too, and the channel copies
// what the engine writes into its send ring and from there into UMEM
// frames. A UMEM-backed buffer would hand out the free part of the current
// frame after the datagram headers from Reserve, and make EndMessage where
// a backlog of messages becomes one TX kick; the contract above is what it
// would have to keep.
type OutBuffer interface {
	Reserve(n int) []byte
	Commit(k int)
	AppendRef(m Msg)
	EndMessage()
}

// MaxReserve is the largest reservation an OutBuffer must honour: a long
// frame header (9 bytes) with some room to spare.
const MaxReserve = 16

var _ OutBuffer = (*Outbound)(nil)

// RefMin is the smallest payload AppendFrame sends by reference rather than
// by copying it into the stream: below it a copy is cheaper than the extra
// vector entry in the write.
const RefMin = 8 << 10

// refSegs recycles the segment structs of payloads sent by reference.
var osegs = freeList[oseg]{limit: 4096}

// oblock is the memory behind byte segments. A payload sent by reference
// ends a byte segment; the stream continues in the rest of the same block
// (another segment), so the block returns to the spares only when every
// segment cut from it has been written out.
type oblock struct {
	data []byte
	refs atomic.Int32
}

// outSegSize is the size of one byte segment of an Outbound.
const outSegSize = 64 << 10

// oseg is one segment of the outbound stream: bytes written by the socket,
// or (ref) a payload kept by reference.
type oseg struct {
	buf  []byte
	n    int     // final length; valid once next is set (sealed)
	base int64   // stream offset of buf[0]
	ref  Msg     // owner of buf for a reference segment
	blk  *oblock // memory of a byte segment
	next atomic.Pointer[oseg]
}

// Outbound is a connection's outbound byte stream: a single-producer
// single-consumer chain of segments. The producer (the socket, under its
// lock) encodes frames into it and publishes whole messages with one atomic
// store; the consumer (the engine) writes the published bytes out, parses
// the frame headers it passes to count whole messages, and acknowledges
// them for the high-water mark.
type Outbound struct {
	// committed is the stream offset just past the last whole message,
	// published with sync/atomic, or with a plain store while serial.
	committed int64
	acked     int64 // whole messages the consumer has written out: as committed

	// owner says who consumes: the engine (ownEngine), nobody while the
	// engine's writer waits on wake (ownNobody), or the socket's caller
	// writing a message out itself (ownCaller, see TryOwn).
	owner   atomic.Int32
	waiting atomic.Bool // the producer waits for acks on space
	wake    signal      // consumer's wake-up
	space   signal      // producer's wake-up

	// Producer side.
	// serial says the socket and the engine take turns under the socket's
	// lock (an invoker drives the connection): the lock orders publishing
	// and consuming, and a fenced store would only cost time. Under the
	// lock.
	serial  bool
	wseg    *oseg
	wpos    int
	w       int64 // stream bytes written, committed or not
	written int64 // whole messages written
	hwm     int64 // 0 = unlimited

	// Consumer side.
	rseg      *oseg
	rpos      int
	r         int64 // stream bytes consumed
	frameLeft int64 // bytes left of the frame being consumed
	frameMore bool  // the frame being consumed is not its message's last
	done      int64 // whole messages consumed

	tail  []byte         // producer: the rest of the block a reference cut
	tblk  *oblock        // ... and that block
	spare spares[oblock] // recycled blocks, consumer -> producer

	tiov [][]byte // writeThrough's gather list, reused
	thdr [9]byte  // writeThrough's frame header

	// A large frame's sender waiting for the writer to go idle (awaitIdle).
	idleWait atomic.Bool
	idle     signal      // notified by Sleep while idleWait is set
	itimer   *time.Timer // producer: bounds the wait (made at first use)
	stalled  bool        // producer: the last wait ran out ...
	stallAck int64       // ... with this many messages acknowledged
}

func newOutbound(hwm int, space signal) *Outbound {
	o := &Outbound{hwm: int64(max(hwm, 0)), wake: newSignal(), space: space, idle: newSignal()}
	o.wseg = o.newSeg(1)
	o.rseg = o.wseg
	return o
}

// Wake is signalled when the producer publishes while the consumer sleeps
// (see Sleep).
func (o *Outbound) Wake() <-chan struct{} { return o.wake }

// --- producer ---

// CheckWrite reports whether another message fits under the high-water
// mark; when it does not, the producer is signalled on its space signal
// once the consumer acknowledges a message.
func (o *Outbound) CheckWrite() bool {
	if o.hwm == 0 || o.written-atomic.LoadInt64(&o.acked) < o.hwm {
		return true
	}
	o.waiting.Store(true)
	if o.written-atomic.LoadInt64(&o.acked) < o.hwm {
		o.waiting.Store(false)
		return true
	}
	return false
}

// Pending is the number of whole messages written and not yet written out.
func (o *Outbound) Pending() int64 { return o.written - atomic.LoadInt64(&o.acked) }

// Reserve returns at least n contiguous bytes at the end of the stream.
func (o *Outbound) Reserve(n int) []byte {
	if len(o.wseg.buf)-o.wpos < n {
		o.seal(o.newSeg(n))
	}
	return o.wseg.buf[o.wpos:]
}

// Commit adds k reserved bytes to the stream.
func (o *Outbound) Commit(k int) { o.wpos += k; o.w += int64(k) }

// AppendRef adds m's payload to the stream without copying it, taking
// the Msg over. (m is taken by value, and never by address, so that a
// caller's Msg does not escape to the heap through the interface.)
func (o *Outbound) AppendRef(m Msg) {
	s := osegs.get()
	if s == nil {
		s = new(oseg)
	}
	s.ref = m
	s.buf = s.ref.Bytes()
	if len(s.buf) == 0 {
		s.ref.Close()
		s.ref, s.buf = Msg{}, nil
		osegs.put(s)
		return
	}
	cur := o.wseg
	if cur.blk != nil {
		o.tail, o.tblk = cur.buf[o.wpos:], cur.blk
		o.tblk.refs.Add(1)
	}
	o.seal(s)
	o.wpos = len(s.buf)
	o.w += int64(len(s.buf))
}

// Consumers of an Outbound (see owner).
const (
	ownEngine = iota
	ownNobody
	ownCaller
)

// EndMessage publishes the message written since the last one and wakes
// the engine's writer if it waits.
func (o *Outbound) EndMessage() {
	o.publish()
	o.Wakeup()
}

// publish makes the message written since the last one visible.
func (o *Outbound) publish() {
	o.written++
	if o.serial {
		o.committed = o.w
	} else {
		atomic.StoreInt64(&o.committed, o.w)
	}
}

// Wakeup hands the stream to the engine's writer if it waits.
func (o *Outbound) Wakeup() {
	if o.owner.Load() == ownNobody && o.owner.CompareAndSwap(ownNobody, ownEngine) {
		o.wake.notify()
	}
}

// TryOwn makes the caller (the producer) the consumer for a moment, when
// the engine's writer waits: a socket that never has more than one message
// to batch (REQ, REP) writes it out from its own goroutine, with no hand-off.
// The caller must Disown.
func (o *Outbound) TryOwn() bool {
	return o.owner.Load() == ownNobody && o.owner.CompareAndSwap(ownNobody, ownCaller)
}

// Disown ends TryOwn: what the caller could not write goes to the engine's
// writer.
func (o *Outbound) Disown() {
	if atomic.LoadInt64(&o.committed) != o.r {
		o.owner.Store(ownEngine)
		o.wake.notify()
		return
	}
	o.owner.Store(ownNobody)
}

// seal ends the current segment and continues the stream in s.
func (o *Outbound) seal(s *oseg) {
	cur := o.wseg
	cur.n = o.wpos
	s.base = o.w
	cur.next.Store(s)
	o.wseg, o.wpos = s, 0
}

// newSeg returns a byte segment with room for n bytes: the rest of a block
// that a reference cut, or a recycled or new block.
func (o *Outbound) newSeg(n int) *oseg {
	s := osegs.get()
	if s == nil {
		s = new(oseg)
	}
	if t := o.tblk; t != nil {
		o.tblk = nil
		if len(o.tail) >= n {
			s.buf, s.blk = o.tail, t // the reference AppendRef took moves here
			o.tail = nil
			return s
		}
		o.tail = nil
		o.dropBlock(t)
	}
	b := o.spare.get()
	if b == nil {
		if b = sharedOut.get(); b == nil {
			b = &oblock{data: make([]byte, outSegSize)}
		}
	}
	b.refs.Store(1)
	s.buf, s.blk = b.data, b
	return s
}

func (o *Outbound) dropBlock(b *oblock) {
	if b.refs.Add(-1) == 0 && !o.spare.put(b) {
		sharedOut.put(b)
	}
}

// Through is a connection's write-through for large frames (Host.Through):
// a sender that finds the connection's writer idle, with nothing queued,
// writes its frame out itself from the caller's memory instead of copying
// it into the outbound stream, and copies only what the connection did not
// take.
type Through interface {
	// WriteThrough writes iov to the connection, in order, from the calling
	// goroutine, and returns how many bytes were taken: all of them unless
	// the connection failed or stayed full for longer than the engine's
	// short bound (then the rest goes to the engine's writer); with wait
	// false it takes only what fits at once. It is called under the
	// socket's lock, with the outbound stream owned (see TryOwn), and must
	// not keep iov.
	WriteThrough(iov [][]byte, wait bool) int
}

// ThroughMin is the smallest frame a sender writes through (see Through):
// below it, copying into the stream and letting the writer batch costs
// less than a system call of the sender's own (measured on loopback: 64 and
// 128 KiB messages were 10-15 % slower written through, 256 KiB faster).
const ThroughMin = 256 << 10

// writeThrough sends body, the last frame of the message being written,
// through t: what the stream holds of the message (its earlier frames), the
// frame's header and body in one gathered write from the caller's memory,
// when the engine's writer is idle and nothing published waits. What t
// does not take is copied into the stream (the consumer resumes in the
// middle of the frame), so the message is published whole either way. It
// reports false, having done nothing, when the writer is busy: the caller
// encodes the frame as usual. ctx is the Send's: nil or done, nothing waits
// (for the writer, or for room in the connection).
func (o *Outbound) writeThrough(t Through, body []byte, ctx context.Context) bool {
	wait := ctx != nil && ctx.Err() == nil
	if !o.awaitIdle(ctx, wait) {
		return false
	}
	wait = wait && ctx.Err() == nil // it may have ended while waiting
	if atomic.LoadInt64(&o.committed) != o.r || !o.AtBoundary() {
		o.Disown() // published bytes wait: the writer's (it is woken)
		return false
	}
	pre := o.w - o.r // the message's earlier frames, not yet published
	iov := o.gather(o.tiov[:0], int(pre)+1, o.w)
	hdr := o.thdr[:]
	hdr[0] = zmtp.FlagLong
	binary.BigEndian.PutUint64(hdr[1:], uint64(len(body)))
	iov = append(iov, hdr, body)
	n := int64(max(t.WriteThrough(iov, wait), 0))
	clear(iov)
	o.tiov = iov[:0]
	if n < pre {
		// Not even the earlier frames went: the frame is encoded as usual.
		o.skip(n)
		sp := o.Reserve(len(hdr))
		o.Commit(copy(sp, hdr))
		appendBytes(o, body)
	} else {
		o.skip(pre)
		k := n - pre // of this frame
		// The consumer continues inside the frame: no header to parse.
		o.frameLeft, o.frameMore = int64(len(hdr)+len(body))-k, false
		if k < int64(len(hdr)) {
			appendBytes(o, hdr[k:])
			k = int64(len(hdr))
		}
		appendBytes(o, body[k-int64(len(hdr)):])
	}
	o.publish()
	if o.frameLeft == 0 && n >= pre {
		// All of it went: acknowledged as the writer would have.
		o.done++
		o.setAcked()
		if o.waiting.Load() && o.waiting.CompareAndSwap(true, false) {
			o.space.notify()
		}
	}
	o.Disown()
	return true
}

// ThroughWait bounds how long a large frame's sender waits for a busy
// writer to go idle (awaitIdle) before copying the frame into the stream.
const ThroughWait = time.Millisecond

// awaitIdle takes the stream over from the engine's writer (TryOwn) for a
// large frame, waiting up to ThroughWait for a busy writer to write out
// what is queued and go idle. A sender that copied its large frames while
// the writer was busy would outrun it and keep it busy, so every later frame
// is copied too: waiting (while the writer has the processor) is what lets
// the senders write their frames from their own memory again. A writer
// that did not acknowledge a single message during the last wait that ran
// out (a peer that does not read) is not waited for again until it does,
// so Send is not held up by it more than once. It reports false, owning
// nothing, when the writer stayed busy. Without wait, or once ctx is done,
// it does not wait.
func (o *Outbound) awaitIdle(ctx context.Context, wait bool) bool {
	if o.TryOwn() {
		return true
	}
	if !wait {
		return false
	}
	if o.stalled {
		if atomic.LoadInt64(&o.acked) == o.stallAck {
			return false
		}
		o.stalled = false
	}
	if o.itimer == nil {
		o.itimer = time.NewTimer(ThroughWait)
	} else {
		o.itimer.Reset(ThroughWait)
	}
	o.idleWait.Store(true)
	defer o.idleWait.Store(false)
	for {
		if o.TryOwn() {
			o.itimer.Stop()
			return true
		}
		select {
		case <-o.idle:
		case <-ctx.Done():
			o.itimer.Stop()
			return o.TryOwn()
		case <-o.itimer.C:
			if o.TryOwn() {
				return true
			}
			o.stalled, o.stallAck = true, atomic.LoadInt64(&o.acked)
			return false
		}
	}
}

// appendBytes copies b into ob, across segments as needed.
func appendBytes(ob OutBuffer, b []byte) {
	for len(b) > 0 {
		sp := ob.Reserve(1)
		k := copy(sp, b)
		ob.Commit(k)
		b = b[k:]
	}
}

// AppendFrame encodes one frame of payload m into ob: header and body in
// place, or the body by reference from RefMin bytes on (and for zero-copy
// payloads of any size worth it). m is consumed.
func AppendFrame(ob OutBuffer, m *Msg, more bool) {
	body := m.Bytes()
	var flags byte
	if more {
		flags = zmtp.FlagMore
	}
	n := len(body)
	if n < RefMin || m.ref == nil {
		// Header and (small) body into one reservation when it fits.
		if n <= zmtp.MaxShortFrame {
			sp := ob.Reserve(2)
			sp[0], sp[1] = flags, byte(n)
			if k := copy(sp[2:], body); k == n {
				ob.Commit(2 + n)
				m.Close()
				return
			}
			ob.Commit(2)
		} else {
			sp := ob.Reserve(9)
			sp[0] = flags | zmtp.FlagLong
			binary.BigEndian.PutUint64(sp[1:9], uint64(n))
			ob.Commit(9)
		}
		appendBytes(ob, body)
		m.Close()
		return
	}
	sp := ob.Reserve(9)
	sp[0] = flags | zmtp.FlagLong
	binary.BigEndian.PutUint64(sp[1:9], uint64(n))
	ob.Commit(9)
	ob.AppendRef(*m)
	*m = Msg{}
}

// appendShort is AppendFrame's common case written out for the TCP stream,
// where the compiler can inline it: a short frame that fits the current
// segment. It reports false, having written nothing, otherwise.
func (o *Outbound) appendShort(body []byte, more bool) bool {
	n := len(body)
	if n > zmtp.MaxShortFrame || len(o.wseg.buf)-o.wpos < n+2 {
		return false
	}
	b := o.wseg.buf[o.wpos:]
	b[0], b[1] = 0, byte(n)
	if more {
		b[0] = zmtp.FlagMore
	}
	copy(b[2:], body)
	o.wpos += n + 2
	o.w += int64(n + 2)
	return true
}

// AppendCommand encodes one command frame into ob.
func AppendCommand(ob OutBuffer, name string, data []byte) {
	n := 1 + len(name) + len(data)
	var hdr [9]byte
	h := zmtp.AppendHeader(hdr[:0], zmtp.FlagCommand, n)
	sp := ob.Reserve(len(h))
	ob.Commit(copy(sp, h))
	sp = ob.Reserve(1)
	sp[0] = byte(len(name))
	ob.Commit(1)
	appendBytes(ob, []byte(name))
	appendBytes(ob, data)
}

// --- consumer ---

// Sleep marks the engine's writer as waiting for data and reports whether
// it may really wait: false when something was published meanwhile and it
// still consumes. After its wait the writer calls Resume.
func (o *Outbound) Sleep() bool {
	r := o.r // once the stream is nobody's, a caller may move it on
	o.owner.Store(ownNobody)
	if atomic.LoadInt64(&o.committed) != r && o.owner.CompareAndSwap(ownNobody, ownEngine) {
		return false
	}
	if o.idleWait.Load() {
		o.idle.notify()
	}
	return true
}

// Resume makes the engine's writer the consumer again after a wake-up,
// waiting out a caller that is writing (TryOwn).
func (o *Outbound) Resume() {
	for {
		switch o.owner.Load() {
		case ownEngine:
			return
		case ownNobody:
			if o.owner.CompareAndSwap(ownNobody, ownEngine) {
				return
			}
		default:
			runtime.Gosched() // one non-blocking write: short
		}
	}
}

// Available is the number of published bytes not yet consumed.
func (o *Outbound) Available() int64 { return atomic.LoadInt64(&o.committed) - o.r }

// Gather appends to iov the published bytes not yet consumed, up to about
// limit bytes, as slices of the stream's own memory (valid until Advance
// passes them).
func (o *Outbound) Gather(iov [][]byte, limit int) [][]byte {
	return o.gather(iov, limit, atomic.LoadInt64(&o.committed))
}

// gather is Gather up to stream offset c.
func (o *Outbound) gather(iov [][]byte, limit int, c int64) [][]byte {
	s, pos, total := o.rseg, o.rpos, 0
	for total < limit {
		end := int(c - s.base)
		next := s.next.Load()
		if next != nil {
			end = min(end, s.n)
		}
		if end > pos {
			iov = append(iov, s.buf[pos:end])
			total += end - pos
		}
		if next == nil || end < s.n {
			break
		}
		s, pos = next, 0
	}
	return iov
}

// Advance consumes n bytes that Gather returned and have been written out,
// counting the whole messages they complete; it reports whether that
// acknowledged any (and wakes a producer waiting at its high-water mark).
func (o *Outbound) Advance(n int) bool {
	before := o.done
	if o.serial && o.r+int64(n) == o.w && o.w == o.committed && o.AtBoundary() && o.rseg == o.wseg && o.rseg.blk != nil {
		// Everything written went, from the segment being written: with
		// the producer at rest (serial) and nothing unpublished, its count
		// of messages is the count published, and there are no headers to
		// walk.
		o.r += int64(n)
		o.done = o.written
		// The segment is empty again: the next message is encoded at its
		// start, so a round trip keeps touching the same few cache lines
		// instead of walking through the whole segment.
		o.wseg.base = o.w
		o.wpos, o.rpos = 0, 0
	} else {
		o.skip(int64(n))
	}
	if o.done == before {
		return false
	}
	o.setAcked()
	if o.waiting.Load() && o.waiting.CompareAndSwap(true, false) {
		o.space.notify()
	}
	return true
}

// setAcked publishes the count of messages written out.
func (o *Outbound) setAcked() {
	if o.serial {
		o.acked = o.done
	} else {
		atomic.StoreInt64(&o.acked, o.done)
	}
}

// AtBoundary reports whether the consumer stands between two messages (where
// an engine may slip in a command frame of its own).
func (o *Outbound) AtBoundary() bool { return o.frameLeft == 0 && !o.frameMore }

// DropPartial skips the rest of a message whose first bytes were written to
// a connection that has ended, so the next connection starts at a message
// boundary: the tail of a cut message never arrives as a message of its own.
// Only the consumer may call it, while no engine consumes.
func (o *Outbound) DropPartial() {
	if o.AtBoundary() {
		return
	}
	// A message is published whole, so its rest is already there.
	for !o.AtBoundary() {
		if o.frameLeft > 0 {
			o.skip(o.frameLeft)
		} else {
			o.skip(1) // parses the next header, then consumes a byte of it
		}
	}
	o.setAcked()
	if o.waiting.Load() && o.waiting.CompareAndSwap(true, false) {
		o.space.notify()
	}
}

// DiscardAll drops every published message not yet started (and the rest of
// one that was): what a SUB does with stale subscriptions when it
// reconnects. Consumer only, while no engine consumes.
func (o *Outbound) DiscardAll() {
	o.DropPartial()
	if n := atomic.LoadInt64(&o.committed) - o.r; n > 0 {
		o.skip(n)
	}
	o.setAcked()
	if o.waiting.Load() && o.waiting.CompareAndSwap(true, false) {
		o.space.notify()
	}
}

// skip consumes n bytes, walking frame headers to count messages and
// recycling or releasing the segments it leaves.
func (o *Outbound) skip(n int64) {
	for n > 0 {
		s := o.rseg
		next := s.next.Load()
		if next != nil && o.rpos == s.n {
			o.release(s)
			o.rseg, o.rpos = next, 0
			continue
		}
		if o.frameLeft == 0 {
			// Headers are never split across segments (Reserve).
			b := s.buf[o.rpos:]
			flags := b[0]
			size := int64(b[1])
			hl := int64(2)
			if flags&zmtp.FlagLong != 0 {
				size, hl = int64(binary.BigEndian.Uint64(b[1:9])), 9
			}
			o.frameLeft = hl + size
			o.frameMore = flags&zmtp.FlagMore != 0
		}
		k := min(n, o.frameLeft)
		if next != nil {
			k = min(k, int64(s.n-o.rpos))
		}
		o.rpos += int(k)
		o.r += k
		n -= k
		o.frameLeft -= k
		if o.frameLeft == 0 && !o.frameMore {
			o.done++
		}
	}
	// Leave a finished segment at once, so a payload held by reference is
	// released without waiting for the next write; the last one written
	// is released even while the producer has not moved on from it.
	if next := o.rseg.next.Load(); next != nil && o.rpos == o.rseg.n {
		o.release(o.rseg)
		o.rseg, o.rpos = next, 0
	} else if s := o.rseg; s.blk == nil && o.rpos == len(s.buf) {
		s.ref.Close()
	}
}

func (o *Outbound) release(s *oseg) {
	if s.blk != nil {
		o.dropBlock(s.blk)
	} else {
		s.ref.Close()
	}
	s.ref, s.buf, s.blk, s.n, s.base = Msg{}, nil, nil, 0, 0
	s.next.Store(nil)
	osegs.put(s)
}

// Free releases every reference still in the stream (zero-copy callbacks
// run). Called once neither end will touch the stream again.
func (o *Outbound) Free() {
	for s := o.rseg; s != nil; s = s.next.Load() {
		if s.ref.ref != nil {
			s.ref.Close()
		}
	}
	o.rseg = nil
}
