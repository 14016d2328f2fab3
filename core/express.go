package core

import "github.com/zmqx/zmqx/internal/zmtp"

// Express is an Agent whose caller may take a message straight from the
// bytes it reads and write one straight out as bytes: the express path of
// a REQ or REP socket in invoker mode with one connection (see
// Socket.express). A request-reply exchange then goes from the connection's
// read to the caller, and from the caller to the connection's write,
// without the inbound stream's publish and decode, the outbound stream and
// the pump in between.
type Express interface {
	// ExpressRead is the read of the agent's DoWork (SpinWork with spin):
	// up to reads non-blocking reads into p, until one brings bytes. ok is
	// false, with nothing read, when the agent has output waiting, has
	// failed, or cannot take its bytes as they come (CURVE, a full inbound
	// stream): the caller then drives it the usual way. A read that fails
	// fails the agent, and returns 0 with ok true.
	ExpressRead(p []byte, reads int, spin bool) (n int, ok bool)
	// ExpressFilled hands the n bytes ExpressRead read into p, the
	// connection's inbound free space (Inbound.Space), to the inbound
	// stream as the agent's own read would have.
	ExpressFilled(n int, spin bool)
	// ExpressWrite writes b, whole messages' frames, ahead of anything
	// written later. It reports false, having written nothing, when other
	// output waits or the connection takes none of b now: the caller then
	// writes the messages the usual way. What the connection does not take
	// at once is written before anything else.
	ExpressWrite(b []byte) bool
	// ExpressPending reports whether part of what ExpressWrite took is
	// still to be written: a closing socket's linger waits for it as for
	// its queued messages.
	ExpressPending() bool
}

// expressMax bounds a message the express path encodes (its frames'
// bytes): a larger one goes the usual way.
const expressMax = 1024

// express returns the connection of a REQ or REP socket in invoker mode
// whose messages may take the express path, and its pipe: the socket's
// only connection, driven by its callers, with none of the options that
// change what REQ and REP put on the wire or accept (Conflate,
// ReqCorrelate, ReqRelaxed). nil otherwise. Under mu.
func (s *Socket) express() (Express, *Pipe) {
	if len(s.agents) != 1 || len(s.pipes) != 1 || s.opts.Conflate || s.opts.ReqCorrelate || s.opts.ReqRelaxed {
		return nil, nil
	}
	// The pipe's agent, when it has one, is among the socket's (Host.Drive
	// adds and removes both at once): with one of each, they are the same.
	p := s.pipes[0]
	if p.express == nil || !p.ib.serial || p.left {
		return nil, nil
	}
	return p.express, p
}

// recvReady returns the express connection (see express) and its pipe
// when Recv may take its step on the express path (recvExpress): nothing
// is buffered in the pipe's inbound stream, so the usual receive would
// find nothing, and the socket is in the state to take a message (a REP
// that has answered, a REQ waiting for its reply on that pipe). nil
// otherwise: the usual way then also reports a wrong state. Under mu.
func (s *Socket) recvReady() (Express, *Pipe) {
	x, p := s.express()
	if x == nil {
		return nil, nil
	}
	if !p.ib.drained() {
		return nil, nil // bytes buffered: a message, or part of one
	}
	switch b := s.b.(type) {
	case *req:
		if b.waiting && b.to == p {
			return x, p
		}
	case *rep:
		if !b.replying {
			return x, p
		}
	}
	return nil, nil
}

// recvExpress is Recv's step on the express path (x, p from recvReady),
// instead of receiving through the pipe and driving the connection: one
// ExpressRead into the inbound stream's free space, and when the bytes read
// are exactly one message of the shape REQ and REP exchange (see
// expressMsg), the message is decoded from them and the bytes dropped, as
// if the inbound stream had published it and the socket taken it. Any other
// bytes go to the inbound stream (ExpressFilled), and the socket receives
// the usual way. Under mu.
func (s *Socket) recvExpress(x Express, p *Pipe, dst []Msg) ([]Msg, bool, error) {
	in := p.ib
	reads, spin := 1, s.rt.idle == IdleSpin
	if spin {
		reads = spinReads
	}
	sp := in.Space()
	n, ok := x.ExpressRead(sp, reads, spin)
	if !ok {
		if s.driveIn() > 0 {
			return s.b.recv(dst)
		}
		return dst, false, nil
	}
	if n == 0 {
		return dst, false, nil
	}
	if msg, ok := expressMsg(sp[:n], in.maxMsg, in.meta.Load(), dst); ok {
		switch b := s.b.(type) {
		case *req:
			b.waiting, b.to = false, nil
		case *rep:
			b.replying, b.to = true, p
			if cap(b.envelope) == 0 {
				b.envelope = make([]Msg, 1, 4)
			}
			b.envelope = b.envelope[:1]
			b.envelope[0] = Msg{More: true}
		}
		s.xin++
		return msg, true, nil
	}
	x.ExpressFilled(n, spin)
	return s.b.recv(dst)
}

// expressMsg decodes b when it is exactly one whole message of the shape
// REQ and REP exchange with one peer: an empty delimiter, then one or more
// short data frames of up to InlineMax bytes each, within maxMsg in all.
// Those are bytes Inbound.Fill would publish as they are, and next would
// copy into inline Msgs; the frames after the delimiter are appended to
// dst. It reports false, with dst as it was, for anything else.
func expressMsg(b []byte, maxMsg int64, meta *Metadata, dst []Msg) ([]Msg, bool) {
	if len(b) < 4 || b[0] != zmtp.FlagMore || b[1] != 0 {
		return dst, false
	}
	start := len(dst)
	total := int64(0)
	for i := 2; len(b)-i >= 2; {
		f, n := b[i], int(b[i+1])
		if f&^zmtp.FlagMore != 0 || n > InlineMax || len(b)-i-2 < n {
			break
		}
		if total += int64(n); total > maxMsg {
			break
		}
		dst = append(dst, Msg{})
		m := &dst[len(dst)-1]
		m.n = uint8(copy(m.inline[:], b[i+2:i+2+n]))
		m.More = f != 0
		m.meta = meta
		i += 2 + n
		if f == 0 {
			if i == len(b) {
				return dst, true
			}
			break
		}
	}
	clear(dst[start:])
	return dst[:start], false
}

// sendExpress is Send's step for a REQ or REP socket on the express path
// (see express), in the state to send: msg or frames are encoded behind the
// empty delimiter and written out with ExpressWrite, and the socket's state
// moves on as its send would have moved it. It reports false, having
// changed nothing, when the message has a frame too long for a short frame
// or is larger than expressMax, or the connection cannot take it that way
// now: the socket then sends it the usual way. Under mu.
func (s *Socket) sendExpress(msg []Msg, frames [][]byte) bool {
	x, p := s.express()
	if x == nil || p.PeerGone() || !p.CheckWrite() {
		return false
	}
	switch b := s.b.(type) {
	case *req:
		if b.waiting || len(b.lb.pipes) != 1 || b.lb.pipes[0] != p || !s.writeExpress(x, msg, frames) {
			return false
		}
		b.waiting, b.to = true, p
	case *rep:
		if !b.replying || b.to != p || len(b.envelope) != 1 || b.envelope[0].Len() != 0 || !s.writeExpress(x, msg, frames) {
			return false
		}
		b.replying, b.to = false, nil
		b.envelope[0] = Msg{}
		b.envelope = b.envelope[:0]
	default:
		return false
	}
	closeAll(msg)
	s.xout++
	return true
}

// writeExpress encodes msg or frames behind an empty delimiter and writes
// them with x.ExpressWrite; false, having written nothing, when a frame is
// too long for a short frame, the whole is larger than expressMax, or x
// does not take it.
func (s *Socket) writeExpress(x Express, msg []Msg, frames [][]byte) bool {
	if s.xbuf == nil {
		s.xbuf = make([]byte, expressMax)
	}
	buf := s.xbuf
	buf[0], buf[1] = zmtp.FlagMore, 0
	k := 2
	last := len(msg) - 1
	if frames != nil {
		last = len(frames) - 1
	}
	for i := 0; i <= last; i++ {
		var f []byte
		if frames != nil {
			f = frames[i]
		} else {
			f = msg[i].Bytes()
		}
		if len(f) > zmtp.MaxShortFrame || len(f) > len(buf)-k-2 {
			return false
		}
		buf[k], buf[k+1] = 0, byte(len(f))
		if i < last {
			buf[k] = zmtp.FlagMore
		}
		k += 2 + copy(buf[k+2:], f)
	}
	return x.ExpressWrite(buf[:k])
}

// ExpressCounts reports how many messages the socket has received and sent
// on the express path (see Express).
func (s *Socket) ExpressCounts() (received, sent uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.xin, s.xout
}
