package core

import (
	"math/bits"
	"sync/atomic"
)

// InlineMax is the largest payload a Msg stores inside itself, as libzmq's
// "very small messages" (33 bytes there): no allocation, no reference
// count and no sharing for these. 85 bytes fill a Msg of 128 (two cache
// lines): messages of up to 85 bytes (quotes, orders, the benchmarks'
// 64) are copied rather than shared, and receiving one takes no atomic
// operation (a shared one takes two, each ~6 ns on the test host).
const InlineMax = 85

// Msg is one frame. Payloads of up to InlineMax bytes live inside the value;
// larger ones point at a buffer that is either garbage collected, pooled and
// reference counted, or owned by the caller and handed back through a release
// callback (zero-copy). A Msg is moved, not copied: after handing it to a
// pipe the sender no longer touches it. Close releases a reference.
type Msg struct {
	ext  []byte // payload when larger than InlineMax (or zero-copy)
	ref  *buffer
	n    uint8 // inline length
	More bool  // another frame of the same message follows
	// borrowed: ext is the caller's, valid only during the Send that
	// carries it; whatever keeps the frame longer copies it first.
	borrowed bool
	inline   [InlineMax]byte
	// meta is the receiving connection's properties (shared, immutable).
	meta *Metadata
}

// buffer is the shared owner of a large payload.
type buffer struct {
	refs    atomic.Int32
	data    []byte
	release func() // zero-copy: the caller's callback
	zc      bool   // from zcBuffers
	class   int    // pool size class, or -1
	pool    *bufferPool
}

// NewMsg copies b into a new message.
func NewMsg(b []byte) Msg { return defaultPool.copyMsg(b) }

// NewMsgString copies s into a new message.
func NewMsgString(s string) Msg {
	var m Msg
	if len(s) <= InlineMax {
		m.n = uint8(copy(m.inline[:], s))
		return m
	}
	return defaultPool.copyMsg([]byte(s))
}

var zcBuffers = freeList[buffer]{limit: 4096}

// NewMsgSize makes a message of n bytes for the caller to fill in place
// (Bytes), like zmq_msg_init_size: the memory comes from zmqx's pools and
// its initial contents are unspecified. Sent with SendMsg it goes out by
// reference, without being copied again.
func NewMsgSize(n int) Msg {
	var m Msg
	if n <= InlineMax {
		m.n = uint8(n)
		return m
	}
	return defaultPool.sized(n)
}

// NewZeroCopyMsg wraps b without copying. release (if non-nil) is called
// exactly once, from whichever goroutine drops the last reference, after the
// last engine has written or discarded the frame. b must not change before.
func NewZeroCopyMsg(b []byte, release func()) Msg {
	buf := zcBuffers.get()
	if buf == nil {
		buf = new(buffer)
	}
	buf.data, buf.release, buf.class, buf.zc = b, release, -1, true
	buf.refs.Store(1)
	return Msg{ext: b, ref: buf}
}

// Borrow wraps b for the duration of one Send without copying it: a stream
// connection encodes it into its outbound bytes at once, and a pipe that
// must keep the frame (inproc) copies it. Payloads up to InlineMax bytes
// are copied into the Msg, which is as cheap.
func Borrow(b []byte) Msg {
	var m Msg
	if len(b) <= InlineMax {
		m.n = uint8(copy(m.inline[:], b))
		return m
	}
	m.ext, m.borrowed = b, true
	return m
}

// BorrowInto is Borrow writing into *m, a zero Msg (no copy of the Msg
// itself on the way).
func BorrowInto(m *Msg, b []byte) {
	if len(b) <= InlineMax {
		m.n = uint8(copy(m.inline[:], b))
		return
	}
	m.ext, m.borrowed = b, true
}

// own makes a borrowed frame one that can outlive the Send.
func (m *Msg) own() {
	if m.borrowed {
		more := m.More
		*m = defaultPool.copyMsg(m.ext)
		m.More = more
	}
}

// Adopt wraps b, which the caller gives up, without copying. Used by engines
// for frames they allocated themselves; the garbage collector owns it.
func Adopt(b []byte) Msg {
	var m Msg
	if len(b) <= InlineMax {
		m.n = uint8(copy(m.inline[:], b))
		return m
	}
	m.ext = b
	return m
}

// Bytes returns the payload. For inline messages it aliases m itself.
func (m *Msg) Bytes() []byte {
	if m.ext != nil || m.ref != nil {
		return m.ext
	}
	return m.inline[:m.n]
}

// Len is the payload size.
func (m *Msg) Len() int {
	if m.ext != nil || m.ref != nil {
		return len(m.ext)
	}
	return int(m.n)
}

// Inline reports whether the payload lives inside the Msg.
func (m *Msg) Inline() bool { return m.ext == nil && m.ref == nil }

// Share returns another reference to the same payload (for distribution to
// several pipes); each copy is closed on its own.
func (m *Msg) Share() Msg {
	if m.ref != nil {
		m.ref.refs.Add(1)
	}
	return *m
}

// Detach returns the payload as a slice the caller owns outright. GC-owned
// payloads are returned as they are; pooled or zero-copy ones are copied and
// released, so the slice stays valid after the buffer is recycled.
func (m *Msg) Detach() []byte {
	if m.Inline() {
		return append([]byte(nil), m.inline[:m.n]...)
	}
	if m.ref == nil && !m.borrowed {
		b := m.ext
		m.ext = nil
		return b
	}
	b := append([]byte(nil), m.ext...)
	m.Close()
	m.ext = nil
	return b
}

// Close drops this reference; the last one releases the payload.
func (m *Msg) Close() {
	if r := m.ref; r != nil {
		m.ref, m.ext = nil, nil
		if r.refs.Add(-1) == 0 {
			r.free()
		}
	}
}

func (b *buffer) free() {
	if b.zc {
		// The owner struct of a zero-copy payload is recycled, so sending
		// a caller's buffer allocates nothing.
		release := b.release
		*b = buffer{}
		zcBuffers.put(b)
		if release != nil {
			release()
		}
		return
	}
	if b.release != nil {
		b.release()
		return
	}
	if b.pool != nil {
		b.pool.put(b)
	}
}

// bufferPool recycles large-message buffers by power-of-two size class so
// the steady state of copying sends allocates nothing.
type bufferPool struct {
	classes [poolClasses]freeList[buffer]
}

const (
	poolMinShift = 6  // 64 B
	poolMaxShift = 20 // 1 MiB; larger payloads are left to the GC
	poolClasses  = poolMaxShift - poolMinShift + 1
)

var defaultPool = &bufferPool{} // its free lists are its only state

func (p *bufferPool) copyMsg(b []byte) Msg {
	var m Msg
	if len(b) <= InlineMax {
		m.n = uint8(copy(m.inline[:], b))
		return m
	}
	m = p.sized(len(b))
	copy(m.ext, b)
	return m
}

// sized returns a message of n > InlineMax bytes from the pool (contents
// unspecified).
func (p *bufferPool) sized(n int) Msg {
	var m Msg
	class := bits.Len(uint(n-1)) - poolMinShift
	if class < 0 {
		class = 0
	}
	if class >= poolClasses {
		m.ext = make([]byte, n)
		return m
	}
	buf := p.classes[class].get()
	if buf == nil {
		buf = &buffer{data: make([]byte, 1<<(class+poolMinShift)), class: class, pool: p}
	}
	buf.refs.Store(1)
	m.ext = buf.data[:n]
	m.ref = buf
	return m
}

func (p *bufferPool) put(b *buffer) {
	c := &p.classes[b.class]
	if c.limit == 0 {
		c.mu.Lock()
		// Keep about 32 MiB per class: a pipe's worth of large messages in
		// flight recycles instead of churning the garbage collector.
		c.limit = max(4, (32<<20)>>(b.class+poolMinShift))
		c.mu.Unlock()
	}
	c.put(b)
}
