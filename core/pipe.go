package core

import "sync/atomic"

// half is one direction of a pipe: a ypipe plus the high-water-mark
// accounting and the wake-up targets of both of its ends.
type half struct {
	q   *ypipe
	hwm int64 // whole messages; 0 = unlimited

	written int64        // writer: whole messages written
	read    atomic.Int64 // reader: whole messages read

	readerWake wakeTarget // woken when a flush finds the reader asleep
	writerWake wakeTarget // woken when the reader frees space for a waiting writer
	waiting    atomic.Bool

	writerGone atomic.Bool // nothing more will be written
	readerGone atomic.Bool // nothing more will be read
}

// Pipe is one end of a bidirectional pipe between a socket and a session (or,
// for inproc, another socket). Each half is single-producer single-consumer:
// the end's owner writes out and reads in.
//
// A stream pipe (ob and ib set) joins a socket to a stream connection
// instead: the socket encodes into the connection's Outbound and decodes
// from its Inbound, and there is no Pipe at the far end.
type Pipe struct {
	in, out *half
	peer    *Pipe

	ob         *Outbound   // stream: the socket's sends, as bytes
	ib         *Inbound    // stream: the socket's receives, as bytes
	gone       atomic.Bool // stream: the connection is over for good
	live       bool        // stream: a connection is attached (socket mu)
	downgraded bool        // stream: the peer speaks ZMTP 3.0 (socket mu)
	agent      Agent       // stream, invoker mode: the connection to drive
	express    Express     // agent, when it is one (socket mu)
	direct     Agent       // stream, REQ/REP in block mode: writes a message out from Send
	through    Through     // stream, block mode: writes a large frame out from Send
	sock       *Socket     // stream: the socket this end belongs to

	inMsgs int64 // whole messages read from in (reader-local copy)

	// assignID is the routing id a ROUTER gives this peer whatever it
	// presents (ConnectRoutingID), if set.
	assignID []byte
	// kill ends the connection (stream pipes): a ROUTER handing the peer's
	// routing id over to another, a STREAM closing it. Set before attach.
	kill func()
	// slot is the message waiting for the pipe to drain (Conflate).
	slot []Msg

	// RoutingID is the peer's routing id as a ROUTER sees it.
	RoutingID []byte
	// Peer describes the far side once known.
	Peer PeerInfo

	matchGen uint64        // dist: last distribution round this pipe matched
	detached *atomic.Int32 // shared by both ends: how many have let go
	left     bool          // this end has detached (owner's lock)
}

// PeerInfo describes what a handshake learned about a peer.
type PeerInfo struct {
	Type       string // the peer's socket type, as on the wire
	Identity   []byte // the peer's Identity property (may be empty)
	RemoteAddr string
	// Downgraded is true for ZMTP 3.0 peers (subscriptions as messages).
	Downgraded bool
	// Meta is the connection's properties, given to every message it
	// delivers (see Msg.Metadata).
	Meta *Metadata
}

// pipeEnd is what the owner of one end brings: where to wake it, and the
// high-water marks of the halves it writes and reads.
type pipeEnd struct {
	recv, send signal
	sndhwm     int
	rcvhwm     int
}

// newPipePair joins two ends. a's sends carry a.sndhwm+b.rcvhwm messages at
// most (libzmq's rule for pipes whose both ends have queues of their own).
func newPipePair(a, b pipeEnd) (*Pipe, *Pipe) {
	ab := &half{q: newYpipe(), hwm: hwmSum(a.sndhwm, b.rcvhwm)}
	ba := &half{q: newYpipe(), hwm: hwmSum(b.sndhwm, a.rcvhwm)}
	ab.readerWake.set(b.recv)
	ab.writerWake.set(a.send)
	ba.readerWake.set(a.recv)
	ba.writerWake.set(b.send)
	pa := &Pipe{in: ba, out: ab}
	pb := &Pipe{in: ab, out: ba}
	pa.peer, pb.peer = pb, pa
	d := new(atomic.Int32)
	pa.detached, pb.detached = d, d
	return pa, pb
}

// wakeTarget is the signal a half wakes. It can change once, while a pipe
// made by an inproc connect before the bind waits for its binder.
type wakeTarget struct{ v atomic.Value }

func (w *wakeTarget) set(s signal) { w.v.Store(s) }
func (w *wakeTarget) notify()      { w.v.Load().(signal).notify() }

// adopt makes the socket e belongs to the owner of p's end: its signals
// are woken from now on, and it is woken once now for what is queued.
func (p *Pipe) adopt(e pipeEnd) {
	p.in.readerWake.set(e.recv)
	p.out.writerWake.set(e.send)
	e.recv.notify()
	e.send.notify()
}

// newStreamPipe makes the socket end of a pipe to a stream connection,
// with the connection's options o.
func newStreamPipe(s *Socket, o *Options) *Pipe {
	p := &Pipe{
		ob:       newOutbound(o.SendHWM, s.sendSig),
		ib:       newInbound(o.RecvHWM, o.MaxMsgSize, s.recvSig),
		detached: new(atomic.Int32),
		sock:     s,
	}
	p.ib.subIn = s.typ == PUB || s.typ == XPUB
	return p
}

// disconnect ends the connection behind p, if there is one; the socket
// has forgotten p already.
func (p *Pipe) disconnect() {
	if p.kill != nil {
		p.kill()
	}
}

// Stream reports whether p leads to a stream connection.
func (p *Pipe) Stream() bool { return p.ob != nil }

// Out is the stream a connection's engine writes out (stream pipes).
func (p *Pipe) Out() *Outbound { return p.ob }

// In is the stream a connection's engine reads into (stream pipes).
func (p *Pipe) In() *Inbound { return p.ib }

func hwmSum(a, b int) int64 {
	if a <= 0 || b <= 0 {
		if a <= 0 && b <= 0 {
			return 0
		}
		return int64(max(a, b))
	}
	return int64(a + b)
}

// CheckWrite reports whether a new message fits under the HWM. When it does
// not, the writer is registered to be woken when the reader makes room.
func (p *Pipe) CheckWrite() bool {
	if p.ob != nil {
		return !p.gone.Load() && p.ob.CheckWrite()
	}
	h := p.out
	if h.readerGone.Load() {
		return false
	}
	if h.hwm == 0 || h.written-h.read.Load() < h.hwm {
		return true
	}
	h.waiting.Store(true)
	// Re-check after publishing the flag: the reader may have read in between.
	if h.written-h.read.Load() < h.hwm {
		h.waiting.Store(false)
		return true
	}
	return false
}

// Write queues one frame; more says another frame of the message follows.
// Frames become visible to the reader at Flush, whole messages at a time.
func (p *Pipe) Write(m Msg) {
	if p.ob != nil {
		p.writeFrame(&m)
		return
	}
	m.own()
	p.out.q.write(m, m.More)
	if !m.More {
		p.out.written++
	}
}

// Flush publishes what was written and wakes the reader if it sleeps.
func (p *Pipe) Flush() {
	if p.ob != nil {
		switch {
		case p.agent != nil:
			p.agent.PumpOut()
		case p.direct != nil:
			if p.ob.TryOwn() {
				p.direct.PumpOut()
				p.ob.Disown()
			} else {
				p.ob.Wakeup()
			}
		}
		return
	}
	if !p.out.q.flush() {
		p.out.readerWake.notify()
	}
}

// readInto takes the next frame into *m (a zero Msg), if any: Read
// without copying the message around.
func (p *Pipe) readInto(m *Msg) bool {
	if p.left {
		return false
	}
	if p.ib != nil {
		return p.ib.next(m)
	}
	var ok bool
	*m, ok = p.Read()
	return ok
}

// writeFrame is Write for a frame the caller gives up in place.
func (p *Pipe) writeFrame(m *Msg) {
	if p.ob != nil {
		more := m.More
		if p.ob.appendShort(m.Bytes(), more) {
			m.Close()
		} else if p.through != nil && !more && m.ref == nil && m.Len() >= ThroughMin &&
			p.ob.writeThrough(p.through, m.ext, p.sock.throughCtx()) { // ext, not Bytes: m must not escape
			m.Close()
			return // published, and handed to the writer if anything is left
		} else {
			AppendFrame(p.ob, m, more)
		}
		if !more {
			p.endMessage()
		}
		return
	}
	p.Write(*m)
}

// writeDelimiter writes an empty frame with More set: the delimiter that
// ends a REQ's envelope.
func (p *Pipe) writeDelimiter() {
	if p.ob == nil || !p.ob.appendShort(nil, true) {
		p.Write(Msg{More: true})
	}
}

// setSerial says whether the socket's callers drive the pipe's connection
// (invoker mode), so that its engine and the socket take turns under the
// socket's lock (see Outbound.serial). Under the socket's lock.
func (p *Pipe) setSerial(on bool) {
	if p.ob != nil {
		p.ob.serial = on
	}
	if p.ib != nil {
		p.ib.serial = on
	}
}

// endMessage publishes the message just encoded into a stream connection's
// outbound bytes.
func (p *Pipe) endMessage() {
	if p.direct != nil {
		p.ob.publish() // Flush writes it, or wakes the writer
	} else {
		p.ob.EndMessage()
	}
}

// Read takes the next frame, if any.
func (p *Pipe) Read() (Msg, bool) {
	if p.left {
		return Msg{}, false
	}
	if p.ib != nil {
		var m Msg
		ok := p.ib.next(&m)
		return m, ok
	}
	m, ok := p.in.q.read()
	if ok && !m.More {
		p.inMsgs++
		p.ack()
	}
	return m, ok
}

// ack tells the writer that everything read so far is done with: room
// under its HWM, and (for Close's linger) no longer pending.
func (p *Pipe) ack() {
	h := p.in
	if h.read.Load() == p.inMsgs {
		return
	}
	h.read.Store(p.inMsgs)
	if h.waiting.Load() && h.waiting.CompareAndSwap(true, false) {
		h.writerWake.notify()
	}
}

// CheckRead reports whether a frame is readable (and, when none is, arranges
// to be woken when one arrives).
func (p *Pipe) CheckRead() bool {
	if p.ib != nil {
		return p.ib.checkRead()
	}
	return p.in.q.checkRead()
}

// Dead reports that the peer end has gone and everything it sent was read.
func (p *Pipe) Dead() bool {
	if p.left {
		return true
	}
	if p.ib != nil {
		return p.gone.Load() && !p.ib.checkRead()
	}
	return p.in.writerGone.Load() && !p.in.q.checkRead()
}

// PeerGone reports that the peer end will read nothing more.
func (p *Pipe) PeerGone() bool {
	if p.left {
		return true // this end let go (Disconnect): route nothing here
	}
	if p.ob != nil {
		return p.gone.Load()
	}
	return p.out.readerGone.Load()
}

// Pending is the number of whole messages written and not yet read by the peer.
func (p *Pipe) Pending() int64 {
	if p.ob != nil {
		return p.ob.Pending()
	}
	return p.out.written - p.out.read.Load()
}

// waitDrain asks to be woken (on this end's send signal) at the next read.
func (p *Pipe) waitDrain() {
	if p.ob != nil {
		p.ob.waiting.Store(true)
		return
	}
	p.out.waiting.Store(true)
}

// End is called by a stream connection's session when it lets go of the
// pipe for good: the socket sees the peer gone, and whichever of the two
// lets go last releases what is still queued.
func (p *Pipe) End() {
	p.gone.Store(true)
	p.ib.wake.notify()
	p.ob.space.notify()
	if p.detached.Add(1) == 2 {
		p.ob.Free()
	}
}

// Detach lets go of this end: the peer is told nothing more will be written
// or read from here. The second end to detach releases every message still
// queued in either direction, so zero-copy release callbacks always run.
func (p *Pipe) Detach() {
	if p.left {
		return
	}
	p.left = true
	if p.ob != nil {
		if p.detached.Add(1) == 2 {
			p.ob.Free()
		}
		return
	}
	p.out.writerGone.Store(true)
	p.in.readerGone.Store(true)
	// Wake the peer wherever it waits so it notices.
	p.out.readerWake.notify()
	p.in.writerWake.notify()
	if p.detached.Add(1) == 1 {
		return // the peer end finishes
	}
	for _, h := range []*half{p.in, p.out} {
		h.q.f = h.q.w // publish incomplete tails too: nobody will finish them
		h.q.flush()
		for {
			m, ok := h.q.read()
			if !ok {
				break
			}
			m.Close()
		}
	}
}
