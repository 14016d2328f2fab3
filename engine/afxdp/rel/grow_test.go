package rel

import (
	"encoding/binary"
	"slices"
	"testing"
	"time"
)

// TestRingsStartSmall: a request-reply exchange keeps both ends' send ring
// and records at their first sizes, however long it runs; a SendBuffer
// below them sizes them.
func TestRingsStartSmall(t *testing.T) {
	a, b, now := pair(t, Config{}, Config{})
	msg, got := make([]byte, 64), make([]byte, 128)
	// Unacknowledged, this many would need four times the first ring.
	const rounds = 4 * firstSendRing / 64
	for i := range rounds {
		for _, ends := range [2][2]*Conn{{a, b}, {b, a}} {
			from, to := ends[0], ends[1]
			binary.BigEndian.PutUint32(msg, uint32(i))
			if n := from.Write(msg, now); n != len(msg) {
				t.Fatalf("round %d: Write took %d", i, n)
			}
			for _, d := range drain(from, now) {
				if err := to.Input(d, now); err != nil {
					t.Fatal(err)
				}
			}
			now += 10 * us
			if n := to.Read(got); n != len(msg) || binary.BigEndian.Uint32(got) != uint32(i) {
				t.Fatalf("round %d: read %d bytes %x", i, n, got[:n])
			}
			for _, d := range drain(to, now) {
				if err := from.Input(d, now); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	for i, c := range []*Conn{a, b} {
		if len(c.sbuf) != firstSendRing || len(c.recs) != firstRecords || len(c.retxQ) != firstRecords {
			t.Errorf("end %d after %d round trips: send ring %d, records %d, queue %d; want %d, %d, %d",
				i, rounds, len(c.sbuf), len(c.recs), len(c.retxQ), firstSendRing, firstRecords, firstRecords)
		}
	}
	s, _, _ := pair(t, Config{SendBuffer: 8192}, Config{})
	if len(s.sbuf) != 8192 || len(s.recs) != firstRecords {
		t.Errorf("SendBuffer 8192: send ring %d, records %d", len(s.sbuf), len(s.recs))
	}
}

// TestRecordsGrowKeepingState: records outgrown while datagrams are in
// flight and retransmissions are queued keep both, and every message
// arrives once, in order.
func TestRecordsGrowKeepingState(t *testing.T) {
	a, b, now := pair(t, Config{InitialCwnd: 4096}, Config{})
	const first, more = 200, 600
	var lost [][]byte
	msg := make([]byte, 64)
	sent := 0
	write := func() {
		binary.BigEndian.PutUint32(msg, uint32(sent))
		if n := a.Write(msg, now); n != len(msg) {
			t.Fatalf("message %d: Write took %d", sent, n)
		}
		sent++
	}
	// The first messages one datagram each; every other one arrives.
	for range first {
		write()
		ds := drain(a, now)
		if len(ds) != 1 {
			t.Fatalf("message %d: %d datagrams", sent-1, len(ds))
		}
		if sent%2 == 0 {
			lost = append(lost, ds[0])
		} else if err := b.Input(ds[0], now); err != nil {
			t.Fatal(err)
		}
	}
	now += 10 * us
	for _, d := range drain(b, now) { // the acknowledgement shows the holes
		if err := a.Input(d, now); err != nil {
			t.Fatal(err)
		}
	}
	if a.qHead == a.qTail {
		t.Fatal("no retransmission queued: the test does not cover growing with a queue")
	}
	// Grown now (Poll would first send the queue), the records in flight
	// and the queue are kept.
	snapshot := func() (recs []record, queue []uint32) {
		for s := a.sndUna; s != a.sndNxt; s++ {
			recs = append(recs, *a.rec(s))
		}
		for i := a.qHead; i != a.qTail; i++ {
			queue = append(queue, a.retxQ[i&a.rmask])
		}
		return recs, queue
	}
	recs, queue := snapshot()
	if !a.growRecords() || len(a.recs) != 2*firstRecords || len(a.retxQ) != 2*firstRecords {
		t.Fatalf("grown to %d records and a queue of %d", len(a.recs), len(a.retxQ))
	}
	recs2, queue2 := snapshot()
	if !slices.Equal(recs, recs2) || !slices.Equal(queue, queue2) {
		t.Fatalf("growing changed the records in flight or the queue:\n%v\n%v\n%v\n%v", recs, recs2, queue, queue2)
	}
	// More messages than those records hold, none of them delivered yet;
	// Poll'd one at a time, they go out as datagrams of their own (after
	// the queued retransmissions), and the records grow again.
	var held [][]byte
	for range more {
		write()
		held = append(held, drain(a, now)...)
	}
	if len(a.recs) <= 2*firstRecords || a.sndNxt-a.sndUna <= 2*firstRecords {
		t.Fatalf("records %d, in flight %d: they did not need to grow", len(a.recs), a.sndNxt-a.sndUna)
	}
	// Now everything arrives (the datagrams lost at first stay lost), and
	// the two ends run until b has read every message.
	for _, d := range held {
		if err := b.Input(d, now); err != nil {
			t.Fatal(err)
		}
	}
	got := make([]byte, 64)
	var stream []byte
	for step := 0; len(stream) < sent*64; step++ {
		if step > 10000 {
			t.Fatalf("b has %d of %d bytes", len(stream), sent*64)
		}
		for n := b.Read(got); n > 0; n = b.Read(got) {
			stream = append(stream, got[:n]...)
		}
		for _, d := range drain(b, now) {
			a.Input(d, now)
		}
		for _, d := range drain(a, now) {
			b.Input(d, now)
		}
		now += int64(100 * time.Microsecond)
	}
	for i := range sent {
		if v := binary.BigEndian.Uint32(stream[i*64:]); v != uint32(i) {
			t.Fatalf("message %d is %d", i, v)
		}
	}
	if len(stream) != sent*64 {
		t.Fatalf("b read %d bytes, want %d", len(stream), sent*64)
	}
}

// TestSendRingGrowsUnderLoss: a transfer that keeps more unacknowledged
// than the first ring holds grows it while losses are repaired, and
// delivers every byte in order.
func TestSendRingGrowsUnderLoss(t *testing.T) {
	for _, lm := range lossModels {
		if lm.name != "clean" && lm.name != "everything" {
			continue
		}
		t.Run(lm.name, func(t *testing.T) {
			s := newSim(t, testSeed(t), Config{}, Config{}, lm.m, lm.m)
			ab := newStream(0, 8<<20, 0, 0)
			s.app = func(s *sim) {
				ab.write(s)
				ab.readAll(s)
			}
			s.run(60*time.Second.Nanoseconds(), ab.done)
			ab.check(t)
			if n := len(s.c[0].sbuf); n <= firstSendRing || n > 4<<20 {
				t.Fatalf("sender's ring %d bytes: want more than the first %d, at most SendBuffer", n, firstSendRing)
			}
			closeBoth(t, s)
		})
	}
}
