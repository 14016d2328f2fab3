package core

// ring is a list of pipes with a round-robin cursor, the state shared by
// the load balancer and the fair queue.
type ring struct {
	pipes []*Pipe
	cur   int
}

func (r *ring) add(p *Pipe) { r.pipes = append(r.pipes, p) }

func (r *ring) remove(p *Pipe) {
	for i, q := range r.pipes {
		if q == p {
			r.pipes = append(r.pipes[:i], r.pipes[i+1:]...)
			if r.cur > i {
				r.cur--
			}
			break
		}
	}
	if r.cur >= len(r.pipes) {
		r.cur = 0
	}
}

// lb is the load balancer: round-robin over the pipes that can take a
// message now (RFC 28/30). Pipes whose peer has gone are dropped on the way.
type lb struct{ ring }

// pick returns the next pipe able to take a whole message, or nil.
func (l *lb) pick(s *Socket) *Pipe {
	for tries := len(l.pipes); tries > 0 && len(l.pipes) > 0; tries-- {
		if l.cur >= len(l.pipes) {
			l.cur = 0
		}
		p := l.pipes[l.cur]
		if p.PeerGone() {
			l.remove(p)
			if p.Dead() { // nothing left to read from it either
				s.forget(p)
			}
			continue
		}
		l.cur++
		if p.CheckWrite() {
			return p
		}
	}
	return nil
}

// send writes msg to the next pipe that can take it; false if none can.
func (l *lb) send(s *Socket, msg []Msg) bool {
	if s.opts.Conflate {
		return l.sendConflate(s, msg)
	}
	p := l.pick(s)
	if p == nil {
		return false
	}
	writeMsg(p, msg)
	return true
}

// sendBytes is send for frames the caller keeps (see writeBytes).
func (l *lb) sendBytes(s *Socket, frames [][]byte) bool {
	p := l.pick(s)
	if p == nil {
		return false
	}
	writeBytes(p, frames)
	return true
}

// sendAny is sendBytes for frames when not nil, send for msg otherwise.
func (l *lb) sendAny(s *Socket, msg []Msg, frames [][]byte) bool {
	if frames != nil {
		return l.sendBytes(s, frames)
	}
	return l.send(s, msg)
}

// sendConflate is send under Conflate: any peer that is there takes the
// message, into its slot if it is busy (the HWM does not apply).
func (l *lb) sendConflate(s *Socket, msg []Msg) bool {
	if len(s.slotted) > 0 {
		s.flushSlots()
	}
	for len(l.pipes) > 0 {
		if l.cur >= len(l.pipes) {
			l.cur = 0
		}
		p := l.pipes[l.cur]
		if p.PeerGone() {
			l.remove(p)
			if p.Dead() {
				s.forget(p)
			}
			continue
		}
		l.cur++
		s.conflateWrite(p, msg)
		return true
	}
	return false
}

// writeMsg writes all frames of msg to p and flushes once.
func writeMsg(p *Pipe, msg []Msg) {
	for i := range msg {
		p.writeFrame(&msg[i])
	}
	p.Flush()
}

// writeAny is writeMsg for msg, or writeBytes for frames when not nil.
func writeAny(p *Pipe, msg []Msg, frames [][]byte) {
	if frames != nil {
		writeBytes(p, frames)
	} else {
		writeMsg(p, msg)
	}
}

// writeBytes is writeMsg for frames the caller keeps: short frames go
// straight from them into a stream connection's outbound bytes, and the
// others (and every frame for an inproc pipe) through a Msg that borrows
// them, copied before the Send returns.
func writeBytes(p *Pipe, frames [][]byte) {
	for i, f := range frames {
		more := i < len(frames)-1
		if p.ob != nil && p.ob.appendShort(f, more) {
			if !more {
				p.endMessage()
			}
			continue
		}
		var m Msg
		BorrowInto(&m, f)
		m.More = more
		p.writeFrame(&m)
	}
	p.Flush()
}

// fq is the fair queue: round-robin over pipes that have a message.
type fq struct{ ring }

// recv reads one whole message from the next pipe that has one, appending
// its frames to into. Pipes are flushed a whole message at a time, so once
// the first frame is readable the rest is too. With env not nil, the
// message's frames up to and including its first empty one (REQ and REP's
// envelope) go to *env instead, and only the rest to into; a message with
// no empty frame goes to *env whole.
func (f *fq) recv(s *Socket, into []Msg, env *[]Msg) ([]Msg, *Pipe) {
	for tries := len(f.pipes); tries > 0 && len(f.pipes) > 0; tries-- {
		if f.cur >= len(f.pipes) {
			f.cur = 0
		}
		p := f.pipes[f.cur]
		start := len(into)
		dst := &into
		if env != nil {
			dst = env
		}
		*dst = append(*dst, Msg{})
		m := &(*dst)[len(*dst)-1]
		if !p.readInto(m) {
			*dst = (*dst)[:len(*dst)-1]
			if p.Dead() {
				f.remove(p)
				s.forget(p)
			} else {
				f.cur++
			}
			continue
		}
		f.cur++
		for {
			if dst == env && m.Len() == 0 {
				dst = &into // the envelope ends here
			}
			if !m.More {
				break
			}
			*dst = append(*dst, Msg{})
			m = &(*dst)[len(*dst)-1]
			p.readInto(m)
		}
		// Conflate: a newer whole message from the same peer replaces it
		// (not on a PUB, whose input is subscriptions: each one counts).
		for s.opts.Conflate && s.typ != PUB && p.CheckRead() {
			closeAll(into[start:])
			clear(into[start:])
			into = append(into[:start], Msg{})
			m = &into[start]
			p.readInto(m)
			for m.More {
				into = append(into, Msg{})
				m = &into[len(into)-1]
				p.readInto(m)
			}
		}
		return into, p
	}
	return into, nil
}

// recvAny is recv for sockets that do not care which peer a message came
// from, in the behaviour's (message, ok, error) form.
func (f *fq) recvAny(s *Socket, dst []Msg) ([]Msg, bool, error) {
	msg, p := f.recv(s, dst, nil)
	return msg, p != nil, nil
}
