package zmqx

import (
	"context"

	"github.com/zmqx/zmqx/core"
)

// PollEvents are what a Poller waits for on a socket.
type PollEvents int

const (
	// PollIn: a Recv would return a message at once.
	PollIn = PollEvents(core.PollIn)
	// PollOut: a Send would not block.
	PollOut = PollEvents(core.PollOut)
)

// Poller waits on several sockets at once, like zmq_poll. It is not safe
// for concurrent use; the sockets are, and may be used meanwhile.
//
// Polling does not steal: a message found for PollIn stays in its socket
// for the next Recv (REQ and REP are judged by their state, so polling
// never moves them on). Wait sleeps on the sockets' own wake-ups, no busy
// loop, except in invoker mode, where it drives the connections itself.
type Poller struct {
	items []core.PollItem
	socks []*Socket
	ready []Polled
}

// Polled is a socket Wait found ready, and for what.
type Polled struct {
	Socket *Socket
	Events PollEvents
}

// NewPoller makes an empty Poller.
func NewPoller() *Poller { return &Poller{} }

// Add watches s for ev (PollIn, PollOut or both); adding s again changes
// what is watched.
func (p *Poller) Add(s *Socket, ev PollEvents) {
	for i, x := range p.socks {
		if x == s {
			p.items[i].Events = int(ev)
			return
		}
	}
	p.socks = append(p.socks, s)
	p.items = append(p.items, core.PollItem{Socket: s.s, Events: int(ev)})
}

// Remove stops watching s; it reports whether s was watched.
func (p *Poller) Remove(s *Socket) bool {
	for i, x := range p.socks {
		if x == s {
			p.socks = append(p.socks[:i], p.socks[i+1:]...)
			p.items = append(p.items[:i], p.items[i+1:]...)
			return true
		}
	}
	return false
}

// Wait returns the sockets that are ready, at least one, or ctx's error.
// The returned slice is reused by the next Wait. A watched socket that is
// closed ends the wait with an error wrapping ErrClosed: Remove it before
// waiting again.
func (p *Poller) Wait(ctx context.Context) ([]Polled, error) {
	if len(p.items) == 0 {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if _, err := core.WaitAny(ctx, p.items); err != nil {
		return nil, err
	}
	p.ready = p.ready[:0]
	for i, it := range p.items {
		if it.Ready != 0 {
			p.ready = append(p.ready, Polled{Socket: p.socks[i], Events: PollEvents(it.Ready)})
		}
	}
	return p.ready, nil
}
