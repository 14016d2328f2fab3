package core

// Conflate (ZMQ_CONFLATE) keeps one message per pipe and direction.
//
// Inbound, a receive that finds more than one whole message queued from a
// peer takes the last and drops the ones before it (fq.recv).
//
// Outbound, a message goes into the pipe only when the pipe has nothing on
// its way (every message written out, or read by an inproc peer); until
// then it waits in the pipe's slot, where a newer message replaces it. A
// slot is moved into its pipe by the next send, or by the socket's
// conflater goroutine when the pipe drains (the drain wakes the socket's
// send signal), or by Close's linger. So a slow peer gets the newest
// message when it is ready for one, and memory stays at one message per
// pipe.

// conflateWrite sends msg (whole) to p under conflation; called under mu.
// The frames are given up.
func (s *Socket) conflateWrite(p *Pipe, msg []Msg) {
	if len(p.slot) == 0 && p.Pending() == 0 {
		writeMsg(p, msg)
		return
	}
	closeAll(p.slot)
	listed := p.slot != nil
	p.slot = p.slot[:0]
	for i := range msg {
		msg[i].own() // a borrowed frame must outlive this Send
		p.slot = append(p.slot, msg[i])
	}
	if !listed {
		s.slotted = append(s.slotted, p)
	}
	p.waitDrain()
	if p.Pending() == 0 { // it drained while we looked
		s.flushSlots()
		return
	}
	if !s.conflating {
		s.conflating = true
		s.wg.Add(1)
		go s.conflater()
	}
}

// flushSlots moves each slot whose pipe has drained into the pipe, and
// drops the slots of pipes whose peer has gone; under mu. It returns how
// many slots still wait.
func (s *Socket) flushSlots() int {
	left := s.slotted[:0]
	for _, p := range s.slotted {
		switch {
		case p.PeerGone():
			closeAll(p.slot)
			p.slot = nil
		case p.Pending() == 0:
			writeMsg(p, p.slot)
			clear(p.slot)
			p.slot = nil
		default:
			p.waitDrain()
			if p.Pending() == 0 {
				writeMsg(p, p.slot)
				clear(p.slot)
				p.slot = nil
				continue
			}
			left = append(left, p)
		}
	}
	clear(s.slotted[len(left):])
	s.slotted = left
	return len(left)
}

// conflater moves slots into pipes as they drain, until none waits or
// the socket closes (then Close's linger takes over).
func (s *Socket) conflater() {
	defer s.wg.Done()
	for {
		select {
		case <-s.sendSig:
		case <-s.closing:
			s.mu.Lock()
			s.conflating = false
			s.mu.Unlock()
			return
		}
		s.mu.Lock()
		left := s.flushSlots()
		if s.sendWaiters.Load() > 0 {
			s.sendSig.notify() // the wake-up may have been a sender's
		}
		if left == 0 {
			s.conflating = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
	}
}

// dropSlot releases p's slot when the socket lets go of p; under mu.
func (s *Socket) dropSlot(p *Pipe) {
	if p.slot == nil {
		return
	}
	closeAll(p.slot)
	p.slot = nil
	for i, q := range s.slotted {
		if q == p {
			s.slotted = append(s.slotted[:i], s.slotted[i+1:]...)
			break
		}
	}
}
