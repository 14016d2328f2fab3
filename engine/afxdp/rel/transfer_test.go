package rel

import (
	"bytes"
	"testing"
	"time"
)

var lossModels = []struct {
	name string
	m    lossModel
}{
	{"clean", lossModel{Delay: 10 * us, BytesPerS: 1.25e9}},
	{"loss1%", lossModel{Delay: 10 * us, BytesPerS: 1.25e9, Loss: 0.01}},
	{"loss10%", lossModel{Delay: 10 * us, BytesPerS: 1.25e9, Loss: 0.10}},
	{"burst20", lossModel{Delay: 10 * us, BytesPerS: 1.25e9, BurstP: 0.002, BurstLen: 20, Loss: 0.001}},
	{"reorder-dup", lossModel{Delay: 10 * us, BytesPerS: 1.25e9, ReorderP: 0.05, Jitter: 30 * us, DupP: 0.02, Loss: 0.01}},
	{"tail-drop-queue", lossModel{Delay: 10 * us, BytesPerS: 1.25e9, MaxQueue: 200 * us}},
	{"everything", lossModel{Delay: 10 * us, BytesPerS: 1.25e9, Loss: 0.05, BurstP: 0.001, BurstLen: 20, ReorderP: 0.1, Jitter: 20 * us, DupP: 0.05}},
}

// closeBoth closes both ends once the streams are done and runs until both
// are Closed.
func closeBoth(t testing.TB, s *sim) {
	t.Helper()
	s.c[0].Close(s.now)
	s.c[1].Close(s.now)
	s.run(10*time.Second.Nanoseconds(), func() bool {
		return s.c[0].State() == Closed && s.c[1].State() == Closed
	})
}

func logStats(t testing.TB, s *sim) {
	t.Helper()
	for i, c := range s.c {
		st := c.Stats()
		t.Logf("side %d: sent %d dgrams (%d B data), rcvd %d, retx rto/nak/tlp %d/%d/%d, naks %d/%d, dups %d, oow %d, srtt %v rto %v, recovered %d (mean %v max %v)",
			i, st.DatagramsSent, st.DataBytesSent, st.DatagramsReceived, st.RetransmitsRTO, st.RetransmitsNAK, st.RetransmitsTLP,
			st.NAKsSent, st.NAKsReceived, st.DuplicatesReceived, st.OutOfWindow, st.SRTT, st.RTO,
			st.Recovered, meanRecovery(st), st.RecoveryMax)
	}
}

func meanRecovery(st Stats) time.Duration {
	if st.Recovered == 0 {
		return 0
	}
	return st.RecoveryTotal / time.Duration(st.Recovered)
}

// TestTransfer moves 24 MB one way and 8 MB the other at once under each
// loss model and checks every byte arrives once, in order, then closes.
func TestTransfer(t *testing.T) { testTransfer(t, false) }

// TestTransferDirect is TestTransfer with the bytes taken as they arrive
// (InputRead), as the engine's drivers take them: in-order DATA with
// nothing buffered goes straight to the reader, the rest through the ring.
func TestTransferDirect(t *testing.T) { testTransfer(t, true) }

func testTransfer(t *testing.T, direct bool) {
	for _, lm := range lossModels {
		t.Run(lm.name, func(t *testing.T) {
			s := newSim(t, testSeed(t), Config{}, Config{}, lm.m, lm.m)
			ab := newStream(0, 24<<20, 0, 0)
			ba := newStream(1, 8<<20, 0, 0)
			if direct {
				s.readers = [2]*stream{ba, ab}
			}
			s.app = func(s *sim) {
				ab.write(s)
				ba.write(s)
				ab.readAll(s)
				ba.readAll(s)
			}
			s.run(60*time.Second.Nanoseconds(), func() bool { return ab.done() && ba.done() })
			ab.check(t)
			ba.check(t)
			logStats(t, s)
			t.Logf("virtual time %v", time.Duration(max(ab.finished, ba.finished)-1_000_000))
			if direct && lm.name == "clean" {
				// Everything came in order: none of it went through a ring.
				for i, c := range s.c {
					if bytes.ContainsFunc(c.rbuf, func(r rune) bool { return r != 0 }) {
						t.Fatalf("side %d's receive ring was written", i)
					}
				}
			}
			closeBoth(t, s)
			if lm.m.Loss > 0 && s.c[0].Stats().Recovered == 0 {
				t.Fatalf("lossy link but nothing recovered: the test did not exercise repair")
			}
		})
	}
}

// TestMessages sends many 64-byte writes both ways at once, as a ZMTP
// stream of small messages would.
func TestMessages(t *testing.T) {
	for _, lm := range lossModels {
		if lm.name != "clean" && lm.name != "everything" && lm.name != "loss1%" {
			continue
		}
		t.Run(lm.name, func(t *testing.T) {
			const msgs = 1_000_000
			s := newSim(t, testSeed(t), Config{}, Config{}, lm.m, lm.m)
			ab := newStream(0, msgs*64, 64, 0)
			ba := newStream(1, msgs*64, 64, 0)
			s.app = func(s *sim) {
				// A varying number of messages per step: sometimes one
				// alone, sometimes a backlog.
				ab.perStep = 1 + s.rng.IntN(40)
				ba.perStep = 1 + s.rng.IntN(40)
				ab.write(s)
				ba.write(s)
				ab.readAll(s)
				ba.readAll(s)
			}
			s.run(60*time.Second.Nanoseconds(), func() bool { return ab.done() && ba.done() })
			ab.check(t)
			ba.check(t)
			logStats(t, s)
			closeBoth(t, s)
		})
	}
}

// TestSeqWrap runs a lossy transfer across the 32-bit sequence wrap.
func TestSeqWrap(t *testing.T) {
	m := lossModels[5].m
	s := newSim(t, testSeed(t), Config{MSS: 200}, Config{MSS: 200}, m, m)
	c := s.c[0]
	c.iss = 0xffff_ff00
	c.sndUna, c.sndNxt, c.peerRcvMax = c.iss, c.iss, c.iss
	ab := newStream(0, 4<<20, 0, 0)
	s.app = func(s *sim) { ab.write(s); ab.readAll(s) }
	s.run(60*time.Second.Nanoseconds(), ab.done)
	ab.check(t)
	if seqLT(c.sndNxt, 0x100) || !seqLT(c.iss, c.sndNxt) {
		t.Fatalf("sequence numbers did not wrap: iss %#x next %#x", c.iss, c.sndNxt)
	}
	if got := c.sndNxt; got > 0x1000_0000 {
		t.Logf("next seq %#x", got)
	}
	closeBoth(t, s)
}

// TestInputRead: in-order DATA that arrives with nothing buffered goes
// straight to InputRead's reader, not through the receive ring; DATA behind
// bytes still buffered, beyond a gap, or larger than the reader's room goes
// through the ring, and the reader gets the stream in order either way.
func TestInputRead(t *testing.T) {
	a, b, now := pair(t, Config{}, Config{})
	buf := make([]byte, HeaderLen+1400)
	send := func(s string) []byte {
		t.Helper()
		a.Write([]byte(s), now)
		n := a.Poll(buf, now)
		if n == 0 {
			t.Fatal("nothing sent")
		}
		return append([]byte(nil), buf[:n]...)
	}
	p := make([]byte, 64)
	read := func(d []byte, p []byte, want string) {
		t.Helper()
		n, err := b.InputRead(d, now, p)
		if err != nil || string(p[:n]) != want {
			t.Fatalf("InputRead: %q, %v; want %q", p[:n], err, want)
		}
	}

	read(send("one"), p, "one")
	if b.Readable() != 0 || bytes.Contains(b.rbuf, []byte("one")) {
		t.Fatalf("in order with nothing buffered: %d bytes left, in the ring %v", b.Readable(), bytes.Contains(b.rbuf, []byte("one")))
	}

	// Behind bytes still buffered: after them, through the ring.
	if err := b.Input(send("two"), now); err != nil {
		t.Fatal(err)
	}
	read(send("three"), p, "twothree")

	// More than the reader's room: what fits, the rest left to Read.
	read(send("four"), p[:2], "fo")
	if n := b.Read(p); string(p[:n]) != "ur" {
		t.Fatalf("left: %q", p[:n])
	}

	// Beyond a gap: nothing yet; the datagram filling it brings both.
	five, six := send("five"), send("six")
	read(six, p, "")
	read(five, p, "fivesix")
	if b.Readable() != 0 {
		t.Fatalf("%d bytes left", b.Readable())
	}

	// The window: after all that, fully open again, as with Read.
	if got := b.readOff + uint64(b.cfg.recvWin) - b.rcvOff; got != uint64(b.cfg.recvWin) {
		t.Fatalf("window %d, want %d", got, b.cfg.recvWin)
	}
}
