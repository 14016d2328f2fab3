package core

import (
	"runtime"
	"testing"
)

// TestFreeListKeepsBurst: what a burst puts back beyond the list's bound
// comes back to the next burst instead of going to the garbage collector,
// and is released once two garbage collections pass without it being taken
// (the bound stays).
func TestFreeListKeepsBurst(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	// One P: a sync.Pool keeps one item per P where a Get on another P
	// does not look, and the test would depend on where it runs.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	const limit, burst = 4, 64
	f := freeList[int]{limit: limit}
	put := make(map[*int]bool)
	for range burst {
		x := new(int)
		put[x] = true
		f.put(x)
	}
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
	// A burst, then idling through two garbage collections: only the
	// bound is kept.
	for range burst {
		f.put(new(int))
	}
	runtime.GC()
	runtime.GC()
	n := 0
	for f.get() != nil {
		n++
	}
	if n != limit {
		t.Errorf("after two garbage collections the list gave back %d items, want its bound %d", n, limit)
	}
}
