package main

import (
	"context"
	"strings"
	"sync"

	"github.com/zmqx/zmqx"
)

// peerWatch follows a socket's connection events to know how many peers
// it has: the only way to tell "sent" from "delivered" where a send
// succeeds with nobody there (a connecting PUSH queues, a PUB drops).
type peerWatch struct {
	events chan zmqx.Event
	stop   chan struct{}
	done   chan struct{}

	mu      sync.Mutex
	live    map[string]int // handshaken connections by endpoint and peer address
	failed  map[string]int // handshakes that failed, whose disconnect is no peer's
	n       int            // sum of live
	seen    bool           // a peer has been there at some point
	changed chan struct{}  // closed (and replaced) on every change
}

func newPeerWatch() *peerWatch {
	w := &peerWatch{
		// Sockets drop events when the channel is full; the watcher drains
		// it continuously, the buffer only absorbs bursts.
		events:  make(chan zmqx.Event, 256),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		live:    map[string]int{},
		failed:  map[string]int{},
		changed: make(chan struct{}),
	}
	go w.run()
	return w
}

func (w *peerWatch) run() {
	defer close(w.done)
	for {
		select {
		case e := <-w.events:
			w.apply(e)
		case <-w.stop:
			return
		}
	}
}

// close stops the watcher. The events channel stays open: a socket still
// closing in the background may report into it, and finds it full.
func (w *peerWatch) close() {
	close(w.stop)
	<-w.done
}

func (w *peerWatch) apply(e zmqx.Event) {
	key := e.Endpoint + " " + e.Remote
	inproc := strings.HasPrefix(e.Endpoint, "inproc://")
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case e.Type == zmqx.EventHandshaken,
		inproc && (e.Type == zmqx.EventConnected || e.Type == zmqx.EventAccepted):
		// inproc peers have no handshake and never disconnect.
		w.live[key]++
		w.n++
		w.seen = true
	case e.Type == zmqx.EventHandshakeFailed:
		w.failed[key]++
		return
	case e.Type == zmqx.EventDisconnected:
		if w.failed[key] > 0 {
			w.failed[key]--
			return
		}
		if w.live[key] == 0 {
			return
		}
		w.live[key]--
		w.n--
	default:
		return
	}
	close(w.changed)
	w.changed = make(chan struct{})
}

// state reports the live peers, whether there ever was one, and a channel
// closed at the next change.
func (w *peerWatch) state() (n int, seen bool, changed <-chan struct{}) {
	// Take in what is queued first: an event reported before data flowed
	// is then counted before anything the data caused is looked at.
	for drained := false; !drained; {
		select {
		case e := <-w.events:
			w.apply(e)
		default:
			drained = true
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n, w.seen, w.changed
}

// waitPeers waits until at least n peers are connected at once.
func (w *peerWatch) waitPeers(ctx context.Context, n int) error {
	for {
		live, _, changed := w.state()
		if live >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// waitSeen waits until a peer has been connected at some point.
func (w *peerWatch) waitSeen(ctx context.Context) error {
	for {
		_, seen, changed := w.state()
		if seen {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
