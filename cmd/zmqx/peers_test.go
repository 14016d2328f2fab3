package main

import (
	"context"
	"testing"

	"github.com/zmqx/zmqx"
)

func TestPeerWatchCounts(t *testing.T) {
	w := newPeerWatch()
	defer w.close()
	ev := func(typ zmqx.EventType, ep, remote string) {
		w.apply(zmqx.Event{Type: typ, Endpoint: ep, Remote: remote})
	}
	check := func(wantN int, wantSeen bool) {
		t.Helper()
		if n, seen, _ := w.state(); n != wantN || seen != wantSeen {
			t.Fatalf("live %d seen %v, want %d %v", n, seen, wantN, wantSeen)
		}
	}
	tcp := "tcp://127.0.0.1:5555"
	ev(zmqx.EventListening, tcp, "")
	ev(zmqx.EventAccepted, tcp, "127.0.0.1:40000")
	check(0, false) // accepted is not yet a peer: the handshake may fail
	ev(zmqx.EventHandshakeFailed, tcp, "127.0.0.1:40000")
	ev(zmqx.EventDisconnected, tcp, "127.0.0.1:40000")
	check(0, false)
	ev(zmqx.EventAccepted, tcp, "127.0.0.1:40001")
	ev(zmqx.EventHandshaken, tcp, "127.0.0.1:40001")
	ev(zmqx.EventHandshaken, "ipc:///x", "")
	ev(zmqx.EventHandshaken, "ipc:///x", "")
	check(3, true)
	ev(zmqx.EventDisconnected, tcp, "127.0.0.1:40001")
	ev(zmqx.EventDisconnected, "ipc:///x", "")
	check(1, true)
	ev(zmqx.EventDisconnected, tcp, "127.0.0.1:40001") // a second report changes nothing
	check(1, true)
	ev(zmqx.EventConnected, "inproc://a", "inproc://a") // inproc peers need no handshake
	check(2, true)
	if err := w.waitPeers(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.waitPeers(ctx, 3); err == nil {
		t.Fatal("waited for 3 peers with 2 there")
	}
}
