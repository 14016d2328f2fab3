package rel

import (
	"container/heap"
	"flag"
	"math/rand/v2"
	"testing"
	"time"
)

var seedFlag = flag.Uint64("rel.seed", 0, "PRNG seed for the simulated network (0: from the clock)")

func testSeed(t testing.TB) uint64 {
	s := *seedFlag
	if s == 0 {
		s = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -rel.seed=%d)", s, s)
	return s
}

const (
	us = int64(time.Microsecond)
	ms = int64(time.Millisecond)
)

// lossModel describes one direction of the simulated link.
type lossModel struct {
	Loss      float64 // independent loss per datagram
	BurstP    float64 // per datagram: start a burst of BurstLen drops
	BurstLen  int     // (a burst also ends 1ms after it began: an outage, not a datagram count in a sparse phase)
	ReorderP  float64 // per datagram: add a random extra delay up to Jitter
	Jitter    int64
	DupP      float64 // per datagram: deliver a second copy (with its own delay)
	Delay     int64   // one-way propagation delay
	BytesPerS float64 // serialisation rate; 0: infinite
	MaxQueue  int64   // with BytesPerS: drop what would wait longer than this to depart (a full ring or switch buffer); 0: no limit
}

type link struct {
	lossModel
	busyUntil int64
	burstLeft int
	burstEnd  int64
	// drop, if set, decides for every datagram before the random models
	// (true: lost). n counts the datagrams offered to this link.
	drop func(n int, d []byte) bool
	n    int
	down bool // everything lost
}

type packet struct {
	at   int64
	ord  int64
	to   int
	data []byte
}

type pq []*packet

func (q pq) Len() int { return len(q) }
func (q pq) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].ord < q[j].ord
}
func (q pq) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *pq) Push(x any)   { *q = append(*q, x.(*packet)) }
func (q *pq) Pop() any     { o := *q; x := o[len(o)-1]; *q = o[:len(o)-1]; return x }
func (q pq) peekAt() int64 { return q[0].at }

// sim is two Conns over a simulated link with a virtual clock, driven as
// the engine drives them: Input every datagram due, then Poll until 0, and
// wake at the earliest Deadline.
type sim struct {
	t      testing.TB
	rng    *rand.Rand
	now    int64
	cfg    [2]Config
	c      [2]*Conn
	link   [2]*link // link[i] carries what c[i] sends
	q      pq
	ord    int64
	buf    []byte
	idle   int
	wake   int64        // the app's next timer (0: none)
	app    func(s *sim) // called every step after Input, before Poll
	onSend func(s *sim, from int, d []byte)
	// fate, if set, replaces the random models: how many copies of a
	// datagram arrive (0: lost) and how much later than the link delay.
	fate   func(from int) (copies int, extra int64)
	onRecv func(s *sim, to int, d []byte)
	// readers[i], if set, takes what end i receives as it arrives:
	// datagrams are given with InputRead into its buffer (unless it is
	// paused), as the engine's drivers do.
	readers [2]*stream
	// held[i]: datagrams end i made outside Poll (Send), sent first at
	// its next poll, where Poll would have made them.
	held [2][][]byte
}

func newSim(t testing.TB, seed uint64, cfgA, cfgB Config, ab, ba lossModel) *sim {
	s := &sim{
		t:    t,
		rng:  rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		now:  1_000_000,
		cfg:  [2]Config{cfgA, cfgB},
		link: [2]*link{{lossModel: ab}, {lossModel: ba}},
		buf:  make([]byte, 65536),
	}
	s.c[0] = Dial(cfgA, 0x1000_0001, s.now)
	return s
}

func (s *sim) send(from int, d []byte) {
	if s.onSend != nil {
		s.onSend(s, from, d)
	}
	l := s.link[from]
	l.n++
	if l.down {
		return
	}
	if l.drop != nil && l.drop(l.n, d) {
		return
	}
	if s.fate != nil {
		copies, extra := s.fate(from)
		for range copies {
			s.ord++
			heap.Push(&s.q, &packet{at: s.now + l.Delay + extra, ord: s.ord, to: 1 - from, data: append([]byte(nil), d...)})
		}
		return
	}
	if l.burstLeft > 0 && s.now < l.burstEnd {
		l.burstLeft--
		return
	}
	if l.BurstP > 0 && s.rng.Float64() < l.BurstP {
		l.burstLeft = l.BurstLen - 1
		l.burstEnd = s.now + ms
		return
	}
	if l.Loss > 0 && s.rng.Float64() < l.Loss {
		return
	}
	depart := s.now
	if l.MaxQueue > 0 && l.busyUntil-s.now > l.MaxQueue {
		return
	}
	if l.BytesPerS > 0 {
		depart = max(depart, l.busyUntil) + int64(float64(len(d)+42)*1e9/l.BytesPerS)
		l.busyUntil = depart
	}
	copies := 1
	if l.DupP > 0 && s.rng.Float64() < l.DupP {
		copies = 2
	}
	for range copies {
		at := depart + l.Delay
		if l.ReorderP > 0 && s.rng.Float64() < l.ReorderP {
			at += s.rng.Int64N(l.Jitter + 1)
		}
		s.ord++
		heap.Push(&s.q, &packet{at: at, ord: s.ord, to: 1 - from, data: append([]byte(nil), d...)})
	}
}

// step advances to the next event and handles it. It returns false when
// nothing will ever happen again.
func (s *sim) step() bool {
	t := int64(never)
	if len(s.q) > 0 {
		t = s.q.peekAt()
	}
	if s.wake > 0 {
		t = min(t, s.wake)
	}
	for _, c := range s.c {
		if c != nil {
			t = min(t, c.Deadline())
		}
	}
	if t == never {
		return false
	}
	if t > s.now {
		s.now = t
		s.idle = 0
	} else if s.idle++; s.idle > 100000 {
		s.t.Fatalf("livelock at %d: deadlines %d %d", s.now, s.c[0].Deadline(), s.c[1].Deadline())
	}
	for len(s.q) > 0 && s.q.peekAt() <= s.now {
		p := heap.Pop(&s.q).(*packet)
		if s.onRecv != nil {
			s.onRecv(s, p.to, p.data)
		}
		if s.c[p.to] == nil {
			typ, _, _, err := Peek(p.data)
			if err != nil || typ != SYN {
				continue
			}
			c, err := Accept(s.cfg[1], 0x2000_0002, p.data, s.now)
			if err != nil {
				s.t.Fatalf("Accept: %v", err)
			}
			s.c[1] = c
			continue
		}
		if st := s.readers[p.to]; st != nil && !st.paused {
			n, _ := s.c[p.to].InputRead(p.data, s.now, st.rbuf)
			st.took(s, st.rbuf[:n])
			continue
		}
		s.c[p.to].Input(p.data, s.now)
	}
	if s.app != nil {
		s.app(s)
	}
	s.pollAll()
	return true
}

func (s *sim) pollAll() {
	for i, c := range s.c {
		if c == nil {
			continue
		}
		for _, d := range s.held[i] {
			s.send(i, d)
		}
		s.held[i] = s.held[i][:0]
		for k := 0; ; k++ {
			n := c.Poll(s.buf[:HeaderLen+max(c.cfg.mss, 1400)], s.now)
			if n == 0 {
				break
			}
			if k > 1<<20 {
				s.t.Fatalf("Poll never returns 0")
			}
			s.send(i, s.buf[:n])
		}
	}
}

// run steps until done returns true or virtual time passes limit.
func (s *sim) run(limit int64, done func() bool) {
	s.t.Helper()
	end := s.now + limit
	last, still := s.now, 0
	for !done() {
		// A livelock: a million steps without virtual time moving.
		if s.now != last {
			last, still = s.now, 0
		} else if still++; still > 1_000_000 {
			s.t.Logf("livelock at %d", s.now)
			end = s.now - 1
		}
		if !s.step() || s.now > end {
			s.t.Logf("A: %s", s.c[0].debug())
			if s.c[1] != nil {
				s.t.Logf("B: %s", s.c[1].debug())
			}
			// Show what the two ends do next, then fail.
			s.onSend = func(s *sim, from int, d []byte) { s.t.Logf("%d sent by %d: %s", s.now, from, dumpDgram(d)) }
			for range 5 {
				s.step()
			}
			s.t.Fatalf("not done after %v virtual (now %d): states %v %v; stats A %+v B %+v",
				time.Duration(s.now-end+limit), s.now, s.c[0].State(), stateOf(s.c[1]), s.c[0].Stats(), statsOf(s.c[1]))
		}
	}
}

func stateOf(c *Conn) State {
	if c == nil {
		return Connecting
	}
	return c.State()
}

func statsOf(c *Conn) Stats {
	if c == nil {
		return Stats{}
	}
	return c.Stats()
}

// pattern is the stream byte at offset i of the stream from side k.
func pattern(k int, i uint64) byte {
	x := i*0x9e3779b97f4a7c15 + uint64(k)*0x632be59bd9b4e019
	return byte(x>>56) ^ byte(i)
}

// stream is one direction's application: a writer and a checking reader.
type stream struct {
	from     int
	total    uint64
	written  uint64
	read     uint64
	chunk    int // write size; 0: as much as fits
	perStep  int // writes per step when chunk > 0
	wbuf     []byte
	rbuf     []byte
	bad      bool
	badAt    uint64
	paused   bool // reader not reading
	finished int64
}

func newStream(from int, total uint64, chunk, perStep int) *stream {
	return &stream{from: from, total: total, chunk: chunk, perStep: perStep, wbuf: make([]byte, 256<<10), rbuf: make([]byte, 256<<10)}
}

func (st *stream) write(s *sim) {
	c := s.c[st.from]
	if c == nil {
		return
	}
	steps := 1
	if st.chunk > 0 {
		steps = st.perStep
	}
	for range steps {
		n := uint64(c.Writable())
		if st.chunk > 0 {
			if n < uint64(st.chunk) {
				return
			}
			n = uint64(st.chunk)
		}
		n = min(n, st.total-st.written, uint64(len(st.wbuf)))
		if n == 0 {
			return
		}
		for i := range n {
			st.wbuf[i] = pattern(st.from, st.written+i)
		}
		w := c.Write(st.wbuf[:n], s.now)
		if w != int(n) {
			s.t.Fatalf("Write took %d of %d with %d writable", w, n, c.Writable())
		}
		st.written += n
	}
}

func (st *stream) readAll(s *sim) {
	c := s.c[1-st.from]
	if c == nil || st.paused {
		return
	}
	for {
		n := c.Read(st.rbuf)
		if n == 0 {
			return
		}
		st.took(s, st.rbuf[:n])
	}
}

// took checks the next bytes the reader got.
func (st *stream) took(s *sim, b []byte) {
	for i := range b {
		if b[i] != pattern(st.from, st.read+uint64(i)) && !st.bad {
			st.bad = true
			st.badAt = st.read + uint64(i)
		}
	}
	st.read += uint64(len(b))
	if st.read > st.total {
		st.bad = true
	}
	if len(b) > 0 && st.read == st.total && st.finished == 0 {
		st.finished = s.now
	}
}

func (st *stream) done() bool { return st.read >= st.total }

func (st *stream) check(t testing.TB) {
	t.Helper()
	if st.bad {
		t.Fatalf("stream %d->%d: wrong byte at offset %d (read %d of %d)", st.from, 1-st.from, st.badAt, st.read, st.total)
	}
	if st.read != st.total {
		t.Fatalf("stream %d->%d: read %d of %d", st.from, 1-st.from, st.read, st.total)
	}
}
