package rel

import (
	"encoding/binary"
	"testing"
	"time"
)

// seedDatagrams are well-formed datagrams of every type, taken from a real
// exchange, for the fuzzer to start from.
func seedDatagrams(t testing.TB) [][]byte {
	a, b, now := pair(t, Config{MSS: 256}, Config{MSS: 256})
	var out [][]byte
	a.Write(make([]byte, 2000), now)
	ds := drain(a, now)
	out = append(out, ds...)
	b.Input(ds[0], now)
	b.Input(ds[3], now)
	out = append(out, drain(b, now)...) // NAK
	b.Input(ds[0], now)
	out = append(out, drain(b, now)...) // STATUS with SACK
	syn := Dial(Config{}, 5, now)
	buf := make([]byte, 2048)
	out = append(out, append([]byte(nil), buf[:syn.Poll(buf, now)]...))
	for _, typ := range []Type{SYNACK, FIN, FINACK, PING, RST} {
		d := make([]byte, HeaderLen)
		putHeader(d, &header{typ: typ, dst: 1, src: 2, seq: a.sndNxt, ack: a.rcvSeq, wnd: 1000})
		out = append(out, d)
	}
	return out
}

// FuzzInput feeds arbitrary datagrams to Peek and to both ends of an
// established pair, then drives them: nothing may panic, Poll must come to
// rest, and the buffers never grow.
func FuzzInput(f *testing.F) {
	for _, d := range seedDatagrams(f) {
		f.Add(d, uint16(10))
	}
	f.Fuzz(func(t *testing.T, d []byte, step uint16) {
		Peek(d)
		a, b, now := pair(t, Config{MSS: 256, SendBuffer: 8192, RecvWindow: 8192}, Config{MSS: 256, SendBuffer: 8192, RecvWindow: 8192})
		a.Write(make([]byte, 3000), now)
		sizes := func() (int, int, int, int) { return len(a.sbuf), len(a.rbuf), len(b.sbuf), len(b.rbuf) }
		s1, s2, s3, s4 := sizes()
		buf := make([]byte, HeaderLen+256)
		for round := range 3 {
			// The fuzzed datagram, also with this pair's ids patched
			// in so that it gets past the demultiplexing checks.
			for _, c := range []*Conn{a, b} {
				c.Input(d, now)
				if len(d) >= 12 {
					e := append([]byte(nil), d...)
					binary.BigEndian.PutUint32(e[4:], c.local)
					binary.BigEndian.PutUint32(e[8:], c.remote)
					c.Input(e, now)
				}
			}
			for _, c := range []*Conn{a, b} {
				for k := 0; c.Poll(buf, now) > 0; k++ {
					if k > 100000 {
						t.Fatalf("round %d: Poll never rests", round)
					}
				}
				c.Read(make([]byte, 100))
				c.Deadline()
				c.Stats()
			}
			now += int64(step) * us
		}
		if a, b, c, d := sizes(); a != s1 || b != s2 || c != s3 || d != s4 {
			t.Fatal("buffers changed size")
		}
	})
}

// TestInputGarbageAllocatesNothing: refusing bad input costs no memory.
func TestInputGarbageAllocatesNothing(t *testing.T) {
	a, _, now := pair(t, Config{}, Config{})
	junk := [][]byte{nil, {1}, make([]byte, HeaderLen), append([]byte{Version, 99}, make([]byte, 40)...)}
	if n := testing.AllocsPerRun(100, func() {
		for _, d := range junk {
			a.Input(d, now)
			Peek(d)
		}
	}); n != 0 {
		t.Fatalf("%v allocations per run", n)
	}
}

// TestSteadyStateAllocatesNothing: a Write/Poll/Input/Read cycle, with the
// ack going back, allocates nothing.
func TestSteadyStateAllocatesNothing(t *testing.T) {
	a, b, now := pair(t, Config{}, Config{})
	msg := make([]byte, 64)
	rd := make([]byte, 4096)
	buf := make([]byte, HeaderLen+1400)
	buf2 := make([]byte, HeaderLen+1400)
	if n := testing.AllocsPerRun(1000, func() {
		now += us
		a.Write(msg, now)
		n := a.Poll(buf, now)
		b.Input(buf[:n], now)
		m := b.Poll(buf2, now)
		a.Input(buf2[:m], now)
		b.Read(rd)
		// and a lost one repaired by NAK
		a.Write(msg, now)
		a.Poll(buf, now) // lost
		a.Write(msg, now)
		n = a.Poll(buf, now)
		b.Input(buf[:n], now)
		m = b.Poll(buf2, now)
		a.Input(buf2[:m], now)
		n = a.Poll(buf, now)
		b.Input(buf[:n], now)
		m = b.Poll(buf2, now)
		a.Input(buf2[:m], now)
		b.Read(rd)
	}); n != 0 {
		t.Fatalf("%v allocations per cycle", n)
	}
	if b.Readable() != 0 || a.Stats().RetransmitsNAK == 0 || a.sndUna != a.sndNxt {
		t.Fatalf("the cycle did not run as meant: readable %d stats %+v", b.Readable(), a.Stats())
	}
}

// TestPeek round-trips every type and refuses malformed datagrams.
func TestPeek(t *testing.T) {
	for _, d := range seedDatagrams(t) {
		var h header
		if _, err := parse(d, &h); err != nil {
			t.Fatalf("seed %x: %v", d, err)
		}
		typ, dst, src, err := Peek(d)
		if err != nil || typ != h.typ || dst != h.dst || src != h.src {
			t.Fatalf("Peek %v %d %d %v", typ, dst, src, err)
		}
		if _, _, _, err := Peek(d[:HeaderLen-1]); err == nil {
			t.Fatal("short datagram accepted")
		}
	}
	bad := make([]byte, HeaderLen+8)
	putHeader(bad, &header{typ: NAK, n: 2})
	if _, _, _, err := Peek(bad); err == nil {
		t.Fatal("NAK with a wrong range count accepted")
	}
	putHeader(bad, &header{typ: PING})
	if _, _, _, err := Peek(bad); err == nil {
		t.Fatal("PING with a payload accepted")
	}
	bad[0] = 2
	if _, _, _, err := Peek(bad); err == nil {
		t.Fatal("version 2 accepted")
	}
}

// FuzzChannel lets the fuzzer be the network: each input byte decides the
// fate of one datagram (delivered, lost, duplicated, or delayed by up to
// 630µs, which reorders it); once the bytes run out the link is perfect.
// Both streams must arrive complete, in order, and both ends close.
//
// ci-fuzztime: 20000
func FuzzChannel(f *testing.F) {
	f.Add([]byte{0, 1, 0, 0, 2, 3, 0xff, 1, 1, 1, 0})
	f.Add(make([]byte, 64))
	f.Add([]byte{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1})
	f.Fuzz(func(t *testing.T, fates []byte) {
		m := lossModel{Delay: 10 * us}
		// Nothing gives up, however much the fuzzer drops: not the dead
		// peer's timer, nor an accepted Conn waiting for its client (the
		// engine then resets the client, which connects again: not
		// modelled here).
		cfg := Config{MSS: 200, SendBuffer: 16 << 10, RecvWindow: 8 << 10, DeadAfter: time.Hour, KeepAlive: time.Hour,
			AcceptWait: time.Hour}
		s := newSim(t, 1, cfg, cfg, m, m)
		s.fate = func(from int) (int, int64) {
			if len(fates) == 0 {
				return 1, 0
			}
			b := fates[0]
			fates = fates[1:]
			switch b & 3 {
			case 1:
				return 0, 0
			case 2:
				return 2, int64(b>>2) * us
			case 3:
				return 1, int64(b>>2) * 10 * us
			}
			return 1, 0
		}
		ab := newStream(0, 64<<10, 0, 0)
		ba := newStream(1, 24<<10, 0, 0)
		s.app = func(s *sim) { ab.write(s); ba.write(s); ab.readAll(s); ba.readAll(s) }
		s.run(time.Hour.Nanoseconds(), func() bool { return ab.done() && ba.done() })
		ab.check(t)
		ba.check(t)
		closeBoth(t, s)
	})
}
