package core

import (
	"sync"
	"sync/atomic"
)

// spares is a tiny lock-free cache of recycled segments handed from a
// stream's consumer (or, for received messages, whoever closes the last
// one) back to its producer. A few slots cover a producer that runs a
// couple of segments ahead; beyond that segments go to the garbage
// collector.
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
// stream, bounded (128 MiB of outbound blocks, 32 MiB of standard inbound
// segments; larger inbound segments have their own pools), so a burst that
// runs a queue up to
// its high-water mark recycles its memory, as malloc would, instead of
// churning the garbage collector and faulting in fresh pages.
var (
	sharedOut = freeList[oblock]{limit: 2048}
	sharedIn  = freeList[iseg]{limit: 512}
)

// freeList recycles objects between goroutines on different Ps, where
// sync.Pool misses: it keeps what a Put on one P leaves in that P's private
// slot, so a Get on the sending goroutine's P finds nothing and allocates.
// A mutex and a bounded stack are enough for the paths that use it (one
// operation per large or zero-copy message).
type freeList[T any] struct {
	mu    sync.Mutex
	items []*T
	limit int
}

func (f *freeList[T]) get() *T {
	f.mu.Lock()
	n := len(f.items)
	if n == 0 {
		f.mu.Unlock()
		return nil
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
	}
	f.mu.Unlock()
}
