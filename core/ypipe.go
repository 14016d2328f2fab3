package core

import "sync/atomic"

// chunkLen is the number of messages per ypipe chunk: large enough that the
// allocator is rarely involved, small enough to stay cache friendly.
const chunkLen = 128

type chunk struct {
	items [chunkLen]Msg
	next  *chunk // written by the writer before the flush that publishes it
}

// asleep is the value of ypipe.c while the reader waits for a wake-up.
const asleep = -1

// ypipe is the lock-free single-producer single-consumer queue of the ØMQ
// design. Items are written in place into chunks; the writer publishes a
// batch with one atomic operation (flush), and the reader claims everything
// published with one atomic operation when its cached view runs dry.
//
// c holds the count of flushed items, or asleep. When the reader finds no
// more data it swaps c from its position to asleep; the writer's next flush
// then fails its compare-and-swap, learns the reader is asleep, and returns
// false so the caller sends a wake-up. Readers never spin and writers send
// a wake-up only to a sleeping reader.
type ypipe struct {
	c atomic.Int64

	// Writer side.
	wchunk  *chunk
	wpos    int
	w       int64 // items written
	f       int64 // items up to the last complete message (flushable)
	flushed int64 // value the writer last stored in c

	// Reader side.
	rchunk *chunk
	rpos   int
	r      int64 // items read
	limit  int64 // items known to be flushed

	spare spares[chunk] // recycled chunks, handed reader -> writer
}

func newYpipe() *ypipe {
	c := new(chunk)
	p := &ypipe{wchunk: c, rchunk: c}
	// Start asleep, so the first flush wakes the reader: a new pipe's
	// owner learns of its first message without polling it.
	p.c.Store(asleep)
	return p
}

// write appends m. Items written with incomplete=true are not made visible by
// flush until a complete one follows: multipart messages appear whole.
func (p *ypipe) write(m Msg, incomplete bool) {
	p.wchunk.items[p.wpos] = m
	p.wpos++
	p.w++
	if !incomplete {
		p.f = p.w
	}
	if p.wpos == chunkLen {
		nc := p.spare.get()
		if nc == nil {
			nc = new(chunk)
		}
		nc.next = nil
		p.wchunk.next = nc
		p.wchunk, p.wpos = nc, 0
	}
}

// flush publishes complete items. It returns false when the reader was
// asleep and must be woken by the caller.
func (p *ypipe) flush() bool {
	if p.f == p.flushed {
		return true
	}
	if p.c.CompareAndSwap(p.flushed, p.f) {
		p.flushed = p.f
		return true
	}
	// Only the reader changes c besides us, and only to asleep.
	p.c.Store(p.f)
	p.flushed = p.f
	return false
}

// checkRead reports whether an item is readable. When none is, the reader is
// marked asleep and the next flush will ask for a wake-up.
func (p *ypipe) checkRead() bool {
	if p.r < p.limit {
		return true
	}
	if p.c.CompareAndSwap(p.r, asleep) {
		return false
	}
	v := p.c.Load()
	if v == asleep || v <= p.r {
		return false
	}
	p.limit = v
	return true
}

// read removes the next item; ok is false when there is none.
func (p *ypipe) read() (m Msg, ok bool) {
	if !p.checkRead() {
		return Msg{}, false
	}
	return p.take(), true
}

func (p *ypipe) take() Msg {
	m := p.rchunk.items[p.rpos]
	p.rchunk.items[p.rpos] = Msg{}
	p.rpos++
	p.r++
	if p.rpos == chunkLen {
		old := p.rchunk
		p.rchunk, p.rpos = old.next, 0
		old.next = nil
		p.spare.put(old)
	}
	return m
}
