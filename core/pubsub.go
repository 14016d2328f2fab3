package core

import (
	"fmt"

	"github.com/zmqx/zmqx/internal/zmtp"
)

// subscriptionMsg builds the ZMTP 3.0 form of a subscription: one frame,
// 1 (subscribe) or 0 (cancel) followed by the topic. Engines speaking 3.1
// turn it into a SUBSCRIBE or CANCEL command.
func subscriptionMsg(topic []byte, on bool) Msg {
	b := make([]byte, 1+len(topic))
	if on {
		b[0] = 1
	}
	copy(b[1:], topic)
	return NewMsg(b)
}

// writeSub sends a subscription change to the peer: a SUBSCRIBE or CANCEL
// command for a ZMTP 3.1 stream peer, a 3.0-style message otherwise. A
// stream pipe between connections sends nothing: the next connection gets
// every subscription when it attaches.
func (p *Pipe) writeSub(topic []byte, on bool) {
	if p.ob == nil || p.downgraded {
		if p.ob == nil || p.live {
			p.Write(subscriptionMsg(topic, on))
		}
		return
	}
	if !p.live {
		return
	}
	name := zmtp.CmdCancel
	if on {
		name = zmtp.CmdSubscribe
	}
	AppendCommand(p.ob, name, topic)
	p.ob.EndMessage()
}

// pub distributes each message to the peers subscribed to a prefix of its
// first frame (RFC 29); a peer at its HWM misses the message, and a send
// never blocks. XPUB (noRecv false) also hands subscriptions to the user.
type pub struct {
	s       *Socket
	noRecv  bool
	subs    trie
	in      fq
	out     []*Pipe
	gen     uint64
	match   []*Pipe
	pending [][]Msg // XPUB: subscriptions and messages from subscribers, for Recv
	from    []*Pipe // XPUB: the subscriber each pending message came from
	last    *Pipe   // XPubManual: where the last message Recv returned came from
}

func (b *pub) attach(p *Pipe) error {
	b.in.add(p)
	b.out = append(b.out, p)
	if w := b.s.opts.XPubWelcomeMsg; len(w) > 0 {
		p.Write(NewMsg(w))
		p.Flush()
	}
	return nil
}

// queue keeps a message from subscriber p for Recv.
func (b *pub) queue(msg []Msg, p *Pipe) {
	b.pending = append(b.pending, msg)
	b.from = append(b.from, p)
}

// manual applies an XPubManual subscription change to the subscriber
// whose message Recv returned last (as libzmq, nothing without one).
func (b *pub) manual(topic []byte, on bool) {
	p := b.last
	if p == nil || p.PeerGone() {
		return
	}
	if on {
		b.subs.addPipe(topic, p)
	} else {
		b.subs.rmPipe(topic, p)
	}
}

// absorb reads everything the peers have sent: subscriptions go into the
// trie (and, for XPUB, to Recv when they change it); other messages are
// for XPUB's Recv as they are (RFC 29) and dropped by PUB.
func (b *pub) absorb() {
	for {
		msg, p := b.in.recv(b.s, nil, nil)
		if p == nil {
			return
		}
		if len(msg) == 1 && msg[0].Len() > 0 && msg[0].Bytes()[0] <= 1 {
			body := msg[0].Bytes()
			topic := body[1:]
			changed := false
			o := &b.s.opts
			if o.XPubManual && !b.noRecv {
				// Everything goes to the application, which decides.
				b.queue(msg, p)
				continue
			}
			if body[0] == 1 {
				changed = b.subs.addPipe(topic, p) || o.XPubVerbose || o.XPubVerboser
			} else {
				changed = b.subs.rmPipe(topic, p) || o.XPubVerboser
			}
			if changed && !b.noRecv {
				b.queue(msg, p)
				continue
			}
		} else if !b.noRecv {
			b.queue(msg, p)
			continue
		}
		closeAll(msg)
	}
}

func (b *pub) prune() {
	live := b.out[:0]
	for _, p := range b.out {
		if p.PeerGone() {
			b.subs.rmPipeAll(p, func(topic []byte) {
				if !b.noRecv {
					b.queue([]Msg{subscriptionMsg(topic, false)}, nil)
				}
			})
			continue
		}
		live = append(live, p)
	}
	clear(b.out[len(live):])
	b.out = live
}

func (b *pub) send(msg []Msg) (bool, error) {
	// Subscriptions arrive on the socket's receive signal; take them in
	// only when it fired, so an idle publisher pays nothing per message.
	select {
	case <-b.s.recvSig:
		b.prune()
		b.absorb()
		if len(b.pending) > 0 {
			b.s.recvSig.notify() // an XPUB reader may be waiting for them
		}
	default:
	}
	b.gen++
	b.match = b.subs.matchPipes(msg[0].Bytes(), b.gen, b.match[:0])
	if b.s.opts.InvertMatching {
		// Those that matched carry this round's mark; send to the others.
		b.match = b.match[:0]
		for _, p := range b.out {
			if p.matchGen != b.gen {
				b.match = append(b.match, p)
			}
		}
	}
	if b.s.opts.XPubNoDrop {
		// All or nothing: wait until every subscriber has room.
		for _, p := range b.match {
			if !p.PeerGone() && !p.CheckWrite() {
				clear(b.match)
				return false, nil
			}
		}
	}
	if b.s.opts.Conflate {
		b.sendConflate(msg)
		return true, nil
	}
	yielded := false
	for _, p := range b.match {
		if p.PeerGone() {
			continue
		}
		if !p.CheckWrite() {
			// At the HWM: give the connection writers a chance first, then
			// drop for this subscriber.
			if yielded || !b.s.yieldToWriters() {
				continue
			}
			yielded = true
			if !p.CheckWrite() {
				continue
			}
		}
		for i := range msg {
			p.Write(msg[i].Share())
		}
		p.Flush()
	}
	clear(b.match)
	closeAll(msg)
	return true, nil
}

// sendConflate is send's distribution under Conflate: each matching
// subscriber gets the message, or keeps it in its slot while busy.
func (b *pub) sendConflate(msg []Msg) {
	if len(b.s.slotted) > 0 {
		b.s.flushSlots()
	}
	var share [1]Msg // Conflate: single-part
	for _, p := range b.match {
		if p.PeerGone() {
			continue
		}
		share[0] = msg[0].Share()
		b.s.conflateWrite(p, share[:])
	}
	clear(b.match)
	closeAll(msg)
}

func (b *pub) recv(dst []Msg) ([]Msg, bool, error) {
	if b.noRecv {
		return dst, false, fmt.Errorf("%w: PUB cannot receive", ErrNotSupported)
	}
	b.prune()
	b.absorb()
	if len(b.pending) == 0 {
		return dst, false, nil
	}
	dst = append(dst, b.pending[0]...)
	b.last = b.from[0]
	b.pending[0], b.from[0] = nil, nil
	b.pending, b.from = b.pending[1:], b.from[1:]
	return dst, true, nil
}

// sub receives from publishers and keeps the subscription list, which it
// sends to every peer (and again after a reconnect). SUB (filter true)
// checks each message against it too, in case the publisher sends more;
// XSUB delivers everything and takes subscriptions as messages via Send.
type sub struct {
	s      *Socket
	filter bool
	fq     fq
	out    []*Pipe
}

func (b *sub) attach(p *Pipe) error {
	b.fq.add(p)
	b.out = append(b.out, p)
	b.s.subs.each(func(topic []byte) { p.writeSub(topic, true) })
	p.Flush()
	return nil
}

// apply changes the subscription list and tells every peer: each
// subscribe goes upstream (as libzmq does, so an XPUB behind a proxy sees
// every one), a cancel only when the topic's last subscription goes.
func (b *sub) apply(topic []byte, on bool) {
	if on {
		b.s.subs.add(topic)
	} else if !b.s.subs.rm(topic) {
		return
	}
	live := b.out[:0]
	for _, p := range b.out {
		if p.PeerGone() {
			continue
		}
		live = append(live, p)
		// Subscriptions are never dropped at the HWM: losing one would
		// silently change what the publisher sends.
		p.writeSub(topic, on)
		p.Flush()
	}
	clear(b.out[len(live):])
	b.out = live
}

func (b *sub) broadcast(msg []Msg) {
	live := b.out[:0]
	for _, p := range b.out {
		if p.PeerGone() {
			continue
		}
		live = append(live, p)
		// Subscriptions are never dropped at the HWM: losing one would
		// silently change what the publisher sends.
		for i := range msg {
			p.Write(msg[i].Share())
		}
		p.Flush()
	}
	clear(b.out[len(live):])
	b.out = live
	closeAll(msg)
}

func (b *sub) send(msg []Msg) (bool, error) {
	if b.filter {
		return false, fmt.Errorf("%w: SUB cannot send (use Subscribe)", ErrNotSupported)
	}
	if len(msg) == 1 && msg[0].Len() > 0 && msg[0].Bytes()[0] <= 1 {
		body := msg[0].Bytes()
		b.apply(body[1:], body[0] == 1)
		closeAll(msg)
		return true, nil
	}
	b.broadcast(msg) // XSUB: other messages go upstream to every publisher
	return true, nil
}

func (b *sub) recv(dst []Msg) ([]Msg, bool, error) {
	start := len(dst)
	for {
		msg, p := b.fq.recv(b.s, dst, nil)
		if p == nil {
			return dst, false, nil
		}
		if b.filter && b.s.subs.match(msg[start].Bytes()) == b.s.opts.InvertMatching {
			closeAll(msg[start:])
			continue
		}
		return msg, true, nil
	}
}
