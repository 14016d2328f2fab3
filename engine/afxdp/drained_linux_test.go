//go:build linux

package afxdp

import (
	"net/netip"
	"testing"

	"github.com/zmqx/zmqx/engine/afxdp/rel"
	"github.com/zmqx/zmqx/internal/udpframe"
)

// established returns a channel whose Conn is the accepting end of an
// established rel pair, and the dialling end, with no socket under it.
func established(t *testing.T) (*channel, *rel.Conn, int64) {
	t.Helper()
	now := nowNs()
	buf := make([]byte, 2048)
	peer := rel.Dial(rel.Config{}, 1, now)
	syn := append([]byte(nil), buf[:peer.Poll(buf, now)]...)
	rc, err := rel.Accept(rel.Config{}, 2, syn, now)
	if err != nil {
		t.Fatal(err)
	}
	h := &host{t: New(Config{})}
	hdr := udpframe.Header{Src: netip.MustParseAddrPort("10.0.0.2:1"), Dst: netip.MustParseAddrPort("10.0.0.1:2")}
	// A queue with no socket: what the channel asks of it (a kick) waits.
	c := newChannel(h, &queue{h: h}, 2, hdr, rc)
	if err := peer.Input(buf[:rc.Poll(buf, now)], now); err != nil { // SYNACK
		t.Fatal(err)
	}
	if err := rc.Input(buf[:peer.Poll(buf, now)], now); err != nil { // its ack
		t.Fatal(err)
	}
	if rc.State() != rel.Established {
		t.Fatalf("state %v", rc.State())
	}
	return c, peer, now
}

// TestReadNonBlockingDrained: once a driver's read found nothing, its next
// reads do not look at the channel's Conn (nor take its lock) until the
// queue's service signals them (update, after Input) — the idle spin is a
// look at a Go channel — and then read what came; bytes a read left (p too
// small) are read without a signal.
func TestReadNonBlockingDrained(t *testing.T) {
	c, peer, now := established(t)
	p := make([]byte, 4)
	if n, err := c.ReadNonBlocking(p); n != 0 || err != nil {
		t.Fatalf("first read: %d, %v", n, err)
	}
	// Bytes in, but no service yet: not read.
	buf := make([]byte, 2048)
	peer.Write([]byte("hello"), now)
	d := buf[:peer.Poll(buf, now)]
	c.mu.Lock()
	if err := c.rc.Input(d, now); err != nil {
		t.Fatal(err)
	}
	c.mu.Unlock()
	if n, err := c.ReadNonBlocking(p); n != 0 || err != nil {
		t.Fatalf("read before the signal: %d, %v", n, err)
	}
	c.mu.Lock()
	c.update()
	c.mu.Unlock()
	got := ""
	for range 3 {
		n, err := c.ReadNonBlocking(p)
		if err != nil {
			t.Fatal(err)
		}
		got += string(p[:n])
	}
	if got != "hello" {
		t.Fatalf("read %q after the signal", got)
	}
	if !c.drained {
		t.Fatal("not drained after reading everything")
	}
	// An end is read at once: Close needs no signal.
	c.Close()
	if _, err := c.ReadNonBlocking(p); err == nil {
		t.Fatal("read after Close: no error")
	}
}
