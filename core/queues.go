package core

// lb is the load balancer: round-robin over the pipes that can take a
// message now (RFC 28/30). Pipes whose peer has gone are dropped on the way.
type lb struct {
	pipes []*Pipe
	cur   int
}

func (l *lb) add(p *Pipe) { l.pipes = append(l.pipes, p) }

func (l *lb) remove(p *Pipe) {
	for i, q := range l.pipes {
		if q == p {
			l.pipes = append(l.pipes[:i], l.pipes[i+1:]...)
			if l.cur > i {
				l.cur--
			}
			break
		}
	}
	if l.cur >= len(l.pipes) {
		l.cur = 0
	}
}

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

// writeMsg writes all frames of msg to p and flushes once.
func writeMsg(p *Pipe, msg []Msg) {
	for i := range msg {
		p.Write(msg[i])
	}
	p.Flush()
}

// fq is the fair queue: round-robin over pipes that have a message.
type fq struct {
	pipes []*Pipe
	cur   int
}

func (f *fq) add(p *Pipe) { f.pipes = append(f.pipes, p) }

func (f *fq) remove(p *Pipe) {
	for i, q := range f.pipes {
		if q == p {
			f.pipes = append(f.pipes[:i], f.pipes[i+1:]...)
			if f.cur > i {
				f.cur--
			}
			break
		}
	}
	if f.cur >= len(f.pipes) {
		f.cur = 0
	}
}

// recv reads one whole message from the next pipe that has one. Pipes are
// flushed a whole message at a time, so once the first frame is readable
// the rest is too.
func (f *fq) recv(s *Socket, into []Msg) ([]Msg, *Pipe) {
	for tries := len(f.pipes); tries > 0 && len(f.pipes) > 0; tries-- {
		if f.cur >= len(f.pipes) {
			f.cur = 0
		}
		p := f.pipes[f.cur]
		m, ok := p.Read()
		if !ok {
			if p.Dead() {
				f.remove(p)
				s.forget(p)
			} else {
				f.cur++
			}
			continue
		}
		f.cur++
		into = append(into, m)
		for m.More {
			m, _ = p.Read()
			into = append(into, m)
		}
		return into, p
	}
	return into, nil
}
