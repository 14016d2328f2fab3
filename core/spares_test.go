package core

import (
	"runtime"
	"testing"
)

// TestFreeListKeepsBurst: what a burst puts back beyond the list's limit
// comes back to the next burst instead of going to the garbage collector;
// what then stays unused through a whole period between two trims is
// released, down to the limit.
func TestFreeListKeepsBurst(t *testing.T) {
	const limit, burst = 4, 64
	f := freeList[int]{limit: limit}
	put := make(map[*int]bool)
	for range burst {
		x := new(int)
		put[x] = true
		f.put(x)
	}
	f.trim() // the first period held the burst only at its end: nothing goes
	for i := range burst {
		x := f.get()
		if x == nil {
			t.Fatalf("get %d of %d after a burst of %d: nothing (the list keeps %d)", i+1, burst, burst, limit)
		}
		if !put[x] {
			t.Fatalf("get %d: an item that was not put, or twice", i+1)
		}
		delete(put, x)
	}
	if x := f.get(); x != nil {
		t.Fatal("get after every item came back: not nil")
	}
	// A burst that comes back, then a period with only a few taken and
	// returned: what stayed all through it goes, down to the limit.
	for range burst {
		f.put(new(int))
	}
	f.trim() // ends the period of the burst
	if n := len(f.items); n != burst {
		t.Fatalf("the period of the burst ended with %d items, want all %d", n, burst)
	}
	var used [3]*int
	for i := range used {
		used[i] = f.get()
	}
	for _, x := range used {
		f.put(x)
	}
	f.trim()
	if n := len(f.items); n != burst-(burst-3-limit) {
		t.Fatalf("after an idle period the list holds %d items, want %d (the limit and the 3 in use)", n, limit+3)
	}
	f.trim()
	if n := len(f.items); n != limit {
		t.Fatalf("after two idle periods the list holds %d items, want its limit %d", n, limit)
	}
	if c := cap(f.items); c > 2*limit {
		t.Errorf("after two idle periods the list's stack has room for %d items, want at most %d", c, 2*limit)
	}
}

// TestFreeListTrimmedByGC: the lists that held more than their limit are
// trimmed after garbage collections, with nobody using them (an idle
// process that once had a burst gives the memory back).
func TestFreeListTrimmedByGC(t *testing.T) {
	const limit, burst = 2, 32
	f := &freeList[int]{limit: limit}
	for range burst {
		f.put(new(int))
	}
	ran := make(chan struct{}, 1)
	done := func() {
		select {
		case ran <- struct{}{}:
		default:
		}
	}
	trims.done.Store(&done)
	defer trims.done.Store(nil)
	for {
		runtime.GC()
		<-ran // a trimAll after this collection or an earlier one
		f.mu.Lock()
		n := len(f.items)
		f.mu.Unlock()
		if n == limit {
			break
		}
	}
}
