package core

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
)

// Readiness flags for polling.
const (
	PollIn  = 1 << iota // a Recv would not block
	PollOut             // a Send would not block
)

// Poll reports which of the events in want the socket has now, without
// taking a message the caller has not asked for: a message found for
// PollIn is kept (prefetched) for the next Recv. REQ and REP are judged
// by their state and their pipes, so polling never moves them on.
func (s *Socket) Poll(want int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0
	}
	if s.rt.invoker {
		s.drive()
	}
	got := 0
	if want&PollIn != 0 && s.canRecv() {
		got |= PollIn
	}
	if want&PollOut != 0 && s.canSend() {
		got |= PollOut
	}
	return got
}

func anyReadable(pipes []*Pipe) bool {
	for _, p := range pipes {
		if !p.left && p.CheckRead() {
			return true
		}
	}
	return false
}

func anyWritable(pipes []*Pipe) bool {
	for _, p := range pipes {
		if !p.PeerGone() && p.CheckWrite() {
			return true
		}
	}
	return false
}

// canRecv is PollIn, under mu.
func (s *Socket) canRecv() bool {
	if len(s.prefetched) > 0 {
		return true
	}
	switch b := s.b.(type) {
	case *req:
		return b.waiting && anyReadable(b.fq.pipes)
	case *rep:
		return !b.replying && anyReadable(b.fq.pipes)
	case *push:
		return false
	case *pub:
		if b.noRecv {
			return false
		}
	}
	msg, ok, err := s.b.recv(s.prefetched[:0])
	if ok && err == nil {
		s.prefetched = msg
		return true
	}
	return false
}

// canSend is PollOut, under mu.
func (s *Socket) canSend() bool {
	switch b := s.b.(type) {
	case *pub, *router:
		return true // they drop rather than block
	case *sub:
		return !b.filter
	case *pull:
		return false
	case *pair:
		return b.p != nil && !b.p.PeerGone() && b.p.CheckWrite()
	case *push:
		return anyWritable(b.lb.pipes)
	case *dealer:
		return anyWritable(b.lb.pipes)
	case *req:
		return !b.waiting && anyWritable(b.lb.pipes)
	case *rep:
		return b.replying
	}
	return false
}

// PollItem is one socket of a WaitAny and the events asked of it.
type PollItem struct {
	Socket *Socket
	Events int
	// Ready is set by WaitAny to the events the socket has.
	Ready int
}

// WaitAny waits until at least one item has one of its events, or ctx is
// done, and fills in Ready. A socket closed before or during the wait
// ends it with an error wrapping ErrClosed (as libzmq's poll fails on a
// closed socket). It waits on the sockets' own wake-ups (no
// busy loop; in invoker mode it drives the connections with the runtime's
// idle strategy instead), and passes a wake-up it takes on to any Send or
// Recv waiting on the same socket, so it never strands one.
func WaitAny(ctx context.Context, items []PollItem) (int, error) {
	var cases []reflect.SelectCase
	invoker := false
	for {
		n := 0
		for i := range items {
			it := &items[i]
			select {
			case <-it.Socket.closing:
				// A closed socket has no events and never will: waiting
				// on it would spin (its closing channel is always ready).
				return 0, fmt.Errorf("%w: polled socket %d was closed", ErrClosed, i)
			default:
			}
			it.Ready = it.Socket.Poll(it.Events)
			if it.Ready != 0 {
				n++
			}
			invoker = invoker || it.Socket.rt.invoker
		}
		if n > 0 {
			return n, nil
		}
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if invoker {
			// Connections progress only when driven: poll again (Poll
			// drives them, and the runtimes' Pollers take in connections
			// being made), letting other goroutines in between.
			var last *Runtime
			for i := range items {
				if r := items[i].Socket.rt; r != last && r.invoker {
					r.pollIdle()
					last = r
				}
			}
			runtime.Gosched()
			continue
		}
		if cases == nil {
			cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())})
			for i := range items {
				s := items[i].Socket
				if items[i].Events&PollIn != 0 {
					cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(s.recvSig)})
				}
				if items[i].Events&PollOut != 0 {
					cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(s.sendSig)})
				}
				cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(s.closing)})
			}
		}
		chosen, _, _ := reflect.Select(cases)
		if chosen == 0 {
			return 0, ctx.Err()
		}
		// Pass the wake-up on to a Send or Recv waiting on that socket.
		for i := range items {
			s := items[i].Socket
			if s.waiters.Load() > 0 {
				s.recvSig.notify()
			}
			if s.sendWaiters.Load() > 0 {
				s.sendSig.notify()
			}
		}
	}
}
