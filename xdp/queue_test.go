package xdp

import (
	"errors"
	"sync/atomic"
	"testing"
)

// fakeKernel plays the kernel's side of the four rings in memory: on a TX
// kick it consumes the TX ring and posts completions (unless stalled), and
// deliver moves FILL frames into the RX ring as received frames.
type fakeKernel struct {
	q                  *queue
	fillProd, fillCons uint32
	compProd, compCons uint32
	rxProd, rxCons     uint32
	txProd, txCons     uint32
	fillFlags, txFlags uint32
	compFlags, rxFlags uint32
	kicks, wakes       int
	stalled            bool
	sent               []Desc
	fillE, compE       []uint64
	rxE, txE           []Desc
}

func newFake(t *testing.T, rx, tx int, needWakeup, copyMode bool) (*queue, *fakeKernel) {
	const frame = 2048
	f := &fakeKernel{
		fillE: make([]uint64, roundPow2(rx)), compE: make([]uint64, roundPow2(tx)),
		rxE: make([]Desc, roundPow2(rx)), txE: make([]Desc, roundPow2(tx)),
	}
	q := &queue{
		fill: newRing(&f.fillProd, &f.fillCons, &f.fillFlags, f.fillE),
		comp: newRing(&f.compProd, &f.compCons, &f.compFlags, f.compE),
		rx:   newRing(&f.rxProd, &f.rxCons, &f.rxFlags, f.rxE),
		tx:   newRing(&f.txProd, &f.txCons, &f.txFlags, f.txE),
		k:    f, mem: make([]byte, (rx+tx+1)*frame), frameSize: frame,
		needWakeup: needWakeup, copyMode: copyMode,
		stallTimeout: 100, now: func() int64 { return 1 },
	}
	q.initPools(1, rx, tx) // frame 0 unused, so no address is 0
	q.refill()
	f.q = q
	return q, f
}

func (f *fakeKernel) kickTx() error {
	f.kicks++
	if f.stalled {
		return nil
	}
	prod := atomic.LoadUint32(&f.txProd)
	for ; f.txCons != prod; f.txCons++ {
		d := f.txE[f.txCons&uint32(len(f.txE)-1)]
		f.sent = append(f.sent, d)
		f.compE[f.compProd&uint32(len(f.compE)-1)] = d.Addr
		f.compProd++
	}
	atomic.StoreUint32(&f.txCons, f.txCons)
	atomic.StoreUint32(&f.compProd, f.compProd)
	return nil
}

func (f *fakeKernel) wakeRx() error { f.wakes++; return nil }

// deliver receives n frames of length l into the RX ring from FILL.
func (f *fakeKernel) deliver(n int, l uint32) int {
	got := 0
	for ; got < n && f.fillCons != atomic.LoadUint32(&f.fillProd); got++ {
		a := f.fillE[f.fillCons&uint32(len(f.fillE)-1)]
		f.fillCons++
		f.rxE[f.rxProd&uint32(len(f.rxE)-1)] = Desc{Addr: a, Len: l}
		f.rxProd++
	}
	atomic.StoreUint32(&f.fillCons, f.fillCons)
	atomic.StoreUint32(&f.rxProd, f.rxProd)
	return got
}

func TestPoolsNeverMix(t *testing.T) {
	q, f := newFake(t, 8, 8, true, true)
	// The whole RX pool is in FILL at start and nothing of TX.
	if f.fillProd != 8 {
		t.Fatalf("FILL holds %d frames, want the 8 RX frames", f.fillProd)
	}
	for _, a := range f.fillE {
		if a < q.rxLo || a >= q.rxHi {
			t.Fatalf("FILL holds %#x, outside the RX pool [%#x,%#x)", a, q.rxLo, q.rxHi)
		}
	}
	f.deliver(2, 60)
	rx := make([]Desc, 4)
	n, _ := q.Receive(rx)
	if n != 2 {
		t.Fatalf("Receive = %d, want 2", n)
	}
	// A received frame cannot be transmitted, a TX frame cannot be filled.
	rx[0].Len = 60
	if _, err := q.Transmit(rx[:1]); !errors.Is(err, ErrForeignFrame) {
		t.Fatalf("Transmit of an RX frame: %v, want ErrForeignFrame", err)
	}
	tx := make([]Desc, 3)
	if q.NextTx(tx) != 3 {
		t.Fatal("no TX frames")
	}
	if err := q.Release(tx[:1]); !errors.Is(err, ErrForeignFrame) {
		t.Fatalf("Release of a TX frame: %v, want ErrForeignFrame", err)
	}
	tx[0].Len = uint32(q.frameSize) + 1
	if _, err := q.Transmit(tx[:1]); !errors.Is(err, ErrForeignFrame) {
		t.Fatalf("Transmit of an over-long frame: %v, want ErrForeignFrame", err)
	}
	if err := q.Release(rx[:n]); err != nil {
		t.Fatal(err)
	}
	// Everything sent comes back as completions into the TX pool only.
	f.txFlags = needWakeupFlag
	for i := range tx {
		tx[i].Len = 64
	}
	if m, err := q.Transmit(tx); m != 3 || err != nil {
		t.Fatalf("Transmit = %d, %v", m, err)
	}
	if len(q.txFree) != 8 || len(q.rxFree) != 0 {
		t.Fatalf("after completion: %d free TX frames (want 8), %d idle RX frames (want 0, all in FILL)", len(q.txFree), len(q.rxFree))
	}
}

func TestNeedWakeup(t *testing.T) {
	q, f := newFake(t, 8, 8, true, false)
	tx := make([]Desc, 2)
	// The kernel did not ask: no syscall for TX or RX.
	q.NextTx(tx)
	q.Transmit(tx)
	var rx [4]Desc
	q.Receive(rx[:])
	if f.kicks != 0 || f.wakes != 0 {
		t.Fatalf("%d kicks, %d wakes without the flag", f.kicks, f.wakes)
	}
	// It asks: one syscall each.
	f.txFlags, f.fillFlags = needWakeupFlag, needWakeupFlag
	q.Transmit(nil) // nothing to send: still no kick
	if f.kicks != 0 {
		t.Fatal("kicked with nothing submitted")
	}
	n := q.NextTx(tx)
	q.Transmit(tx[:n])
	q.Receive(rx[:])
	if f.kicks != 1 || f.wakes != 1 {
		t.Fatalf("%d kicks, %d wakes with the flag set, want 1 and 1", f.kicks, f.wakes)
	}
	// Without need_wakeup every transmit is a syscall.
	q2, f2 := newFake(t, 8, 8, false, false)
	n = q2.NextTx(tx)
	q2.Transmit(tx[:n])
	if f2.kicks != 1 {
		t.Fatalf("%d kicks without need_wakeup, want 1", f2.kicks)
	}
}

// In copy mode the kernel transmits only from the syscall; a full TX ring
// must still be kicked or nothing ever drains it.
func TestCopyModeKicksFullRing(t *testing.T) {
	for _, copyMode := range []bool{true, false} {
		q, f := newFake(t, 4, 16, true, copyMode)
		f.stalled = true // the kernel consumes nothing yet
		tx := make([]Desc, 16)
		n := q.NextTx(tx)
		for i := range n {
			tx[i].Len = 64
		}
		f.txFlags = 0 // the kernel does not ask to be woken
		// The TX ring holds 16: fill it, then offer one more.
		if m, _ := q.Transmit(tx[:n]); m != 16 {
			t.Fatalf("an empty 16-slot ring took %d", m)
		}
		before := f.kicks
		extra := Desc{Addr: tx[0].Addr, Len: 64} // a TX-pool frame; the ring has no room for it
		if m, _ := q.Transmit([]Desc{extra}); m != 0 {
			t.Fatalf("a full ring took %d", m)
		}
		kicked := f.kicks > before
		if kicked != copyMode {
			t.Fatalf("copy mode %v: full ring kicked = %v", copyMode, kicked)
		}
	}
}

func TestTxWatchdog(t *testing.T) {
	q, f := newFake(t, 4, 8, true, true)
	now := int64(1)
	q.now = func() int64 { return now }
	q.stallTimeout = 100
	f.stalled = true
	tx := make([]Desc, 2)
	n := q.NextTx(tx)
	for i := range n {
		tx[i].Len = 64
	}
	f.txFlags = needWakeupFlag
	if _, err := q.Transmit(tx[:n]); err != nil {
		t.Fatal(err)
	}
	kicks := f.kicks
	q.Complete() // starts the stall clock
	now += 99
	q.Complete()
	if q.stats.TxStalls != 0 || f.kicks != kicks {
		t.Fatal("watchdog fired before its timeout")
	}
	for i := 1; i <= stalledAfter; i++ {
		now += 100
		q.Complete()
		if q.stats.TxStalls != uint64(i) || f.kicks != kicks+i {
			t.Fatalf("period %d: %d stalls, %d kicks", i, q.stats.TxStalls, f.kicks-kicks)
		}
	}
	if _, err := q.Transmit(nil); !errors.Is(err, ErrTxStalled) {
		t.Fatalf("Transmit after %d silent periods: %v, want ErrTxStalled", stalledAfter, err)
	}
	// The kernel recovers: the next kick completes everything and the
	// streak is over.
	f.stalled = false
	now += 100
	q.Complete() // watchdog kick drains the ring
	if q.Complete(); q.Outstanding() != 0 {
		t.Fatalf("%d still outstanding after recovery", q.Outstanding())
	}
	if _, err := q.Transmit(nil); err != nil {
		t.Fatalf("Transmit after recovery: %v", err)
	}
}

func TestBatchCallsDoNotAllocate(t *testing.T) {
	q, f := newFake(t, 64, 64, true, true)
	rx := make([]Desc, 32)
	tx := make([]Desc, 32)
	allocs := testing.AllocsPerRun(100, func() {
		f.deliver(32, 64)
		n, _ := q.Receive(rx)
		q.Release(rx[:n])
		m := q.NextTx(tx)
		for i := range m {
			tx[i].Len = 64
		}
		q.Transmit(tx[:m])
		f.sent = f.sent[:0]
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per receive+transmit round", allocs)
	}
}

func TestRingIndexWraparound(t *testing.T) {
	q, f := newFake(t, 4, 4, false, true)
	// Start every index just below 2^32 so they wrap during the test.
	start := ^uint32(0) - 5
	for _, p := range []*uint32{&f.txProd, &f.txCons, &f.compProd, &f.compCons} {
		*p = start
	}
	q.tx = newRing(&f.txProd, &f.txCons, &f.txFlags, f.txE)
	q.comp = newRing(&f.compProd, &f.compCons, &f.compFlags, f.compE)
	f.txCons, f.compProd = start, start
	tx := make([]Desc, 4)
	for round := range 10 {
		n := q.NextTx(tx)
		if n != 4 {
			t.Fatalf("round %d: %d free TX frames, want 4", round, n)
		}
		for i := range n {
			tx[i].Len = uint32(60 + round)
		}
		if m, err := q.Transmit(tx[:n]); m != n || err != nil {
			t.Fatalf("round %d: Transmit %d, %v", round, m, err)
		}
	}
	if len(f.sent) != 40 || f.sent[39].Len != 69 {
		t.Fatalf("sent %d descriptors, last %+v", len(f.sent), f.sent[len(f.sent)-1])
	}
}
