package core

import (
	"encoding/binary"
	"fmt"
)

// pair: exactly one peer, both directions (RFC 31).
type pair struct {
	s *Socket
	p *Pipe
}

func (b *pair) attach(p *Pipe) error {
	if b.p != nil && !b.p.Dead() {
		return fmt.Errorf("%w: PAIR already has a peer", errRefused)
	}
	if b.p != nil {
		b.s.forget(b.p)
	}
	b.p = p
	return nil
}

func (b *pair) send(msg []Msg) (bool, error) {
	if b.p == nil || b.p.PeerGone() || !b.p.CheckWrite() {
		return false, nil
	}
	writeMsg(b.p, msg)
	return true, nil
}

func (b *pair) recv(dst []Msg) ([]Msg, bool, error) {
	if b.p == nil {
		return dst, false, nil
	}
	m, ok := b.p.Read()
	if !ok {
		if b.p.Dead() {
			b.s.forget(b.p)
			b.p = nil
		}
		return dst, false, nil
	}
	dst = append(dst, m)
	for m.More {
		m, _ = b.p.Read()
		dst = append(dst, m)
	}
	return dst, true, nil
}

// push: load-balances to PULL peers (RFC 30); cannot receive.
type push struct {
	s  *Socket
	lb lb
}

func (b *push) attach(p *Pipe) error { b.lb.add(p); return nil }

func (b *push) send(msg []Msg) (bool, error) { return b.sendAny(msg, nil) }

func (b *push) sendAny(msg []Msg, frames [][]byte) (bool, error) {
	return b.lb.sendAny(b.s, msg, frames), nil
}

func (b *push) recv(dst []Msg) ([]Msg, bool, error) {
	return dst, false, fmt.Errorf("%w: PUSH cannot receive", ErrNotSupported)
}

// pull: fair-queues from PUSH peers; cannot send.
type pull struct {
	s  *Socket
	fq fq
}

func (b *pull) attach(p *Pipe) error { b.fq.add(p); return nil }

func (b *pull) send([]Msg) (bool, error) {
	return false, fmt.Errorf("%w: PULL cannot send", ErrNotSupported)
}

func (b *pull) recv(dst []Msg) ([]Msg, bool, error) { return b.fq.recvAny(b.s, dst) }

// dealer: load-balances out, fair-queues in (RFC 28).
type dealer struct {
	s  *Socket
	lb lb
	fq fq
}

func (b *dealer) attach(p *Pipe) error { b.lb.add(p); b.fq.add(p); return nil }

func (b *dealer) send(msg []Msg) (bool, error) { return b.sendAny(msg, nil) }

func (b *dealer) sendAny(msg []Msg, frames [][]byte) (bool, error) {
	return b.lb.sendAny(b.s, msg, frames), nil
}

func (b *dealer) recv(dst []Msg) ([]Msg, bool, error) { return b.fq.recvAny(b.s, dst) }

// req: strict send/receive alternation, an empty delimiter frame before the
// request, and replies accepted only from the peer that got the request.
type req struct {
	dealer
	waiting bool   // a request is out; only Recv is allowed (unless relaxed)
	to      *Pipe  // the peer the request went to
	id      uint32 // ReqCorrelate: the id of the request out
	env     []Msg  // recv: a reply's envelope, reused
}

func (b *req) attach(p *Pipe) error { return b.dealer.attach(p) }

func (b *req) send(msg []Msg) (bool, error) { return b.sendAny(msg, nil) }

// sendAny sends a request, msg or frames (see writeAny): the envelope to the
// peer picked, then the request.
func (b *req) sendAny(msg []Msg, frames [][]byte) (bool, error) {
	if b.waiting && !b.s.opts.ReqRelaxed {
		return false, fmt.Errorf("%w: REQ must receive the reply before sending again", ErrState)
	}
	p := b.lb.pick(b.s)
	if p == nil {
		return false, nil
	}
	if b.s.opts.ReqCorrelate {
		// libzmq's REQ_CORRELATE: a frame with the request id (4 bytes, in
		// x86 order as libzmq writes its uint32) before the delimiter.
		b.id++
		var id Msg
		id.n = 4
		binary.LittleEndian.PutUint32(id.inline[:4], b.id)
		id.More = true
		p.Write(id)
	}
	p.writeDelimiter()
	writeAny(p, msg, frames)
	b.waiting, b.to = true, p
	return true, nil
}

func (b *req) recv(dst []Msg) ([]Msg, bool, error) {
	if !b.waiting {
		return dst, false, fmt.Errorf("%w: REQ must send a request before receiving", ErrState)
	}
	start := len(dst)
	head := 1 // the delimiter, and with ReqCorrelate the id before it
	if b.s.opts.ReqCorrelate {
		head = 2
	}
	for {
		msg, p := b.fq.recv(b.s, dst, &b.env)
		if p == nil {
			return dst, false, nil
		}
		// Drop replies from other peers, to other requests, and replies
		// without the delimiter or a body.
		env := b.env
		b.env = b.env[:0]
		if p != b.to || len(env) != head || env[head-1].Len() != 0 || len(msg) == start ||
			head == 2 && (env[0].Len() != 4 || binary.LittleEndian.Uint32(env[0].Bytes()) != b.id) {
			dst = drop(env, msg, start)
			continue
		}
		closeAll(env)
		b.waiting, b.to = false, nil
		return msg, true, nil
	}
}

// drop discards a malformed message that fq.recv split into env and
// msg[start:], and returns msg as it was before it (dst for the next try).
func drop(env, msg []Msg, start int) []Msg {
	closeAll(env)
	clear(env)
	closeAll(msg[start:])
	clear(msg[start:])
	return msg[:start]
}

// rep: receives a request, strips and keeps its envelope, and sends the
// reply back along it (RFC 28).
type rep struct {
	s        *Socket
	fq       fq
	replying bool
	to       *Pipe
	envelope []Msg
}

func (b *rep) attach(p *Pipe) error { b.fq.add(p); return nil }

func (b *rep) recv(dst []Msg) ([]Msg, bool, error) {
	if b.replying {
		return dst, false, fmt.Errorf("%w: REP must send the reply before receiving again", ErrState)
	}
	start := len(dst)
	b.envelope = b.envelope[:0]
	for {
		msg, p := b.fq.recv(b.s, dst, &b.envelope)
		if p == nil {
			return dst, false, nil
		}
		// The envelope runs up to and including the first empty frame: a
		// request without one, or without a body, is dropped.
		if env := b.envelope; env[len(env)-1].Len() != 0 || len(msg) == start {
			dst = drop(env, msg, start)
			b.envelope = env[:0]
			continue
		}
		b.replying, b.to = true, p
		return msg, true, nil
	}
}

func (b *rep) send(msg []Msg) (bool, error) { return b.sendAny(msg, nil) }

// sendAny sends the reply, msg or frames (see writeAny), back along the
// envelope of the request being answered.
func (b *rep) sendAny(msg []Msg, frames [][]byte) (bool, error) {
	if !b.replying {
		return false, fmt.Errorf("%w: REP must receive a request before sending", ErrState)
	}
	p := b.to
	b.replying, b.to = false, nil
	env := b.envelope
	b.envelope = b.envelope[:0]
	if p.PeerGone() || !p.CheckWrite() {
		// The requester is gone or stuck: the reply is dropped, as in libzmq.
		closeAll(env)
		closeAll(msg)
		return true, nil
	}
	for i := range env {
		env[i].More = true
		p.writeFrame(&env[i])
	}
	writeAny(p, msg, frames)
	return true, nil
}

// router: prefixes each received message with the routing id of its peer
// and routes each sent message by its first frame (RFC 28).
type router struct{ peerTable }

// peerTable is what ROUTER and STREAM share: peers known by routing id,
// fair-queued on receive, and the id put in front of what each sends.
type peerTable struct {
	s    *Socket
	fq   fq
	byID map[string]*Pipe
}

func (b *peerTable) attach(p *Pipe) error {
	id, err := b.s.identify(p, b.byID)
	if err != nil {
		return err
	}
	p.RoutingID = id
	b.byID[string(id)] = p
	b.fq.add(p)
	return nil
}

func (b *peerTable) forgot(p *Pipe) {
	if b.byID[string(p.RoutingID)] == p {
		delete(b.byID, string(p.RoutingID))
	}
}

// recvFromPeer receives the next message with its peer's routing id as
// its first frame, at dst[len(dst)].
func (b *peerTable) recvFromPeer(dst []Msg) ([]Msg, bool) {
	start := len(dst)
	msg, p := b.fq.recv(b.s, append(dst, Msg{}), nil)
	if p == nil {
		return dst, false
	}
	msg[start] = NewMsg(p.RoutingID)
	return msg, true
}

// identify picks a new peer's routing id, as a ROUTER (or STREAM) knows
// it: the id its Connect was given (ConnectRoutingID), else the one the
// peer presented, else a generated one. An id in use is refused, or with
// RouterHandover taken from the peer that has it, which is disconnected.
func (s *Socket) identify(p *Pipe, byID map[string]*Pipe) ([]byte, error) {
	id := p.assignID
	if len(id) == 0 {
		id = p.Peer.Identity
	}
	if len(id) == 0 {
		return s.generateID(), nil
	}
	if q, ok := byID[string(id)]; ok && !q.PeerGone() {
		if !s.opts.RouterHandover {
			return nil, fmt.Errorf("%w: routing id %q is in use", errRefused, id)
		}
		s.forget(q) // also removes it from byID (forgot)
		q.disconnect()
	}
	return id, nil
}

// generateID makes a routing id for a peer that has none: a zero byte
// and a 32-bit counter, as libzmq.
func (s *Socket) generateID() []byte {
	s.nextID++
	n := s.nextID
	return []byte{0, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
}

func (b *router) recv(dst []Msg) ([]Msg, bool, error) {
	start := len(dst)
	msg, ok := b.recvFromPeer(dst)
	if !ok {
		return dst, false, nil
	}
	if len(msg) > start+1 {
		msg[start].meta = msg[start+1].meta // the connection's properties
	}
	return msg, true, nil
}

func (b *router) send(msg []Msg) (bool, error) {
	if len(msg) < 2 {
		return false, fmt.Errorf("%w: ROUTER needs a routing id frame and a body", ErrState)
	}
	id := msg[0].Bytes()
	p, ok := b.byID[string(id)]
	if ok && p.PeerGone() {
		delete(b.byID, string(id))
		if p.Dead() {
			b.s.forget(p)
		}
		ok = false
	}
	if !ok {
		if b.s.opts.RouterMandatory {
			return false, fmt.Errorf("%w: no peer with routing id %q", ErrHostUnreachable, id)
		}
		closeAll(msg)
		return true, nil
	}
	if !p.CheckWrite() {
		if b.s.opts.RouterMandatory {
			return false, nil // wait for room, as libzmq does in mandatory mode
		}
		if !b.s.yieldToWriters() || !p.CheckWrite() {
			closeAll(msg)
			return true, nil
		}
	}
	msg[0].Close()
	writeMsg(p, msg[1:])
	return true, nil
}
