package core

import "sync/atomic"

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

func (c *spares[T]) put(s *T) {
	for i := range c.slot {
		if c.slot[i].CompareAndSwap(nil, s) {
			return
		}
	}
}
