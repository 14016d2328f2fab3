package core

import (
	"runtime"
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
// beyond that for as long as it is used again (see freeList).
var (
	sharedOut = freeList[oblock]{limit: 2048}
	sharedIn  = freeList[iseg]{limit: 512}
)

// freeList recycles objects between goroutines on different Ps, where
// sync.Pool misses (it keeps what a Put on one P leaves in that P's private
// slot from a Get on another P): a mutex and a stack, enough for the paths
// that use it (one operation per large or zero-copy message).
//
// The stack keeps limit objects for good, and takes whatever is put beyond
// that too: a queue that ran deeper than limit objects (a PUSH queue of
// 256 KiB messages at its HWM of 1 000 holds about 4 000 64 KiB blocks)
// gives all of its memory back when it drains, and the next burst takes it
// again instead of allocating. What follows demand is not kept forever:
// after every garbage collection (trimAll) the list releases, down to
// limit, the objects it held all through the cycle before, untouched. So a
// process that bursts once and then idles returns the burst's surplus to
// the garbage collector within two cycles (the runtime forces one at least
// every two minutes), as sync.Pool would, and keeps limit objects; one that
// bursts again and again keeps what its bursts need.
type freeList[T any] struct {
	mu    sync.Mutex
	items []*T
	limit int
	low   int  // fewest items held since the last trim
	trims bool // registered with trimAll (once it held more than limit)
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
	f.low = min(f.low, n-1)
	f.mu.Unlock()
	return x
}

func (f *freeList[T]) put(x *T) {
	f.mu.Lock()
	if len(f.items) >= f.limit && !f.trims {
		f.trims = true
		trimmed(f)
	}
	f.items = append(f.items, x)
	f.mu.Unlock()
}

// trim releases the items beyond limit that the list held all through the
// time since the last trim (the fewest it held, low: the rest came and
// went), and starts the next such period.
func (f *freeList[T]) trim() {
	f.mu.Lock()
	n := len(f.items)
	if drop := min(f.low, n) - f.limit; drop > 0 {
		n -= drop
		clear(f.items[n:])
		f.items = f.items[:n]
		if c := max(n, f.limit); cap(f.items) > 2*c {
			f.items = append(make([]*T, 0, c), f.items...)
		}
	}
	f.low = n
	f.mu.Unlock()
}

// The free lists that ever held more than their limit, trimmed after every
// garbage collection by a cleanup on an object made for it (gcTick), which
// makes the next one.
var trims struct {
	mu    sync.Mutex
	lists []interface{ trim() }
	done  atomic.Pointer[func()] // tests: called after each trimAll
}

type gcTick struct{ _ *byte } // a pointer: not batched by the tiny allocator

func trimmed(l interface{ trim() }) {
	trims.mu.Lock()
	trims.lists = append(trims.lists, l)
	first := len(trims.lists) == 1
	trims.mu.Unlock()
	if first {
		armTrim()
	}
}

func armTrim() {
	runtime.AddCleanup(&gcTick{}, func(struct{}) {
		trimAll()
		armTrim()
	}, struct{}{})
}

// trimAll trims every list that held more than its limit; the lists'
// locks are taken outside trims.mu (put registers under its list's lock).
func trimAll() {
	trims.mu.Lock()
	lists := trims.lists
	trims.mu.Unlock()
	for _, l := range lists {
		l.trim()
	}
	if f := trims.done.Load(); f != nil {
		(*f)()
	}
}
