package core

import (
	"sync"
	"sync/atomic"
)

// spares is a tiny lock-free cache of recycled segments handed from a
// stream's consumer (or, for received messages, whoever closes the last
// one) back to its producer. A few slots cover a producer that runs a
// couple of segments ahead; beyond that segments go to a cache shared by
// every stream (sharedOut, sharedIn).
type spares[T any] struct {
	slot [4]atomic.Pointer[T]
}

func (c *spares[T]) get() *T {
	for i := range c.slot {
		if s := c.slot[i].Swap(nil); s != nil {
			return s
		}
	}
	return nil
}

func (c *spares[T]) put(s *T) bool {
	for i := range c.slot {
		if c.slot[i].CompareAndSwap(nil, s) {
			return true
		}
	}
	return false
}

// Segments that overflow a stream's spares go to one cache shared by every
// stream, so a burst that runs a queue up to its high-water mark recycles
// its memory, as malloc would, instead of churning the garbage collector
// and faulting in fresh pages. The cache keeps a bounded amount for good
// (128 MiB of outbound blocks, 32 MiB of standard inbound segments; larger
// inbound segments have their own lists, by size), and what a burst frees
// beyond that for as long as it is in use again (see freeList).
var (
	sharedOut = freeList[oblock]{limit: 2048}
	sharedIn  = freeList[iseg]{limit: 512}
)

// freeList recycles objects between goroutines on different Ps: a mutex
// and a bounded stack, enough for the paths that use it (one operation per
// large or zero-copy message). The stack is what the steady state uses: a
// sync.Pool alone would miss there, keeping what a Put on one P leaves in
// that P's private slot from a Get on the sending goroutine's P, and would
// drop everything at every other garbage collection.
//
// What is put while the stack is full (a queue that ran deeper than the
// stack holds, draining) goes to over, a sync.Pool behind it, instead of to
// the garbage collector: the next burst takes it back (after the stack), so
// a queue that runs up to its high-water mark again and again allocates its
// memory only the first time (the pool itself may allocate a few slices of
// its own per burst, not per object). Nothing in use is the pool's; what
// it holds it keeps across one garbage collection and drops at the second
// one without a Get in between, so the memory of a burst is not held
// forever: a process that bursts once and then idles returns it to the
// garbage collector after two cycles (the runtime forces one at least every
// two minutes), and keeps only the stack's bound.
type freeList[T any] struct {
	mu    sync.Mutex
	items []*T
	limit int
	over  sync.Pool // of *T
}

func (f *freeList[T]) get() *T {
	f.mu.Lock()
	n := len(f.items)
	if n == 0 {
		f.mu.Unlock()
		x, _ := f.over.Get().(*T)
		return x
	}
	x := f.items[n-1]
	f.items[n-1] = nil
	f.items = f.items[:n-1]
	f.mu.Unlock()
	return x
}

func (f *freeList[T]) put(x *T) {
	f.mu.Lock()
	if len(f.items) < f.limit {
		f.items = append(f.items, x)
		f.mu.Unlock()
		return
	}
	f.mu.Unlock()
	f.over.Put(x)
}
