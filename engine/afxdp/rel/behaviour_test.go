package rel

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// TestSparseWritesGoAlone: one small write is one small datagram at once.
func TestSparseWritesGoAlone(t *testing.T) {
	a, b, now := pair(t, Config{}, Config{})
	msg := bytes.Repeat([]byte{7}, 64)
	for i := range 5 {
		if n := a.Write(msg, now); n != 64 {
			t.Fatalf("Write took %d", n)
		}
		out := drain(a, now)
		if len(out) != 1 || typeOf(out[0]) != DATA || len(out[0]) != HeaderLen+64 {
			t.Fatalf("write %d: %d datagrams, first %d bytes; want one DATA of %d", i, len(out), len(out[0]), HeaderLen+64)
		}
		now += 10 * us
		b.Input(out[0], now)
		acks := drain(b, now)
		if len(acks) != 1 || typeOf(acks[0]) != STATUS {
			t.Fatalf("one DATA in, want one STATUS out, got %d", len(acks))
		}
		now += 10 * us
		a.Input(acks[0], now)
		now += 100 * us
	}
	if b.Readable() != 5*64 {
		t.Fatalf("readable %d", b.Readable())
	}
}

// TestDeferredAck: with SetAckDelay, a request's acknowledgement rides on
// the reply written within the delay (two datagrams a round trip, not
// four); with no reply it goes alone once the delay is over; DATA that
// fills the advertised window is still acknowledged at once; and the
// sender never probes or retransmits for the deferral.
func TestDeferredAck(t *testing.T) {
	a, b, now := pair(t, Config{}, Config{RecvWindow: 4096})
	b.SetAckDelay(time.Hour) // capped at MinRTO/8
	a.SetAckDelay(time.Hour)
	msg := bytes.Repeat([]byte{7}, 64)
	// send writes msg on c and returns the one DATA datagram it makes
	// (which, from B, also carries the ack).
	send := func(c *Conn, round int, what string) []byte {
		t.Helper()
		c.Write(msg, now)
		out := drain(c, now)
		if len(out) != 1 || typeOf(out[0]) != DATA {
			t.Fatalf("round %d: %s is %d datagrams, want one DATA", round, what, len(out))
		}
		return out[0]
	}
	for i := range 5 {
		req := send(a, i, "request")
		now += 5 * us
		b.Input(req, now)
		if out := drain(b, now); len(out) != 0 {
			t.Fatalf("round %d: B sent %d datagrams before replying", i, len(out))
		}
		if d := b.Deadline(); d > now+int64(100*time.Microsecond)/8 {
			t.Fatalf("round %d: B's deadline %d ns away, want the deferred ack within MinRTO/8", i, d-now)
		}
		now += 2 * us
		rep := send(b, i, "reply")
		now += 5 * us
		a.Input(rep, now)
		if a.sndUna != a.sndNxt {
			t.Fatalf("round %d: the reply did not acknowledge the request", i)
		}
		now += 2 * us
	}
	// No reply: the ack goes alone when the delay is over, not before.
	a.Write(msg, now)
	b.Input(drain(a, now)[0], now)
	if out := drain(b, now); len(out) != 0 {
		t.Fatalf("B acked at once")
	}
	now = b.Deadline()
	acks := drain(b, now)
	if len(acks) != 1 || typeOf(acks[0]) != STATUS {
		t.Fatalf("at the deadline, want one STATUS, got %d datagrams", len(acks))
	}
	a.Input(acks[0], now)
	// A write that fills B's window: acknowledged at once.
	a.Write(bytes.Repeat([]byte{1}, 4096), now)
	for _, d := range drain(a, now) {
		b.Input(d, now)
	}
	if acks := drain(b, now); len(acks) == 0 {
		t.Fatalf("a full window was not acknowledged at once")
	}
	if st := a.Stats(); st.RetransmitsRTO+st.RetransmitsTLP+st.RetransmitsNAK != 0 {
		t.Fatalf("retransmissions %+v", st)
	}
}

// TestBacklogPacksFullDatagrams: writes that accumulate before a Poll go out
// in MSS-sized datagrams, the remainder last.
func TestBacklogPacksFullDatagrams(t *testing.T) {
	a, b, now := pair(t, Config{}, Config{})
	msg := make([]byte, 64)
	const msgs = 1000 // 64000 bytes = 45 × 1400 + 1000
	for range msgs {
		a.Write(msg, now)
	}
	out := drain(a, now)
	if len(out) != 46 {
		t.Fatalf("%d datagrams, want 46", len(out))
	}
	for i, d := range out[:45] {
		if len(d) != HeaderLen+1400 {
			t.Fatalf("datagram %d: %d bytes, want a full one", i, len(d))
		}
	}
	if len(out[45]) != HeaderLen+1000 {
		t.Fatalf("last datagram %d bytes", len(out[45]))
	}
	now += 10 * us
	for _, d := range out {
		if err := b.Input(d, now); err != nil {
			t.Fatal(err)
		}
	}
	acks := drain(b, now)
	if len(acks) != 1 {
		t.Fatalf("a batch of %d DATA gave %d acks, want 1", len(out), len(acks))
	}
	if b.Readable() != msgs*64 {
		t.Fatalf("readable %d", b.Readable())
	}
}

// TestNAKReportsEveryGap: several gaps in one window are all in one NAK,
// and the sender resends every missing datagram at once.
func TestNAKReportsEveryGap(t *testing.T) {
	a, b, now := pair(t, Config{}, Config{})
	a.Write(make([]byte, 20*1400), now)
	out := drain(a, now)
	if len(out) != 20 {
		t.Fatalf("%d datagrams", len(out))
	}
	first := a.sndUna
	lost := map[int]bool{3: true, 7: true, 8: true, 12: true}
	now += 10 * us
	for i, d := range out {
		if !lost[i] {
			b.Input(d, now)
		}
	}
	resp := drain(b, now)
	if len(resp) != 1 || typeOf(resp[0]) != NAK {
		t.Fatalf("want exactly one NAK, got %d datagrams", len(resp))
	}
	var h header
	p, _ := parse(resp[0], &h)
	want := [][2]uint32{{first + 3, first + 4}, {first + 7, first + 9}, {first + 12, first + 13}}
	if int(h.n) != len(want) {
		t.Fatalf("NAK has %d ranges, want %d", h.n, len(want))
	}
	for i, w := range want {
		lo, hi := getRange(p[i*rangeLen:])
		if lo != w[0] || hi != w[1] {
			t.Fatalf("range %d: [%d,%d) want [%d,%d)", i, lo-first, hi-first, w[0]-first, w[1]-first)
		}
	}
	now += 10 * us
	a.Input(resp[0], now)
	re := drain(a, now)
	if len(re) != 4 {
		t.Fatalf("%d retransmissions, want 4", len(re))
	}
	// The same NAK again (a repeat from the next out-of-order arrival)
	// resends nothing: the copies are in flight.
	a.Input(resp[0], now+1*us)
	if again := drain(a, now+1*us); len(again) != 0 {
		t.Fatalf("a repeated NAK resent %d datagrams", len(again))
	}
	now += 10 * us
	for _, d := range re {
		b.Input(d, now)
	}
	if b.Readable() != 20*1400 {
		t.Fatalf("readable %d", b.Readable())
	}
	if st := a.Stats(); st.RetransmitsNAK != 4 || st.NAKsReceived != 2 || st.RetransmitsRTO != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestSingleLossRepairedInOneRTT: in steady traffic (a 1000-byte message
// every 2µs, 10µs one way), one lost datagram is delivered in order at
// most ~1.5 RTT after it was first sent (virtual time): the next datagram
// reveals the gap, the NAK goes back, the copy comes.
func TestSingleLossRepairedInOneRTT(t *testing.T) {
	m := lossModel{Delay: 10 * us}
	var recovered []time.Duration
	cfg := Config{OnRecovered: func(d time.Duration) { recovered = append(recovered, d) }}
	s := newSim(t, testSeed(t), cfg, Config{}, m, m)
	const every = 2 * us
	var lostAt int64
	var lostEnd uint64
	var deliveredAt int64
	dataSeen := 0
	s.link[0].drop = func(n int, d []byte) bool {
		var h header
		p, _ := parse(d, &h)
		if h.typ != DATA {
			return false
		}
		if dataSeen++; dataSeen == 300 {
			lostAt, lostEnd = s.now, h.off+uint64(len(p))
			return true
		}
		return false
	}
	msg := make([]byte, 1000)
	sent := 0
	s.wake = s.now
	s.app = func(s *sim) {
		if s.now >= s.wake && s.c[0].State() == Established && sent < 1000 {
			s.c[0].Write(msg, s.now)
			sent++
			s.wake = s.now + every
		} else if s.now >= s.wake {
			s.wake = s.now + every
		}
		if c := s.c[1]; c != nil && lostAt > 0 && deliveredAt == 0 && c.rcvOff >= lostEnd {
			deliveredAt = s.now
		}
		if c := s.c[1]; c != nil {
			c.Read(make([]byte, 65536))
		}
	}
	s.run(time.Second.Nanoseconds(), func() bool { return sent == 1000 && s.c[1].rcvOff == 1000*1000 })
	if lostAt == 0 || deliveredAt == 0 {
		t.Fatalf("loss not injected (%d) or never delivered (%d)", lostAt, deliveredAt)
	}
	rtt := 2 * m.Delay
	took := deliveredAt - lostAt
	t.Logf("lost datagram delivered in order %v after its first transmission (RTT %v)", time.Duration(took), time.Duration(rtt))
	if took > rtt*3/2+every+2*us {
		t.Fatalf("repair took %v, more than 1.5 RTT (+ the send interval)", time.Duration(took))
	}
	st := s.c[0].Stats()
	if st.RetransmitsNAK != 1 || st.RetransmitsRTO != 0 || st.RetransmitsTLP != 0 || st.Recovered != 1 {
		t.Fatalf("want exactly one NAK-driven retransmission: %+v", st)
	}
	if st.RecoveryMax > time.Duration(2*rtt+every+2*us) {
		t.Fatalf("sender-side recovery %v", st.RecoveryMax)
	}
	if len(recovered) != 1 || recovered[0] != st.RecoveryMax {
		t.Fatalf("OnRecovered got %v, stats say %v", recovered, st.RecoveryMax)
	}
}

// TestCleanLinkNoRetransmissions: with no loss there are no retransmissions
// of any kind (no spurious RTO, TLP or NAK).
func TestCleanLinkNoRetransmissions(t *testing.T) {
	m := lossModel{Delay: 10 * us}
	s := newSim(t, testSeed(t), Config{}, Config{}, m, m)
	ab := newStream(0, 8<<20, 0, 0)
	ba := newStream(1, 64*20000, 64, 20)
	s.app = func(s *sim) { ab.write(s); ba.write(s); ab.readAll(s); ba.readAll(s) }
	s.run(10*time.Second.Nanoseconds(), func() bool { return ab.done() && ba.done() })
	ab.check(t)
	ba.check(t)
	for i, c := range s.c {
		st := c.Stats()
		if st.RetransmitsNAK+st.RetransmitsRTO+st.RetransmitsTLP+st.NAKsSent+st.DuplicatesReceived != 0 {
			t.Fatalf("side %d: %+v", i, st)
		}
		if st.SRTT < 20*time.Microsecond || st.SRTT > 25*time.Microsecond {
			t.Fatalf("side %d: SRTT %v on a 20µs round trip", i, st.SRTT)
		}
	}
}

// dropFirst is a link's drop rule that loses the first drops[t] datagrams
// of each type t (on both links, if given to both: the count is shared).
func dropFirst(drops map[Type]int) func(int, []byte) bool {
	return func(_ int, d []byte) bool {
		if typ := typeOf(d); drops[typ] > 0 {
			drops[typ]--
			return true
		}
		return false
	}
}

// TestHandshakeSurvivesLoss drops the first SYNs, the first SYNACKs and the
// client's first STATUS.
func TestHandshakeSurvivesLoss(t *testing.T) {
	m := lossModel{Delay: 10 * us}
	s := newSim(t, testSeed(t), Config{}, Config{}, m, m)
	drops := map[Type]int{SYN: 2, SYNACK: 2, STATUS: 1}
	f := dropFirst(drops)
	s.link[0].drop, s.link[1].drop = f, f
	ab := newStream(0, 1<<20, 0, 0)
	ba := newStream(1, 1<<20, 0, 0)
	s.app = func(s *sim) { ab.write(s); ba.write(s); ab.readAll(s); ba.readAll(s) }
	s.run(10*time.Second.Nanoseconds(), func() bool { return ab.done() && ba.done() })
	ab.check(t)
	ba.check(t)
	if drops[SYN]+drops[SYNACK]+drops[STATUS] != 0 {
		t.Fatalf("drops not all used: %v", drops)
	}
	if a, b := s.c[0].Stats().HandshakeSent, s.c[1].Stats().HandshakeSent; a != 3 || b < 3 {
		t.Fatalf("SYNs sent %d (want 3), SYNACKs %d (want ≥3)", a, b)
	}
	closeBoth(t, s)
}

// TestLateDuplicateSYN: a SYN (or SYNACK) arriving after establishment
// changes nothing.
func TestLateDuplicateSYN(t *testing.T) {
	now := int64(1_000_000)
	buf := make([]byte, 2048)
	a := Dial(Config{}, 1, now)
	syn := append([]byte(nil), buf[:a.Poll(buf, now)]...)
	b, err := Accept(Config{}, 2, syn, now)
	if err != nil {
		t.Fatal(err)
	}
	synack := append([]byte(nil), buf[:b.Poll(buf, now)]...)
	a.Input(synack, now)
	b.Input(buf[:a.Poll(buf, now)], now)
	if b.State() != Established {
		t.Fatal(b.State())
	}
	if err := b.Input(syn, now); err != nil {
		t.Fatal(err)
	}
	if n := b.Poll(buf, now); n != 0 {
		t.Fatalf("server answered a late SYN with %s", dumpDgram(buf[:n]))
	}
	a.Input(synack, now)
	out := drain(a, now)
	if len(out) != 1 || typeOf(out[0]) != STATUS {
		t.Fatalf("client answered a duplicate SYNACK with %d datagrams", len(out))
	}
	b.Input(out[0], now)
	if a.State() != Established || b.State() != Established {
		t.Fatalf("states %v %v", a.State(), b.State())
	}
	// A SYN from another client id is refused.
	other := Dial(Config{}, 9, now)
	if err := b.Input(buf[:other.Poll(buf, now)], now); !errors.Is(err, ErrProtocol) {
		t.Fatalf("stray SYN: %v", err)
	}
	if _, err := Accept(Config{}, 3, synack, now); err == nil {
		t.Fatal("Accept took a SYNACK")
	}
}

// TestZeroWindow: a receiver that stops reading closes the window; the
// sender probes; reading reopens it and the transfer completes.
func TestZeroWindow(t *testing.T) {
	m := lossModel{Delay: 10 * us}
	const win = 64 << 10
	s := newSim(t, testSeed(t), Config{}, Config{RecvWindow: win}, m, m)
	ab := newStream(0, 1<<20, 0, 0)
	ab.paused = true
	s.app = func(s *sim) { ab.write(s); ab.readAll(s) }
	blocked := func() bool { return s.c[1] != nil && s.c[1].Readable() == win }
	s.run(time.Second.Nanoseconds(), blocked)
	// Stay blocked a while: probes go out, nothing beyond the window.
	until := s.now + 20*ms
	s.run(time.Second.Nanoseconds(), func() bool { return s.now >= until })
	if got := s.c[1].Readable(); got != win {
		t.Fatalf("receiver buffered %d with a %d window", got, win)
	}
	if s.c[0].Stats().PingsSent == 0 {
		t.Fatal("no window probes while blocked")
	}
	if st := s.c[1].Stats(); st.OutOfWindow != 0 {
		t.Fatalf("sender overran the window: %+v", st)
	}
	probes := s.c[0].Stats().PingsSent
	ab.paused = false
	s.run(10*time.Second.Nanoseconds(), ab.done)
	ab.check(t)
	if p := s.c[0].Stats().PingsSent; p > probes+2 {
		t.Fatalf("the window reopened by Read needed %d more probes", p-probes)
	}
	closeBoth(t, s)
}

// TestCloseUnderLoss: Close with data still unsent, on a lossy link: all of
// it arrives, then both ends are Closed and Read returns 0.
func TestCloseUnderLoss(t *testing.T) {
	for range 5 {
		m := lossModel{Delay: 10 * us, Loss: 0.1, ReorderP: 0.1, Jitter: 20 * us, DupP: 0.05}
		s := newSim(t, testSeed(t), Config{}, Config{}, m, m)
		ab := newStream(0, 2<<20, 0, 0)
		ba := newStream(1, 100<<10, 0, 0)
		closed := false
		s.app = func(s *sim) {
			ab.write(s)
			ba.write(s)
			if !closed && s.c[0].State() == Established && ab.written == ab.total {
				s.c[0].Close(s.now)
				closed = true
				if s.c[0].Write([]byte{1}, s.now) != 0 || s.c[0].Writable() != 0 {
					t.Fatal("Write after Close accepted bytes")
				}
			}
			ab.readAll(s)
			ba.readAll(s)
		}
		s.run(30*time.Second.Nanoseconds(), func() bool {
			return s.c[0].State() == Closed && s.c[1] != nil && s.c[1].State() == Closed
		})
		ab.readAll(s)
		ab.check(t)
		if s.c[1].Read(make([]byte, 10)) != 0 || s.c[1].Readable() != 0 {
			t.Fatal("Read after FIN returned data")
		}
		if s.c[0].Err() != nil || s.c[1].Err() != nil {
			t.Fatalf("errors after close: %v %v", s.c[0].Err(), s.c[1].Err())
		}
	}
}

// TestCloseLosesFINAndFINACK: the first FIN and the first FINACK are lost;
// the FIN is retransmitted and the closed peer answers it again.
func TestCloseLosesFINAndFINACK(t *testing.T) {
	m := lossModel{Delay: 10 * us}
	s := newSim(t, testSeed(t), Config{}, Config{}, m, m)
	drops := map[Type]int{FIN: 1, FINACK: 1}
	f := dropFirst(drops)
	s.link[0].drop, s.link[1].drop = f, f
	ab := newStream(0, 256<<10, 0, 0)
	s.app = func(s *sim) { ab.write(s); ab.readAll(s) }
	s.run(time.Second.Nanoseconds(), ab.done)
	s.c[0].Close(s.now)
	s.run(10*time.Second.Nanoseconds(), func() bool { return s.c[0].State() == Closed && s.c[1].State() == Closed })
	if drops[FIN]+drops[FINACK] != 0 {
		t.Fatalf("drops unused: %v", drops)
	}
	ab.check(t)
}

// TestAbort: Abort sends a RST; the peer fails with ErrReset.
func TestAbort(t *testing.T) {
	m := lossModel{Delay: 10 * us}
	s := newSim(t, testSeed(t), Config{}, Config{}, m, m)
	ab := newStream(0, 1<<30, 0, 0)
	s.app = func(s *sim) { ab.write(s); ab.readAll(s) }
	s.run(time.Second.Nanoseconds(), func() bool { return ab.read > 1<<20 })
	s.c[0].Abort()
	if s.c[0].State() != Closing || s.c[0].Writable() != 0 || s.c[0].Deadline() > s.now {
		t.Fatalf("after Abort: state %v, writable %d, deadline in %v", s.c[0].State(), s.c[0].Writable(), time.Duration(s.c[0].Deadline()-s.now))
	}
	out := drain(s.c[0], s.now)
	if len(out) != 1 || typeOf(out[0]) != RST || s.c[0].State() != Closed {
		t.Fatalf("after Abort, Poll gave %d datagrams, state %v", len(out), s.c[0].State())
	}
	s.c[1].Input(out[0], s.now)
	s.run(time.Second.Nanoseconds(), func() bool { return s.c[1].State() == Failed })
	if !errors.Is(s.c[1].Err(), ErrReset) {
		t.Fatalf("peer error %v", s.c[1].Err())
	}
	if s.c[1].Readable() == 0 && ab.read == 0 {
		t.Fatal("nothing was transferred")
	}
}

// TestPeerDeath: the peer vanishes mid-stream; the survivor fails with
// ErrPeerDead once DeadAfter has passed since it last heard from it.
func TestPeerDeath(t *testing.T) {
	m := lossModel{Delay: 10 * us, Loss: 0.01}
	cfg := Config{DeadAfter: 500 * time.Millisecond}
	s := newSim(t, testSeed(t), cfg, cfg, m, m)
	ab := newStream(0, 1<<30, 0, 0)
	s.app = func(s *sim) { ab.write(s); ab.readAll(s) }
	s.run(time.Second.Nanoseconds(), func() bool { return ab.read > 4<<20 })
	// Kill B: it neither sends nor receives any more.
	killed := s.now
	s.link[1].down = true
	s.link[0].down = true
	s.c[1] = nil
	heard := s.c[0].lastHeard
	s.run(10*time.Second.Nanoseconds(), func() bool { return s.c[0].State() == Failed })
	if !errors.Is(s.c[0].Err(), ErrPeerDead) {
		t.Fatalf("error %v", s.c[0].Err())
	}
	if s.now-heard < int64(cfg.DeadAfter) || s.now-killed > int64(cfg.DeadAfter)+s.c[0].cfg.maxRTO {
		t.Fatalf("failed %v after the peer died (last heard %v before)", time.Duration(s.now-killed), time.Duration(killed-heard))
	}
	if s.c[0].Write([]byte{1}, s.now) != 0 {
		t.Fatal("Write accepted bytes on a failed connection")
	}
}

// TestKeepAlive: an idle connection stays up for many DeadAfter periods;
// the same idle connection with the peer silent fails.
func TestKeepAlive(t *testing.T) {
	m := lossModel{Delay: 10 * us}
	cfg := Config{KeepAlive: 50 * time.Millisecond, DeadAfter: 200 * time.Millisecond}
	s := newSim(t, testSeed(t), cfg, cfg, m, m)
	s.run(time.Second.Nanoseconds(), func() bool { return s.c[1] != nil && s.c[1].State() == Established })
	until := s.now + 10*int64(cfg.DeadAfter)
	s.run(20*int64(cfg.DeadAfter), func() bool { return s.now >= until })
	for i, c := range s.c {
		if c.State() != Established {
			t.Fatalf("side %d: %v (%v)", i, c.State(), c.Err())
		}
		if c.Stats().PingsSent == 0 && s.c[1-i].Stats().PingsSent == 0 {
			t.Fatal("no keepalives")
		}
	}
	// Now the server stops answering.
	s.link[1].down = true
	s.run(time.Second.Nanoseconds(), func() bool { return s.c[0].State() == Failed })
	if !errors.Is(s.c[0].Err(), ErrPeerDead) {
		t.Fatal(s.c[0].Err())
	}
}

// TestSYNUnanswered: a client whose SYNs go nowhere fails after DeadAfter,
// backing off its SYNs.
func TestSYNUnanswered(t *testing.T) {
	cfg := Config{DeadAfter: time.Second}
	now := int64(0)
	c := Dial(cfg, 1, now)
	buf := make([]byte, 2048)
	syns := 0
	for c.State() == Connecting {
		for c.Poll(buf, now) > 0 {
			syns++
		}
		if c.State() != Connecting {
			break
		}
		now = c.Deadline()
		if now == never {
			t.Fatal("no deadline while connecting")
		}
	}
	if !errors.Is(c.Err(), ErrPeerDead) || now < int64(time.Second) {
		t.Fatalf("state %v err %v at %v", c.State(), c.Err(), time.Duration(now))
	}
	// 1ms, 2, 4, ... 64, then 100ms steps: about 8 + 9 SYNs in one second.
	if syns < 10 || syns > 25 {
		t.Fatalf("%d SYNs in a second", syns)
	}
}

// TestProtocolErrors: well-formed datagrams that contradict the protocol
// fail the connection with ErrProtocol and send a RST; datagrams for other
// channels are refused and change nothing.
func TestProtocolErrors(t *testing.T) {
	forge := func(c *Conn, h header, payload int) []byte {
		d := make([]byte, HeaderLen+payload)
		h.dst, h.src = c.local, c.remote
		putHeader(d, &h)
		return d
	}
	cases := []struct {
		name string
		make func(a, b *Conn) []byte
	}{
		{"ack of unsent data", func(a, b *Conn) []byte {
			return forge(a, header{typ: STATUS, ack: a.sndNxt + 5, seq: a.sndNxt, wnd: 1000}, 0)
		}},
		{"DATA at the wrong offset", func(a, b *Conn) []byte {
			return forge(a, header{typ: DATA, seq: a.rcvSeq, ack: a.sndUna, off: a.rcvOff + 7}, 10)
		}},
		{"DATA overlapping the bytes before it", func(a, b *Conn) []byte {
			return forge(a, header{typ: DATA, seq: a.rcvSeq + 3, ack: a.sndUna, off: a.rcvOff + 1}, 10)
		}},
		{"FIN before the data", func(a, b *Conn) []byte {
			return forge(a, header{typ: FIN, seq: b.sndNxt, ack: a.sndUna, off: a.rcvOff + 100}, 0)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, b, now := pair(t, Config{}, Config{})
			d := tc.make(a, b)
			if err := a.Input(d, now); !errors.Is(err, ErrProtocol) {
				t.Fatalf("Input: %v", err)
			}
			if a.State() != Failed || !errors.Is(a.Err(), ErrProtocol) {
				t.Fatalf("state %v err %v", a.State(), a.Err())
			}
			out := drain(a, now)
			if len(out) != 1 || typeOf(out[0]) != RST {
				t.Fatalf("want one RST, got %d datagrams", len(out))
			}
			b.Input(out[0], now)
			if !errors.Is(b.Err(), ErrReset) {
				t.Fatalf("peer: %v", b.Err())
			}
		})
	}
	t.Run("other channel", func(t *testing.T) {
		a, _, now := pair(t, Config{}, Config{})
		d := make([]byte, HeaderLen)
		putHeader(d, &header{typ: RST, dst: a.local + 1, src: a.remote})
		if err := a.Input(d, now); !errors.Is(err, ErrProtocol) || a.State() != Established {
			t.Fatalf("err %v state %v", err, a.State())
		}
		putHeader(d, &header{typ: RST, dst: a.local, src: a.remote + 1})
		if err := a.Input(d, now); !errors.Is(err, ErrProtocol) || a.State() != Established {
			t.Fatalf("err %v state %v", err, a.State())
		}
		if a.Stats().Malformed != 2 {
			t.Fatalf("malformed %d", a.Stats().Malformed)
		}
	})
}

// TestMSSIsTheSmaller: each side sends at most the smaller of the two MSS.
func TestMSSIsTheSmaller(t *testing.T) {
	a, b, now := pair(t, Config{MSS: 1400}, Config{MSS: 500})
	a.Write(make([]byte, 3000), now)
	b.Write(make([]byte, 3000), now)
	for _, c := range []*Conn{a, b} {
		out := drain(c, now)
		if len(out) != 6 {
			t.Fatalf("%d datagrams for 3000 bytes, want 6 of 500", len(out))
		}
		for _, d := range out {
			if len(d) != HeaderLen+500 {
				t.Fatalf("datagram of %d bytes", len(d))
			}
		}
	}
}

// TestSynMSS: what a SYN announces is its sender's MSS, which the engine
// sizes an accepted channel's window by; anything but a SYN is an error.
func TestSynMSS(t *testing.T) {
	c := Dial(Config{MSS: 1220}, 1, 0)
	syn := drain(c, 0)
	if len(syn) != 1 {
		t.Fatalf("%d datagrams, want a SYN", len(syn))
	}
	if mss, err := SynMSS(syn[0]); err != nil || mss != 1220 {
		t.Fatalf("SynMSS = %d, %v; want 1220", mss, err)
	}
	a, _, now := pair(t, Config{}, Config{})
	a.Write([]byte("x"), now)
	for _, d := range drain(a, now) {
		if _, err := SynMSS(d); err == nil {
			t.Fatalf("SynMSS took a %v", typeOf(d))
		}
	}
	if _, err := SynMSS([]byte{1, 2, 3}); err == nil {
		t.Fatal("SynMSS took 3 bytes")
	}
}

// TestCloseWithPeerGone: a FIN never acknowledged ends in ErrPeerDead after
// DeadAfter, not in a connection Closing forever.
func TestCloseWithPeerGone(t *testing.T) {
	m := lossModel{Delay: 10 * us}
	cfg := Config{DeadAfter: 300 * time.Millisecond}
	s := newSim(t, testSeed(t), cfg, cfg, m, m)
	s.run(time.Second.Nanoseconds(), func() bool { return s.c[1] != nil && s.c[1].State() == Established })
	s.link[0].down = true
	s.c[0].Close(s.now)
	s.run(10*time.Second.Nanoseconds(), func() bool { return s.c[0].State() == Failed })
	if !errors.Is(s.c[0].Err(), ErrPeerDead) || !s.c[0].finSent {
		t.Fatalf("err %v, FIN sent %v", s.c[0].Err(), s.c[0].finSent)
	}
}

// TestReset: the RST Reset builds for a channel that does not exist refuses
// a connecting client and ends a close whose FINACK was lost after the peer
// dropped its channel; a RST is never answered.
func TestReset(t *testing.T) {
	buf := make([]byte, 2048)
	now := int64(1_000_000)
	c := Dial(Config{}, 7, now)
	syn := append([]byte(nil), buf[:c.Poll(buf, now)]...)
	n := Reset(buf, syn)
	if n != HeaderLen {
		t.Fatalf("Reset(SYN) = %d", n)
	}
	if Reset(make([]byte, 64), buf[:n]) != 0 {
		t.Fatal("a RST was answered")
	}
	if Reset(buf, syn[:10]) != 0 {
		t.Fatal("a malformed datagram was answered")
	}
	// A RST for another SYN (a stale one) does not count.
	other := Dial(Config{}, 7, now+1)
	otherSyn := make([]byte, 2048)
	otherSyn = otherSyn[:other.Poll(otherSyn, now)]
	rst := make([]byte, 64)
	rst = rst[:Reset(rst, otherSyn)]
	if c.Input(rst, now); c.State() != Connecting {
		t.Fatalf("stale RST: %v", c.State())
	}
	c.Input(buf[:n], now)
	if c.State() != Failed || !errors.Is(c.Err(), ErrReset) {
		t.Fatalf("refused: %v %v", c.State(), c.Err())
	}

	// The close: B answers the FIN, the FINACK is lost, B's channel is
	// gone; A's retransmitted FIN is answered by Reset.
	a, b, now := pair(t, Config{}, Config{})
	a.Close(now)
	fin := drain(a, now)
	if len(fin) != 1 || typeOf(fin[0]) != FIN {
		t.Fatalf("want a FIN, got %d datagrams", len(fin))
	}
	b.Input(fin[0], now)
	if b.State() != Closed || len(drain(b, now)) != 1 { // the FINACK, lost
		t.Fatal("B did not answer the FIN")
	}
	now = a.Deadline()
	again := drain(a, now)
	if len(again) != 1 || typeOf(again[0]) != FIN {
		t.Fatalf("want the FIN again, got %d datagrams", len(again))
	}
	n = Reset(buf, again[0])
	a.Input(buf[:n], now)
	if a.State() != Closed || a.Err() != nil {
		t.Fatalf("A after the RST: %v %v", a.State(), a.Err())
	}
}

// TestTailLossProbe: the last 20 datagrams of a burst are lost, so nothing
// arrives after them to reveal the gap; the tail-loss probe resends the
// last one about 2 SRTT later, the receiver NAKs the other 19 at once, and
// the burst is complete well before an RTO would have fired.
func TestTailLossProbe(t *testing.T) {
	m := lossModel{Delay: 10 * us}
	s := newSim(t, testSeed(t), Config{}, Config{}, m, m)
	s.run(time.Second.Nanoseconds(), func() bool { return s.c[1] != nil && s.c[1].State() == Established })
	// Some traffic first, for an RTT estimate.
	ab := newStream(0, 100*1400, 0, 0)
	s.app = func(s *sim) { ab.write(s); ab.readAll(s) }
	s.run(time.Second.Nanoseconds(), ab.done)
	data := 0
	var start int64
	s.link[0].drop = func(n int, d []byte) bool {
		if typeOf(d) != DATA {
			return false
		}
		if data++; data == 1 {
			start = s.now
		}
		return data > 20 && data <= 40 // the tail of the 40-datagram burst
	}
	ab.total += 40 * 1400
	srtt := s.c[0].srtt
	s.run(time.Second.Nanoseconds(), ab.done)
	ab.check(t)
	st := s.c[0].Stats()
	if st.RetransmitsTLP != 1 || st.RetransmitsNAK != 19 || st.RetransmitsRTO != 0 {
		t.Fatalf("want 1 TLP and 19 NAK-driven retransmissions, no RTO: %+v", st)
	}
	took := s.now - start
	// The ack of the first 20 re-arms the probe (one RTT), the probe
	// waits 2 SRTT + MinRTO/4, then the probe, the NAK and the copies
	// cross (three one-way delays).
	bound := 2*m.Delay + 2*srtt + s.c[0].cfg.minRTO/4 + 3*m.Delay + 2*us
	t.Logf("tail of 20 lost: burst complete after %v (SRTT %v, RTO %v)", time.Duration(took), time.Duration(srtt), time.Duration(s.c[0].rto))
	if took > bound {
		t.Fatalf("took %v, want at most %v", time.Duration(took), time.Duration(bound))
	}
}

// TestTooManyGaps: every other datagram of a 700-datagram burst is lost,
// more gaps than the receiver tracks; what it has to drop is reported
// missing with the gaps, and the repair needs no RTO.
func TestTooManyGaps(t *testing.T) {
	m := lossModel{Delay: 10 * us}
	// A congestion window larger than the stream: all 700 datagrams go
	// out before the first repair arrives.
	s := newSim(t, testSeed(t), Config{MSS: 1000, InitialCwnd: 1024}, Config{MSS: 1000}, m, m)
	data := 0
	s.link[0].drop = func(n int, d []byte) bool {
		if typeOf(d) != DATA {
			return false
		}
		data++
		return data <= 700 && data%2 == 0
	}
	ab := newStream(0, 700*1000, 0, 0)
	s.app = func(s *sim) { ab.write(s); ab.readAll(s) }
	s.run(10*time.Second.Nanoseconds(), ab.done)
	ab.check(t)
	a, b := s.c[0].Stats(), s.c[1].Stats()
	if b.OutOfWindow == 0 {
		t.Fatal("the receiver never ran out of gap slots: the test did not test that")
	}
	if a.RetransmitsRTO != 0 {
		t.Fatalf("%d RTO retransmissions: %+v", a.RetransmitsRTO, a)
	}
	t.Logf("dropped for lack of slots %d, NAKs %d, NAK-driven copies %d, virtual %v", b.OutOfWindow, b.NAKsSent, a.RetransmitsNAK, time.Duration(s.now-1_000_000))
}

// TestLast: Last marks the DATA after which Poll has nothing more to send
// now — a lone write's datagram, the last of a backlog's, the one that uses
// up the window — and nothing else (a backlog's other datagrams, STATUS,
// garbage), so a driver that transmits at once after it sends nothing
// early.
func TestLast(t *testing.T) {
	a, b, now := pair(t, Config{}, Config{RecvWindow: 4 * 1400})
	a.Write(make([]byte, 64), now)
	out := drain(a, now)
	if len(out) != 1 || !Last(out[0]) {
		t.Fatalf("a lone write: %d datagrams, Last %v", len(out), len(out) > 0 && Last(out[0]))
	}
	now += 10 * us
	b.Input(out[0], now)
	acks := drain(b, now)
	if len(acks) != 1 || typeOf(acks[0]) != STATUS || Last(acks[0]) {
		t.Fatalf("the ack: %d datagrams, want a STATUS that is not Last", len(acks))
	}
	a.Input(acks[0], now)
	// A backlog of 3 full datagrams and a bit: only the last is Last.
	a.Write(make([]byte, 3*1400+100), now)
	out = drain(a, now)
	if len(out) != 4 {
		t.Fatalf("backlog: %d datagrams, want 4", len(out))
	}
	for i, d := range out {
		if Last(d) != (i == 3) {
			t.Fatalf("backlog datagram %d: Last %v", i, Last(d))
		}
	}
	// Beyond the window (4 datagrams' worth, b reads nothing): the
	// datagram that fills it, short of a full one, is Last although data
	// is left.
	a.Write(make([]byte, 2*1400), now)
	out = drain(a, now)
	if len(out) != 1 || len(out[0]) >= HeaderLen+1400 || !Last(out[0]) {
		t.Fatalf("window-limited: %d datagrams (%d bytes, Last %v), want one short one marked Last", len(out), len(out[0]), Last(out[0]))
	}
	if a.Writable() == 0 || a.writeOff == a.sndNxtOff {
		t.Fatal("nothing left to send beyond the window")
	}
	for _, d := range [][]byte{nil, make([]byte, HeaderLen-1), {1, byte(DATA), flagAckNow}} {
		if Last(d) {
			t.Fatalf("Last(% x) = true", d)
		}
	}
}

// TestRingsRestartWhenEmpty: in a request-reply exchange (each message
// acknowledged and read before the next) every message is kept at the
// start of the send ring, in the first record, and received at the start
// of the receive ring, instead of one after the other through megabytes;
// while a ring holds something, what comes next goes after it.
func TestRingsRestartWhenEmpty(t *testing.T) {
	a, b, now := pair(t, Config{}, Config{})
	p := make([]byte, 64)
	for i := range 5 {
		msg := bytes.Repeat([]byte{byte(i + 1)}, 64)
		a.Write(msg, now)
		out := drain(a, now)
		if len(out) != 1 {
			t.Fatalf("message %d: %d datagrams", i, len(out))
		}
		if !bytes.Equal(a.sbuf[:64], msg) || a.recs[0].off != a.sndNxtOff-64 {
			t.Fatalf("message %d not at the start of the send ring and the first record", i)
		}
		now += 10 * us
		b.Input(out[0], now)
		if !bytes.Equal(b.rbuf[:64], msg) {
			t.Fatalf("message %d not at the start of the receive ring", i)
		}
		if n := b.Read(p); n != 64 || !bytes.Equal(p, msg) {
			t.Fatalf("message %d read back as % x", i, p[:n])
		}
		for _, d := range drain(b, now) {
			a.Input(d, now)
		}
		if a.sndUna != a.sndNxt {
			t.Fatalf("message %d not acknowledged", i)
		}
	}
	// Two messages before an ack: the second follows the first.
	one, two := bytes.Repeat([]byte{0xa}, 64), bytes.Repeat([]byte{0xb}, 64)
	a.Write(one, now)
	d1 := drain(a, now)
	a.Write(two, now)
	d2 := drain(a, now)
	if !bytes.Equal(a.sbuf[:128], append(one, two...)) || a.recs[1].off != a.sndNxtOff-64 {
		t.Fatal("the second message did not follow the first in the send ring")
	}
	b.Input(d1[0], now)
	b.Input(d2[0], now)
	if !bytes.Equal(b.rbuf[:128], append(one, two...)) {
		t.Fatal("the second message did not follow the first in the receive ring")
	}
}
