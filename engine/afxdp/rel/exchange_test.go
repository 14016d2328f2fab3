package rel

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"
)

// clone is a copy of c that shares no memory with it.
func clone(c *Conn) *Conn {
	n := *c
	n.sbuf = slices.Clone(c.sbuf)
	n.recs = slices.Clone(c.recs)
	n.retxQ = slices.Clone(c.retxQ)
	n.rbuf = slices.Clone(c.rbuf)
	return &n
}

// sameInput gives d at now to two copies of c, one through Input (or
// InputRead into a buffer like rbuf, when that is not nil) and one through
// input alone, and fails t unless the copies (every field, the counters
// included), the bytes read and the errors are the same. It reports
// whether Input took d on its straight line (exchange).
func sameInput(t *testing.T, c *Conn, d []byte, now int64, rbuf []byte) bool {
	t.Helper()
	probe := clone(c)
	probe.now = max(now, probe.now)
	took := probe.exchange(d, probe.now)
	general, fast := clone(c), clone(c)
	var gotG, gotF []byte
	var errG, errF error
	general.now = max(now, general.now)
	if rbuf != nil {
		// (A reader's buffer of a few KiB: what a read takes depends on
		// its size, and both copies get the same.)
		size := min(len(rbuf), 4<<10)
		bufG, bufF := make([]byte, size), make([]byte, size)
		general.direct, general.directN = bufG, 0
		errG = general.input(d, general.now)
		n := general.directN
		general.direct = nil
		n += general.Read(bufG[n:])
		gotG = bufG[:n]
		n, errF = fast.InputRead(d, now, bufF)
		gotF = bufF[:n]
	} else {
		errG = general.input(d, general.now)
		errF = fast.Input(d, now)
	}
	if errG != errF || !bytes.Equal(gotG, gotF) || !reflect.DeepEqual(general, fast) {
		t.Fatalf("at %d, took %s (straight line: %v)\nthrough input: %v, read %d bytes\n%s\nthrough Input: %v, read %d bytes\n%s",
			now, dumpDgram(d), took, errG, len(gotG), general.debug(), errF, len(gotF), fast.debug())
	}
	return took
}

// TestExchangeIsInput: Input's straight line for a request-reply exchange
// (exchange) leaves a Conn exactly as the general path (input) leaves it.
// Requests and replies of random sizes (one datagram or several) go back
// and forth over simulated links with loss, bursts, reordering and
// duplicates, read as they arrive (InputRead) or later (Read), with the
// acknowledgement deferred or not, and a receive window that holds the
// largest message or not, and then closed. Every datagram either end
// receives is first given to two copies of it (sameInput). The straight
// line must take a good share of them, or the test checks nothing.
func TestExchangeIsInput(t *testing.T) {
	for _, lm := range []struct {
		name string
		m    lossModel
	}{
		{"clean", lossModel{Delay: 10 * us}},
		{"loss10%", lossModel{Delay: 10 * us, Loss: 0.10}},
		{"burst", lossModel{Delay: 10 * us, BurstP: 0.01, BurstLen: 5, Loss: 0.01}},
		{"reorder-dup", lossModel{Delay: 10 * us, ReorderP: 0.1, Jitter: 30 * us, DupP: 0.05, Loss: 0.02}},
	} {
		for _, direct := range []bool{false, true} {
			for _, delay := range []time.Duration{0, 10 * time.Microsecond} {
				for _, win := range []int{8 << 10, 1 << 10} {
					t.Run(fmt.Sprintf("%s/direct=%v/ackdelay=%v/window=%d", lm.name, direct, delay, win), func(t *testing.T) {
						testExchangeIsInput(t, lm.m, direct, delay, win)
					})
				}
			}
		}
	}
}

func testExchangeIsInput(t *testing.T, m lossModel, direct bool, delay time.Duration, win int) {
	cfg := Config{MSS: 300, SendBuffer: 8 << 10, RecvWindow: win}
	s := newSim(t, testSeed(t), cfg, cfg, m, m)
	var taken, total int
	s.onRecv = func(s *sim, to int, d []byte) {
		c := s.c[to]
		if c == nil {
			return
		}
		total++
		var rbuf []byte
		if st := s.readers[to]; st != nil && !st.paused {
			rbuf = st.rbuf
		}
		if sameInput(t, c, d, s.now, rbuf) {
			taken++
		}
	}
	// The exchange: side 0 writes a request of 1-700 bytes (now and then
	// two at once), side 1 answers each once it has read it whole, with a
	// reply of 1-700 bytes, and side 0 writes the next once it has every
	// reply it waits for.
	rounds := 300
	if raceEnabled {
		rounds = 60 // (CI runs the full count without -race too)
	}
	// req: side 0's requests, read by side 1; rep: side 1's replies.
	req, rep := newStream(0, 1<<40, 0, 0), newStream(1, 1<<40, 0, 0)
	size := func() uint64 { return 1 + s.rng.Uint64N(700) }
	var want uint64        // reply bytes side 0 waits for
	var sent, answered int // requests sent, replies written
	var ends []uint64      // where each request not yet answered ends
	if direct {
		s.readers[0], s.readers[1] = rep, req
	}
	write := func(st *stream, n uint64) {
		c := s.c[st.from]
		for i := range n {
			st.wbuf[i] = pattern(st.from, st.written+i)
		}
		if w := c.Write(st.wbuf[:n], s.now); w != int(n) {
			t.Fatalf("Write took %d of %d bytes", w, n)
		}
		st.written += n
	}
	s.app = func(s *sim) {
		if s.c[1] == nil || s.c[0].State() != Established || s.c[1].State() != Established {
			return
		}
		if delay > 0 {
			s.c[0].SetAckDelay(delay)
			s.c[1].SetAckDelay(delay)
		}
		if !direct {
			req.readAll(s)
			rep.readAll(s)
		}
		// Side 1 answers every request it has read whole.
		for len(ends) > 0 && req.read >= ends[0] {
			ends = ends[1:]
			n := size()
			write(rep, n)
			want += n
			answered++
		}
		// Side 0 asks again once every reply is in.
		if sent < rounds && rep.read == want && answered == sent {
			k := 1
			if s.rng.Uint64N(8) == 0 && sent+2 <= rounds {
				k = 2
			}
			for range k {
				n := size()
				write(req, n)
				ends = append(ends, req.written)
				sent++
			}
		}
	}
	s.run(int64(60*time.Second), func() bool {
		return sent == rounds && answered == rounds && rep.read == want
	})
	req.total, rep.total = req.written, rep.written
	req.check(t)
	rep.check(t)
	// And the close, every datagram of it compared too.
	s.app = nil
	closeBoth(t, s)
	t.Logf("%d of %d datagrams received took the straight line", taken, total)
	if taken < total/4 {
		t.Fatalf("only %d of %d datagrams took the straight line", taken, total)
	}
}

// inExchange returns a Conn with a request in flight (its receive window
// win bytes) and the DATA that answers it, which takes the straight line.
func inExchange(t testing.TB, win int) (a *Conn, reply []byte, now int64) {
	a, b, now := pair(t, Config{RecvWindow: win, SendBuffer: 16 << 10}, Config{RecvWindow: 16 << 10, SendBuffer: 16 << 10})
	a.Write([]byte("request"), now)
	for _, d := range drain(a, now) {
		now += 10 * us
		if err := b.Input(d, now); err != nil {
			t.Fatal(err)
		}
	}
	b.Read(make([]byte, 64))
	b.Write([]byte("the reply"), now)
	ds := drain(b, now)
	if len(ds) != 1 || typeOf(ds[0]) != DATA {
		t.Fatalf("the reply went as %d datagrams", len(ds))
	}
	return a, ds[0], now + 10*us
}

// TestExchangeRefusesTheRest: the datagram of an exchange with any one
// header field changed (another type, flags, channel ids, sequence number,
// offset, acknowledgement, window; a payload beyond the receive window; a
// short or empty one), or given to a Conn closed, failed, closing or not
// established, leaves it exactly as input leaves it, whether or not the
// straight line takes it.
func TestExchangeRefusesTheRest(t *testing.T) {
	for _, win := range []int{4 << 10, 64} {
		a, d, now := inExchange(t, win)
		if !sameInput(t, a, d, now, nil) || !sameInput(t, a, d, now, make([]byte, 64)) {
			t.Fatal("the reply did not take the straight line")
		}
		field := func(off, size int, v uint64) []byte {
			m := slices.Clone(d)
			for i := size - 1; i >= 0; i-- {
				m[off+i] = byte(v)
				v >>= 8
			}
			return m
		}
		be := func(off, size int) uint64 {
			var v uint64
			for _, x := range d[off : off+size] {
				v = v<<8 | uint64(x)
			}
			return v
		}
		var variants [][]byte
		for typ := range uint64(11) {
			variants = append(variants, field(1, 1, typ))
		}
		for _, fl := range []uint64{0, flagRetx, flagAckNow, flagRetx | flagAckNow, 4, 0x80} {
			variants = append(variants, field(2, 1, fl))
		}
		variants = append(variants, field(0, 1, 2), field(3, 1, 1))
		for _, f := range []struct{ off, size int }{{4, 4}, {8, 4}, {12, 4}, {16, 4}, {20, 4}, {24, 8}} {
			v := be(f.off, f.size)
			for _, dv := range []uint64{1, 2, 100, 1 << 31, 1<<32 - 1, 1<<32 - 2, 1 << 62, 1<<63 + 1} {
				variants = append(variants, field(f.off, f.size, v+dv), field(f.off, f.size, v-dv))
			}
		}
		variants = append(variants, append(slices.Clone(d), make([]byte, 2*win)...), d[:HeaderLen], d[:HeaderLen-1], nil)
		for i, m := range variants {
			if i%2 == 0 {
				sameInput(t, a, m, now, nil)
			} else {
				sameInput(t, a, m, now, make([]byte, 4*win))
			}
		}
		// And the reply as it is, to the Conn in another state.
		for _, set := range []func(c *Conn){
			func(c *Conn) { c.closed = true },
			func(c *Conn) { c.closed, c.rstPending = true, true },
			func(c *Conn) { c.failed = true },
			func(c *Conn) { c.closing = true },
			func(c *Conn) { c.est = false },
			func(c *Conn) { c.hasRemote = false },
		} {
			b := clone(a)
			set(b)
			sameInput(t, b, d, now, nil)
			sameInput(t, b, d, now, make([]byte, 64))
		}
	}
}

// FuzzExchangeIsInput: any datagram, as it is and with the Conn's channel
// ids put in (so that it gets past them), leaves a Conn with a request in
// flight exactly as input leaves it (see TestExchangeIsInput), read into a
// buffer or not.
//
// ci-fuzztime: 50000
func FuzzExchangeIsInput(f *testing.F) {
	_, reply, _ := inExchange(f, 4<<10)
	f.Add(reply, false)
	f.Add(append(slices.Clone(reply), make([]byte, 8<<10)...), true)
	for _, d := range seedDatagrams(f) {
		f.Add(d, false)
	}
	f.Fuzz(func(t *testing.T, d []byte, read bool) {
		a, _, now := inExchange(t, 4<<10)
		var rbuf []byte
		if read {
			rbuf = make([]byte, 4<<10)
		}
		sameInput(t, a, d, now, rbuf)
		if len(d) >= 12 {
			e := slices.Clone(d)
			binary.BigEndian.PutUint32(e[4:], a.local)
			binary.BigEndian.PutUint32(e[8:], a.remote)
			sameInput(t, a, e, now, rbuf)
		}
	})
}
