package xdp

import "sync/atomic"

// needWakeupFlag is XDP_RING_NEED_WAKEUP, the bit the kernel sets in a
// ring's flags word when it will not look at the ring until woken.
const needWakeupFlag = 1

// ring is one single-producer single-consumer ring shared with the kernel.
// This side either produces (FILL, TX) or consumes (RX, COMPLETION). The
// kernel's index is read with an atomic load only when the cached copy does
// not already allow the operation; this side's index is published with an
// atomic store after the entries are written, which orders the entry
// writes before it (Go's atomics are sequentially consistent).
type ring[T uint64 | Desc] struct {
	producer, consumer, flags *uint32
	entries                   []T
	mask                      uint32
	cachedProd, cachedCons    uint32
}

func newRing[T uint64 | Desc](producer, consumer, flags *uint32, entries []T) ring[T] {
	r := ring[T]{producer: producer, consumer: consumer, flags: flags, entries: entries, mask: uint32(len(entries) - 1)}
	r.cachedProd = atomic.LoadUint32(producer)
	r.cachedCons = atomic.LoadUint32(consumer)
	return r
}

func (r *ring[T]) size() uint32 { return r.mask + 1 }

// free reports how many entries the producer may write, refreshing the
// consumer index only when the cached one shows fewer than want.
func (r *ring[T]) free(want uint32) uint32 {
	n := r.size() - (r.cachedProd - r.cachedCons)
	if n >= want {
		return n
	}
	r.cachedCons = atomic.LoadUint32(r.consumer)
	return r.size() - (r.cachedProd - r.cachedCons)
}

// submit publishes n entries written after cachedProd.
func (r *ring[T]) submit(n uint32) {
	r.cachedProd += n
	atomic.StoreUint32(r.producer, r.cachedProd)
}

// avail reports how many entries (at most max) the consumer may read,
// refreshing the producer index only when the cached copy shows none.
func (r *ring[T]) avail(max uint32) uint32 {
	n := r.cachedProd - r.cachedCons
	if n == 0 {
		r.cachedProd = atomic.LoadUint32(r.producer)
		n = r.cachedProd - r.cachedCons
	}
	return min(n, max)
}

// release hands n read entries back to the producer.
func (r *ring[T]) release(n uint32) {
	r.cachedCons += n
	atomic.StoreUint32(r.consumer, r.cachedCons)
}

func (r *ring[T]) needsWakeup() bool {
	return atomic.LoadUint32(r.flags)&needWakeupFlag != 0
}
