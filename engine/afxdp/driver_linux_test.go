//go:build linux

package afxdp

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/zmqx/zmqx/bpf"
	"github.com/zmqx/zmqx/core"
	"github.com/zmqx/zmqx/engine/afxdp/rel"
	"github.com/zmqx/zmqx/internal/netns"
	"github.com/zmqx/zmqx/internal/udpframe"
	"github.com/zmqx/zmqx/internal/vethtest"
	"github.com/zmqx/zmqx/xdp"
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
// queue's service says bytes came (update, after Input) — the idle spin is
// one load — and then read what came; bytes a read left (p too small) are
// read without being told.
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
		t.Fatalf("read before the service: %d, %v", n, err)
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
		t.Fatalf("read %q after the service", got)
	}
	if !c.drained {
		t.Fatal("not drained after reading everything")
	}
	// An end is read at once: Close needs no service.
	c.Close()
	if _, err := c.ReadNonBlocking(p); err == nil {
		t.Fatal("read after Close: no error")
	}
}

// TestInputLeavesPolledChannelToItsDriver: DATA for a channel a driver
// polls whose ack may wait (SetAckDelay) is not serviced by the round that
// received it — there is nothing to send — but its reader is signalled and
// its deadline (the deferred ack) published; DATA that must be acked at
// once is serviced as before, as is every channel nobody polls.
func TestInputLeavesPolledChannelToItsDriver(t *testing.T) {
	for _, tc := range []struct {
		name          string
		polled, delay bool
		serviced      bool
	}{
		{"polled, ack deferred", true, true, false},
		{"polled, ack at once", true, false, true},
		{"not polled", false, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, peer, now := established(t)
			q := c.home
			chans := map[uint32]*channel{c.id: c}
			c.est, c.owned = true, true
			c.polledA.Store(tc.polled)
			if tc.delay {
				c.rc.SetAckDelay(agentAckDelay)
			}
			q.input(chans, peerFrame(t, c, peer, "request", now), now)
			if got := len(q.work) > 0; got != tc.serviced {
				t.Fatalf("queued for service: %v, want %v", got, tc.serviced)
			}
			if c.rc.Readable() != len("request") {
				t.Fatalf("readable %d", c.rc.Readable())
			}
			if !tc.serviced {
				select {
				case <-c.readable:
				default:
					t.Fatal("reader not signalled")
				}
				if d := c.deadline; d != now+int64(agentAckDelay) {
					t.Fatalf("deadline %d after now, want the deferred ack's %d", d-now, agentAckDelay)
				}
			}
		})
	}
}

// peerFrame is the datagram, headers and all, in which peer sends data to
// c.
func peerFrame(t *testing.T, c *channel, peer *rel.Conn, data string, now int64) []byte {
	t.Helper()
	buf := make([]byte, 2048)
	peer.Write([]byte(data), now)
	n := peer.Poll(buf[udpframe.HeaderLen:], now)
	frame, err := udpframe.Append(nil, &udpframe.Header{Src: c.hdr.Dst, Dst: c.hdr.Src}, buf[udpframe.HeaderLen:udpframe.HeaderLen+n])
	if err != nil {
		t.Fatal(err)
	}
	return frame
}

// TestInputSkipsGoneCachedChannel: input tries the channel it found last
// before the table, but not once that channel is gone: a datagram for the
// same id then goes to the channel the table has now.
func TestInputSkipsGoneCachedChannel(t *testing.T) {
	old, _, _ := established(t)
	c, peer, now := established(t)
	if old.id != c.id {
		t.Fatalf("ids %d and %d: the test needs the same", old.id, c.id)
	}
	q := old.home
	c.home = q
	chans := map[uint32]*channel{c.id: c}
	q.lastIn = old
	old.gone.Store(true)
	q.input(chans, peerFrame(t, c, peer, "request", now), now)
	if c.rc.Readable() != len("request") || old.rc.Readable() != 0 {
		t.Fatalf("readable: table's channel %d, gone cached one %d; want %d and 0", c.rc.Readable(), old.rc.Readable(), len("request"))
	}
	if q.lastIn != c {
		t.Fatal("the table's channel is not the one tried first now")
	}
	// And the cached one is used while it lives: a second datagram with
	// the table emptied still arrives.
	q.input(map[uint32]*channel{}, peerFrame(t, c, peer, "again", now), now)
	if c.rc.Readable() != len("requestagain") {
		t.Fatalf("readable %d after the second datagram, want %d", c.rc.Readable(), len("requestagain"))
	}
}

// TestDriverRoundReadsItsChannel: a datagram input in a round that its
// channel's own driver runs (host.pollFor) is read into the driver's
// buffer there, under the lock Input took; what does not fit stays in the
// Conn, announced to the driver's next read like any bytes; a round that
// another driver runs leaves the bytes to the channel's reader.
func TestDriverRoundReadsItsChannel(t *testing.T) {
	c, peer, now := established(t)
	q := c.home
	chans := map[uint32]*channel{c.id: c}
	c.est, c.owned = true, true
	c.polledA.Store(true)
	c.rc.SetAckDelay(agentAckDelay)

	// The driver's last read found nothing.
	c.drained, c.rseen = true, c.rgen.Load()
	p := make([]byte, 5)
	q.reader, q.rbuf, q.rn = c, p, 0
	q.input(chans, peerFrame(t, c, peer, "request", now), now)
	q.reader, q.rbuf = nil, nil
	if got := string(p[:q.rn]); got != "reque" {
		t.Fatalf("read in the round: %q, want %q", got, "reque")
	}
	if c.rc.Readable() != 2 {
		t.Fatalf("left in the Conn: %d bytes, want 2", c.rc.Readable())
	}
	n, err := c.ReadNonBlocking(p)
	if err != nil || string(p[:n]) != "st" {
		t.Fatalf("next read: %q, %v", p[:n], err)
	}

	other := &channel{}
	q.reader, q.rbuf, q.rn = other, make([]byte, 64), 0
	q.input(chans, peerFrame(t, c, peer, "again", now), now)
	q.reader, q.rbuf = nil, nil
	if q.rn != 0 || c.rc.Readable() != len("again") {
		t.Fatalf("another driver's round read %d bytes; %d left for c's reader", q.rn, c.rc.Readable())
	}
}

// xskChannel is established's channel on a real AF_XDP socket: B's end of
// a veth pair, with the steering program, receiving what a kernel UDP
// socket on A (a, port aPort) sends to port bPort; what the channel sends
// reaches a. The channel's host has that one queue.
func xskChannel(t *testing.T, aPort, bPort uint16) (*channel, *rel.Conn, int64, *net.UDPConn) {
	t.Helper()
	c, peer, now, a, _ := xskPair(t, aPort, bPort)
	return c, peer, now, a
}

// xskPair is xskChannel with the veth pair, for sockets of its own on A.
func xskPair(t *testing.T, aPort, bPort uint16) (*channel, *rel.Conn, int64, *net.UDPConn, *vethtest.Pair) {
	t.Helper()
	vethtest.Skip(t)
	p := vethtest.New(t, 1)
	p.Neigh(t)
	a := p.A.ListenUDP(t, aPort)
	xsk := vethtest.OpenXSK(t, p.B.NS, p.B.Index, 256, xdp.SocketOptions{RxFrames: 128, TxFrames: 128})
	var steer *bpf.Steering
	t.Cleanup(func() {
		if steer != nil {
			steer.Close() // before the socket (OpenXSK's cleanup runs after)
		}
	})
	err := netns.Do(p.B.NS, func() (err error) {
		if steer, err = bpf.Attach(p.B.Index, bpf.Options{Mode: bpf.AttachGeneric}); err != nil {
			return err
		}
		if err := steer.RegisterSocket(0, xsk.FD()); err != nil {
			return err
		}
		return steer.RegisterPort(bPort)
	})
	if err != nil {
		t.Fatal(err)
	}

	c, peer, now := established(t)
	c.hdr = udpframe.Header{DstMAC: [6]byte(p.A.MAC), SrcMAC: [6]byte(p.B.MAC),
		Src: netip.AddrPortFrom(p.B.Addr, bPort), Dst: netip.AddrPortFrom(p.A.Addr, aPort)}
	pfx, err := udpframe.NewPrefix(&c.hdr)
	if err != nil {
		t.Fatal(err)
	}
	c.pfx = &pfx
	c.peer, c.peerOK = udpframe.EndpointOf(c.hdr.Dst)
	h, q := c.h, c.home
	q.xsk, q.rx = xsk, make([]xdp.Desc, batch)
	q.rxHeld, q.txFree, q.txOut = make([]xdp.Desc, 0, batch), make([]xdp.Desc, 0, batch), make([]xdp.Desc, 0, batch)
	h.qs = []*queue{q}
	chans := map[uint32]*channel{c.id: c}
	h.chans.Store(&chans)
	c.est = true
	return c, peer, now, a, p
}

// peerSend returns what sends data from the peer's Conn to c over a, the
// kernel UDP socket xskChannel gave.
func peerSend(t *testing.T, c *channel, peer *rel.Conn, a *net.UDPConn, now int64) func(data string) {
	buf := make([]byte, 2048)
	return func(data string) {
		t.Helper()
		peer.Write([]byte(data), now)
		if _, err := a.WriteToUDPAddrPort(buf[:peer.Poll(buf, now)], c.hdr.Src); err != nil {
			t.Fatal(err)
		}
	}
}

// TestInputChecksSource: a datagram for the channel's id that comes from
// anywhere but the channel's peer (here its address with another port) is
// not the channel's: the channel gets nothing, and the sender a RST. The
// same datagram from the peer is the channel's.
func TestInputChecksSource(t *testing.T) {
	const aPort, bPort, strayPort = 7316, 7317, 7318
	c, peer, now, a, p := xskPair(t, aPort, bPort)
	stray := p.A.ListenUDP(t, strayPort)
	q := c.home
	buf := make([]byte, 2048)
	peer.Write([]byte("request"), now)
	d := buf[:peer.Poll(buf, now)]
	if _, err := stray.WriteToUDPAddrPort(d, c.hdr.Src); err != nil {
		t.Fatal(err)
	}
	// The RST comes back to the stray socket; the round that sends it
	// (the input's reset queues it, the round flushes) runs until then.
	stray.SetReadDeadline(time.Now().Add(5 * time.Second))
	got := make(chan []byte, 1)
	go func() {
		b := make([]byte, 2048)
		n, err := stray.Read(b)
		if err != nil {
			n = 0
		}
		got <- b[:n]
	}()
	var rst []byte
	for rst == nil {
		q.mu.Lock()
		q.round(false)
		q.mu.Unlock()
		select {
		case rst = <-got:
		default:
		}
	}
	if typ, _, _, err := rel.Peek(rst); err != nil || typ != rel.RST {
		t.Fatalf("the stray sender got %v (%v), want a RST", typ, err)
	}
	if n := c.rc.Readable(); n != 0 {
		t.Fatalf("the channel took %d bytes from a stray sender", n)
	}
	if _, err := a.WriteToUDPAddrPort(d, c.hdr.Src); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); c.rc.Readable() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the peer's datagram never reached the channel")
		}
		q.mu.Lock()
		q.round(false)
		q.mu.Unlock()
	}
	if n := c.rc.Readable(); n != len("request") {
		t.Fatalf("the peer's datagram gave %d bytes, want %d", n, len("request"))
	}
}

// TestDriverRoundLeavesTheRest: a driver's round that reads bytes for its
// channel, and whose input queued no service, returns right after the
// input: the dirty list (and timers, TX completions) wait for the driver's
// next look, which runs them. A round whose input did queue a service (an
// ack that cannot wait) runs in full. A real AF_XDP socket on B receives
// what a kernel UDP socket on A sends, and what B sends reaches A.
func TestDriverRoundLeavesTheRest(t *testing.T) {
	c, peer, now, a := xskChannel(t, 7310, 7311)
	h, q := c.h, c.home

	buf := make([]byte, 2048)
	send := peerSend(t, c, peer, a, now)
	rd := make([]byte, 64)
	// look runs driver rounds until one reads bytes for c.
	look := func() string {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			if n := h.pollFor(c, rd, false); n > 0 {
				return string(rd[:n])
			}
			if time.Now().After(deadline) {
				t.Fatal("nothing arrived")
			}
		}
	}
	// Not polled: the ack goes at once, so the round that read runs in
	// full and sends it.
	send("one")
	if got := look(); got != "one" {
		t.Fatalf("read %q", got)
	}
	if q.txCount != 1 {
		t.Fatalf("after the round that read: %d datagrams sent, want 1", q.txCount)
	}
	a.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, _, err := a.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatal(err)
	}
	if typ, _, _, err := rel.Peek(buf[:n]); err != nil || typ != rel.STATUS {
		t.Fatalf("A got %v, %v; want a STATUS", typ, err)
	}
	if err := peer.Input(buf[:n], now); err != nil {
		t.Fatal(err)
	}

	// Polled, its ack deferred: the input queues nothing, and the round
	// that reads leaves the dirty list (here, another channel kicked with
	// data to send) to the next look.
	c.polledA.Store(true)
	c.mu.Lock()
	c.rc.SetAckDelay(agentAckDelay)
	c.mu.Unlock()
	other, _, _ := established(t)
	other.home, other.hdr, other.pfx = q, c.hdr, c.pfx
	other.rc.Write([]byte("late"), now)
	q.kickLater(other)
	send("two")
	if got := look(); got != "two" {
		t.Fatalf("read %q", got)
	}
	if q.txCount != 1 || q.pending.Load() != 1 {
		t.Fatalf("after the round that read: %d datagrams sent, %d kicks pending; want 1 and 1", q.txCount, q.pending.Load())
	}
	deadline := time.Now().Add(10 * time.Second)
	for q.txCount == 1 {
		if n := h.pollFor(c, rd, false); n > 0 {
			t.Fatalf("read %q", rd[:n])
		}
		if time.Now().After(deadline) {
			t.Fatal("the next looks did not service the kicked channel")
		}
	}
	a.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, _, err = a.ReadFromUDPAddrPort(buf); err != nil {
		t.Fatal(err)
	}
	if typ, _, _, err := rel.Peek(buf[:n]); err != nil || typ != rel.DATA {
		t.Fatalf("A got %v, %v; want the kicked channel's DATA", typ, err)
	}
}

// TestDriverAwait: a spinning driver's read (SpinRead) on a quiet queue
// first spins on its ring (queue.await): the checks count as polls, so the
// timers' round still comes every pollTimers polls; work on the queue (a
// kick, a datagram) ends the spin; the round that follows takes the time
// await read instead of reading the clock. It spins only when its last read
// found nothing and nothing came since, and only on a host with one queue.
// What arrives while a driver spins is read.
func TestDriverAwait(t *testing.T) {
	c, peer, now, a := xskChannel(t, 7312, 7313)
	h, q := c.h, c.home
	c.polledA.Store(true)
	c.mu.Lock()
	c.rc.SetAckDelay(agentAckDelay)
	c.mu.Unlock()

	q.mu.Lock()
	q.polls = 1
	if q.await() || q.spinFresh {
		t.Fatal("await on a quiet queue reported work")
	}
	if want := uint32(1 + spinChecks/spinPerPoll); q.polls != want {
		t.Fatalf("polls after a quiet await: %d, want %d", q.polls, want)
	}
	q.polls = pollTimers - 1
	if !q.await() || !q.spinFresh || q.polls != pollTimers {
		t.Fatalf("await reaching the timers' poll: fresh %v, polls %d, want true and %d", q.spinFresh, q.polls, pollTimers)
	}
	q.spinFresh = false
	before := nowNs()
	q.pending.Add(1)
	if !q.await() || q.spinNow < before {
		t.Fatalf("a kicked queue's await: fresh %v, clock read %d ns before it began", q.spinFresh, before-q.spinNow)
	}
	q.pending.Add(-1)
	q.spinFresh = false
	q.mu.Unlock()

	// spins reports how many polls one SpinRead of a quiet queue made.
	rd := make([]byte, 64)
	spins := func() uint32 {
		t.Helper()
		before := q.polls
		if n, err := c.SpinRead(rd); n != 0 || err != nil {
			t.Fatalf("read %q, %v from a quiet queue", rd[:n], err)
		}
		return q.polls - before
	}
	q.polls = 1
	c.drained, c.rseen = false, c.rgen.Load()
	if n := spins(); n != 1 {
		t.Fatalf("a read after one that found bytes made %d polls, want 1 (no spin)", n)
	}
	if n := spins(); n != 1+spinChecks/spinPerPoll {
		t.Fatalf("a read after one that found nothing made %d polls, want %d", n, 1+spinChecks/spinPerPoll)
	}
	h.qs = []*queue{q, q}
	if n := spins(); n != 2 {
		t.Fatalf("with two queues a read made %d polls, want 2 (no spin)", n)
	}
	h.qs = []*queue{q}

	// The round after an await: the Conn takes the datagram at the time
	// await read.
	buf := make([]byte, 2048)
	send := peerSend(t, c, peer, a, now)
	// until reads with read until bytes come, and checks them.
	until := func(read func([]byte) (int, error), want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			n, err := read(rd)
			if err != nil {
				t.Fatal(err)
			}
			if n > 0 {
				if string(rd[:n]) != want {
					t.Fatalf("read %q, want %q", rd[:n], want)
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%q did not arrive", want)
			}
		}
	}
	send("one")
	spun := nowNs()
	q.mu.Lock()
	q.spinNow, q.spinFresh = spun, true
	q.mu.Unlock()
	until(c.ReadNonBlocking, "one")
	c.mu.Lock()
	got := c.rc.Now()
	c.mu.Unlock()
	if got != spun || q.spinFresh {
		t.Fatalf("the Conn's time %d ns from the await's reading (fresh left %v), want the reading", got-spun, q.spinFresh)
	}

	// A datagram sent while the driver spins is read.
	peer.Write([]byte("two"), now)
	two := append([]byte(nil), buf[:peer.Poll(buf, now)]...)
	sent := make(chan error, 1)
	go func() {
		_, err := a.WriteToUDPAddrPort(two, c.hdr.Src)
		sent <- err
	}()
	until(c.SpinRead, "two")
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
}

// TestReleaseWhileDriven: a queue is released (its socket closed and
// unmapped) under its lock, so a goroutine still driving a channel
// (pollFor, spinning) as the engine stops sees a closed socket rather than
// unmapped rings; under -race, a release without the lock is reported as a
// race with the driver's reads.
func TestReleaseWhileDriven(t *testing.T) {
	c, _, _, _ := xskChannel(t, 7314, 7315)
	h := c.h
	q, err := newQueue(h, 0, c.home.xsk)
	if err != nil {
		t.Fatal(err)
	}
	q.rx, q.rxHeld, q.txFree, q.txOut = c.home.rx, c.home.rxHeld, c.home.txFree, c.home.txOut
	c.home, h.qs = q, []*queue{q}
	c.drained, c.rseen = true, c.rgen.Load()

	polled := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		rd := make([]byte, 64)
		for i := 0; ; i++ {
			h.pollFor(c, rd, true)
			if i == 10 {
				close(polled)
			}
			q.mu.Lock()
			closed := q.ep == nil
			q.mu.Unlock()
			if closed {
				return
			}
		}
	}()
	<-polled
	if err := q.release(); err != nil {
		t.Fatal(err)
	}
	q.mu.Lock()
	q.ep = nil // what the driver above waits for
	q.mu.Unlock()
	<-done
	rd := make([]byte, 64)
	if n := h.pollFor(c, rd, true); n != 0 {
		t.Fatalf("a released queue's round read %d bytes", n)
	}
}

// A round leaves no channel in the spare capacity of its lists (the work
// list, the dirty list and its spare): a channel that ends is garbage at
// once, not kept alive, megabytes of buffers and all, until a round
// handles as many channels again. Before, 300 connections closed together
// left their 2 GB on the heap.
func TestRoundKeepsNoChannel(t *testing.T) {
	c, _, now, _ := xskChannel(t, 7320, 7321)
	q := c.home
	for range 5 {
		o, _, _ := established(t)
		o.home, o.hdr, o.pfx = q, c.hdr, c.pfx
		o.rc.Write([]byte("x"), now)
		q.kickLater(o)
	}
	q.mu.Lock()
	q.round(false)
	q.mu.Unlock()
	if len(q.owned) != 5 {
		t.Fatalf("%d channels owned after the round, want the 5 kicked", len(q.owned))
	}
	for name, l := range map[string][]*channel{"work": q.work, "dirty": q.dirty, "spare": q.spare} {
		for i, o := range l[:cap(l)] {
			if o != nil {
				t.Errorf("after the round, %s[%d] (len %d) still holds a channel", name, i, len(l))
			}
		}
	}
}

// A socket's SendBuffer is its xdp:// channels' send ring, as SO_SNDBUF is
// a TCP connection's (at least two datagrams); unset, rel's default 4 MiB.
// Both ends: the connecting one (relFor in dial) and the accepting one
// (the listener's).
func TestChannelSendBuffer(t *testing.T) {
	h := &host{relc: rel.Config{MSS: 1400}}
	for _, tc := range []struct{ set, want int }{{0, 4 << 20}, {64 << 10, 64 << 10}, {100, 2800}} {
		l := &listener{relc: h.relFor(&core.Options{SendBuffer: tc.set})}
		now := nowNs()
		buf := make([]byte, 2048)
		cl := rel.Dial(h.relFor(&core.Options{SendBuffer: tc.set}), 1, now)
		sv, err := rel.Accept(l.relc, 2, buf[:cl.Poll(buf, now)], now)
		if err != nil {
			t.Fatal(err)
		}
		if err := cl.Input(buf[:sv.Poll(buf, now)], now); err != nil { // SYNACK
			t.Fatal(err)
		}
		if err := sv.Input(buf[:cl.Poll(buf, now)], now); err != nil { // its ack
			t.Fatal(err)
		}
		if a, b := cl.Writable(), sv.Writable(); a != tc.want || b != tc.want {
			t.Errorf("SendBuffer %d: the ends take %d and %d bytes, want %d", tc.set, a, b, tc.want)
		}
	}
}
