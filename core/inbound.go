package core

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"sync/atomic"

	"github.com/zmqx/zmqx/internal/zmtp"
)

// inSegSize is the size of one segment of an Inbound, and so the most one
// read from the connection takes in.
const inSegSize = 64 << 10

// minRead is the least free space worth a read syscall; with less, the
// stream moves on to a fresh segment.
const minRead = 4 << 10

// maxFrame bounds frames even when MaxMsgSize is unlimited, so a declared
// size always fits an int.
const maxFrame = 1 << 40

type iseg struct {
	buf  []byte
	n    int   // final length; valid once next is set (sealed)
	base int64 // stream offset of buf[0]
	next atomic.Pointer[iseg]
	// owner counts the stream's own reference (dropped when the socket has
	// read past the segment) and one per received Msg that points into it;
	// at zero a standard segment goes back to the engine for reuse.
	owner buffer
	in    *Inbound
}

func (in *Inbound) newSeg(size int) *iseg {
	if size <= inSegSize {
		s := in.spare.get()
		if s == nil {
			s = sharedIn.get()
		}
		if s != nil {
			s.in = in
			s.owner.refs.Store(1)
			return s
		}
		size = inSegSize
	} else if c := bigClass(size); c < bigClasses {
		// A message larger than a segment gets a segment of its own, from
		// a pool by power-of-two size, so large messages recycle too.
		if s := bigSegs[c].get(); s != nil {
			s.in = in
			s.owner.refs.Store(1)
			return s
		}
		size = 1 << (c + bigMinShift)
	}
	s := &iseg{buf: make([]byte, size), in: in}
	s.owner.data, s.owner.class = s.buf, -1
	s.owner.release = s.recycle
	s.owner.refs.Store(1)
	return s
}

// recycle runs when the last reference to s is dropped, on whichever
// goroutine dropped it.
func (s *iseg) recycle() {
	s.next.Store(nil)
	s.n, s.base = 0, 0
	if len(s.buf) == inSegSize {
		if !s.in.spare.put(s) {
			s.in = nil
			sharedIn.put(s)
		}
	} else if c := bigClass(len(s.buf)); c < bigClasses && len(s.buf) == 1<<(c+bigMinShift) {
		s.in = nil
		bigSegs[c].put(s)
	}
}

// Pools of segments for messages larger than inSegSize, by size class.
const (
	bigMinShift = 17 // 128 KiB
	bigClasses  = 10 // up to 64 MiB
)

var bigSegs = func() (l [bigClasses]freeList[iseg]) {
	for i := range l {
		l[i].limit = max(2, 1024>>i) // 128 MiB a class
	}
	return
}()

func bigClass(n int) int {
	c := bits.Len(uint(n-1)) - bigMinShift
	return max(c, 0)
}

// Inbound is a connection's inbound byte stream, the mirror of Outbound:
// the engine reads from the connection straight into its segments, checks
// each frame header (size limits, commands) and publishes whole messages
// with one atomic store; the socket decodes the frames in place and copies
// each payload once, into the Msg it hands the user. A message never spans
// two segments, so decoding never stitches.
type Inbound struct {
	// committed is the stream offset just past the last whole message,
	// published with sync/atomic, or with a plain store while serial.
	committed int64
	read      int64 // whole messages the socket has taken: as committed
	// serial says the engine and the socket take turns under the socket's
	// lock (an invoker drives the connection): the lock orders publishing
	// and reading, so a fenced store would only cost time. Under the lock.
	serial bool

	asleep   atomic.Bool // the socket waits for data on wake
	waiting  atomic.Bool // the engine waits for room on space
	wake     signal      // the socket's receive signal
	space    signal      // the engine's wake-up
	hwm      int64
	maxMsg   int64
	subIn    bool // SUBSCRIBE and CANCEL commands are messages (PUB, XPUB)
	onCmd    func(body []byte) error
	sawFrame bool // a data frame of the current message has been checked

	// Producer side (engine).
	wseg     *iseg
	wpos     int   // bytes filled in wseg
	ppos     int   // parse position in wseg
	bpos     int   // start of the message being assembled in wseg
	need     int   // bytes the frame at ppos needs, once its header is known
	msgBytes int64 // data bytes of the message being assembled
	msgs     int64 // whole messages published

	// Consumer side (socket).
	rseg  *iseg
	rpos  int
	r     int64
	limit int64 // committed, as last loaded
	taken int64 // whole messages taken

	spare spares[iseg]

	// meta is the current connection's properties, stamped on each Msg.
	meta atomic.Pointer[Metadata]
}

func newInbound(hwm int, maxMsg int64, wake signal) *Inbound {
	if maxMsg <= 0 {
		maxMsg = maxFrame
	}
	in := &Inbound{hwm: int64(max(hwm, 0)), maxMsg: maxMsg, wake: wake, space: newSignal()}
	in.wseg = in.newSeg(inSegSize)
	in.rseg = in.wseg
	return in
}

// --- producer (engine) ---

// SetCommandHandler sets the function called with the body of every
// command frame that is not a subscription for the socket (PING, PONG,
// ERROR, ...). Its error ends the connection.
func (in *Inbound) SetCommandHandler(f func(body []byte) error) { in.onCmd = f }

// SpaceSignal is signalled when the socket takes a message while the
// engine waits at the high-water mark (see Full).
func (in *Inbound) SpaceSignal() <-chan struct{} { return in.space }

// Full reports whether the socket's receive high-water mark is reached;
// if so the engine is signalled on SpaceSignal when that changes.
func (in *Inbound) Full() bool {
	if in.hwm == 0 || in.msgs-atomic.LoadInt64(&in.read) < in.hwm {
		return false
	}
	in.waiting.Store(true)
	if in.msgs-atomic.LoadInt64(&in.read) < in.hwm {
		in.waiting.Store(false)
		return false
	}
	return true
}

// Reset drops a partly received message: a new connection starts clean.
func (in *Inbound) Reset() {
	in.wpos, in.ppos = in.bpos, in.bpos
	in.need, in.msgBytes, in.sawFrame = 0, 0, false
}

// Space returns free memory at the end of the stream to read into.
func (in *Inbound) Space() []byte {
	s := in.wseg
	if in.serial && in.rpos == in.wpos && in.wpos > 0 && in.rseg == s && len(s.buf) == inSegSize && s.owner.refs.Load() == 1 {
		// Everything read has been taken, and nothing points into the
		// segment: an invoker (serial) reads the next message into the
		// same memory, so a round trip keeps touching the same few cache
		// lines instead of walking through the whole segment.
		s.base += int64(in.wpos)
		in.wpos, in.ppos, in.bpos, in.rpos = 0, 0, 0, 0
	}
	if len(s.buf) > inSegSize {
		// A segment made for a large frame: read exactly the rest of that
		// frame into it, so the next message's bytes are not read into its
		// tail only to be copied out again; once its messages are whole,
		// continue in a standard segment.
		if in.need > 0 && in.ppos+in.need <= len(s.buf) {
			return s.buf[in.wpos : in.ppos+in.need]
		}
		if in.need == 0 && in.bpos == in.wpos {
			ns := in.newSeg(inSegSize)
			ns.base = s.base + int64(in.bpos)
			s.n = in.bpos
			s.next.Store(ns)
			in.wseg = ns
			in.ppos, in.wpos, in.bpos = 0, 0, 0
			return ns.buf
		}
	}
	free := len(s.buf) - in.wpos
	if free >= minRead && (in.need == 0 || in.ppos+in.need <= len(s.buf)) {
		return s.buf[in.wpos:]
	}
	// Move the message being assembled to a segment that holds it whole.
	partial := in.wpos - in.bpos
	want := (in.ppos - in.bpos) + max(in.need, 0) + minRead
	ns := in.newSeg(want)
	copy(ns.buf, s.buf[in.bpos:in.wpos])
	ns.base = s.base + int64(in.bpos)
	s.n = in.bpos
	s.next.Store(ns)
	in.wseg = ns
	in.ppos -= in.bpos
	in.wpos = partial
	in.bpos = 0
	return ns.buf[in.wpos:]
}

// Fill takes n bytes just read into Space, checks every frame they
// complete and publishes the whole messages among them. It reports
// whether anything was published.
func (in *Inbound) Fill(n int) (bool, error) {
	in.wpos += n
	s := in.wseg
	before := in.bpos
	for {
		b := s.buf[in.ppos:in.wpos]
		if len(b) < 2 {
			break // not even a short header (usually: nothing)
		}
		var h zmtp.Header
		if f := b[0]; f&^zmtp.FlagMore == 0 {
			// A short data frame, the common case: nothing to check.
			h = zmtp.Header{Flags: f, Len: 2, Size: uint64(b[1])}
		} else {
			var err error
			if h, err = zmtp.ParseHeader(b, 0); err == zmtp.ErrShort {
				break
			} else if err != nil {
				return false, err
			}
		}
		if h.Command() {
			if h.Size > uint64(in.maxMsg+256) {
				return false, fmt.Errorf("%w: command of %d bytes", zmtp.ErrTooLarge, h.Size)
			}
		} else if h.Size > uint64(in.maxMsg-in.msgBytes) {
			return false, zmtp.MessageTooLarge(h.Size, in.msgBytes, in.maxMsg)
		}
		total := h.Len + int(h.Size)
		if len(b) < total {
			in.need = total
			break
		}
		in.need = 0
		in.ppos += total
		if h.Command() {
			body := b[h.Len:total]
			if in.subIn && isSubCommand(body) && !in.sawFrame {
				in.msgs++
				in.bpos = in.ppos
				continue
			}
			if in.onCmd != nil {
				if err := in.onCmd(body); err != nil {
					return false, err
				}
			}
			if !in.sawFrame {
				in.bpos = in.ppos // consumers skip it
			}
			continue
		}
		in.sawFrame = true
		in.msgBytes += int64(h.Size)
		if !h.More() {
			in.msgs++
			in.bpos = in.ppos
			in.msgBytes, in.sawFrame = 0, false
		}
	}
	if in.bpos == before {
		return false, nil
	}
	if in.serial {
		in.committed = s.base + int64(in.bpos)
	} else {
		atomic.StoreInt64(&in.committed, s.base+int64(in.bpos))
	}
	if in.asleep.Load() && in.asleep.CompareAndSwap(true, false) {
		in.wake.notify()
	}
	return true, nil
}

func isSubCommand(body []byte) bool {
	if len(body) >= 10 && body[0] == 9 && string(body[1:10]) == zmtp.CmdSubscribe {
		return true
	}
	return len(body) >= 7 && body[0] == 6 && string(body[1:7]) == zmtp.CmdCancel
}

// --- consumer (socket) ---

// drained reports whether the socket has taken every byte the engine put
// in: no message waits, and no part of one.
func (in *Inbound) drained() bool { return in.rseg == in.wseg && in.rpos == in.wpos }

// checkRead reports whether a frame can be taken; when none can, the
// socket is marked asleep so the engine's next publish signals it. Not
// while serial (the socket's callers drive the engine: no one waits on
// the signal, the caller publishes and takes in turn), except for a PUB
// or XPUB, which take their subscriptions in when it fires.
func (in *Inbound) checkRead() bool {
	if in.r < in.limit {
		return true
	}
	if in.limit = atomic.LoadInt64(&in.committed); in.r < in.limit {
		return true
	}
	if in.serial && !in.subIn {
		return false
	}
	in.asleep.Store(true)
	if in.limit = atomic.LoadInt64(&in.committed); in.r < in.limit {
		in.asleep.Store(false)
		return true
	}
	return false
}

// next decodes the next frame into a Msg: a payload of up to InlineMax
// bytes is copied into the message, a larger one is handed out in place
// (a reference to the segment, which is reused once every such message is
// closed).
// Subscription commands become ZMTP 3.0 style subscription messages;
// other commands are skipped (the engine has handled them).
func (in *Inbound) next(m *Msg) bool {
	for in.checkRead() {
		s := in.rseg
		if next := s.next.Load(); next != nil && in.rpos == s.n {
			in.rseg, in.rpos = next, 0
			if s.owner.refs.Add(-1) == 0 {
				s.recycle()
			}
			continue
		}
		b := s.buf[in.rpos:]
		flags := b[0]
		size, hl := int(b[1]), 2
		if flags&zmtp.FlagLong != 0 {
			size, hl = int(binary.BigEndian.Uint64(b[1:9])), 9
		}
		body := b[hl : hl+size]
		in.rpos += hl + size
		in.r += int64(hl + size)
		if flags&zmtp.FlagCommand != 0 {
			if !in.subIn || !isSubCommand(body) {
				continue
			}
			cmd, _ := zmtp.ParseCommand(body) // checked by the engine
			*m = subscriptionMsg(cmd.Data, cmd.Name == zmtp.CmdSubscribe)
		} else if len(body) <= InlineMax {
			m.n = uint8(copy(m.inline[:], body))
			m.More = flags&zmtp.FlagMore != 0
		} else {
			// Larger payloads are handed out in place: the segment stays
			// out of reuse until the last such Msg is closed.
			s.owner.refs.Add(1)
			m.ext, m.ref = body[:len(body):len(body)], &s.owner
			m.More = flags&zmtp.FlagMore != 0
		}
		m.meta = in.meta.Load()
		if !m.More {
			in.taken++
			in.setRead()
			if in.waiting.Load() && in.waiting.CompareAndSwap(true, false) {
				in.space.notify()
			}
		}
		return true
	}
	return false
}

// setRead publishes the count of messages the socket has taken.
func (in *Inbound) setRead() {
	if in.serial {
		in.read = in.taken
	} else {
		atomic.StoreInt64(&in.read, in.taken)
	}
}
