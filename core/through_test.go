package core

import (
	"bytes"
	"context"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/zmqx/zmqx/internal/zmtp"
)

// fakeThrough is a connection that takes a chosen share of each write
// through: nothing, a few bytes (inside the earlier frames or the frame
// header), part of the body, or all of it. It appends what it takes to the
// same byte stream the simulated writer goroutine appends to.
type fakeThrough struct {
	rng     *rand.Rand
	out     *[]byte
	calls   int
	partial int // calls that took some but not all
	whole   int // calls that took all
}

func (f *fakeThrough) WriteThrough(iov [][]byte, wait bool) int {
	f.calls++
	total := 0
	for _, b := range iov {
		total += len(b)
	}
	// The shares cycle, so that any three calls see nothing, some and all
	// taken (a loaded host may allow only a few write-throughs).
	var k int
	switch f.calls % 5 {
	case 1:
		k = 0
	case 2:
		k = 1 + f.rng.IntN(max(min(total, 20)-1, 1)) // the earlier frames or the header
	case 3:
		k = 1 + f.rng.IntN(max(total-1, 1))
	default:
		k = total
	}
	k = min(k, total)
	switch {
	case k == total:
		f.whole++
	case k > 0:
		f.partial++
	}
	left := k
	for _, b := range iov {
		n := min(left, len(b))
		*f.out = append(*f.out, b[:n]...)
		left -= n
	}
	return k
}

// TestOutboundWriteThrough sends messages whose last frame goes through a
// connection from the sender (writeThrough) while a writer goroutine, run
// as the stream engine runs it (Resume, Gather, Advance, Sleep), writes
// out everything else, in random pieces: the bytes that reach the
// connection must be the messages' ZMTP encoding in order, whatever share
// each write-through took, and every message must be counted once.
func TestOutboundWriteThrough(t *testing.T) {
	const msgs = 2000
	rng := rand.New(rand.NewPCG(11, 12))
	space := newSignal()
	o := newOutbound(50, space)
	var out []byte // the connection: written by whoever owns the stream
	ft := &fakeThrough{rng: rand.New(rand.NewPCG(13, 14)), out: &out}
	var want []byte
	type frame struct {
		body    []byte
		through bool
	}
	var list [][]frame
	for i := range msgs {
		nf := 1 + rng.IntN(3)
		var m []frame
		for f := range nf {
			b := msgBody(rng, i, f)
			var flags byte
			last := f == nf-1
			if !last {
				flags = zmtp.FlagMore
			}
			through := last && rng.IntN(2) == 0
			if through {
				// What writeThrough writes: always the long header.
				want = append(want, flags|zmtp.FlagLong, 0, 0, 0, 0, 0, 0, 0, 0)
				for k := range 8 {
					want[len(want)-1-k] = byte(len(b) >> (8 * k))
				}
				want = append(want, b...)
			} else {
				want = zmtp.AppendFrame(want, flags, b)
			}
			m = append(m, frame{b, through})
		}
		list = append(list, m)
	}
	bg := context.Background()
	finished := make(chan struct{})
	done := make(chan struct{})
	go func() { // the engine's writer, as writeLoop and awaitOutput run it
		defer close(done)
		r := rand.New(rand.NewPCG(7, 8))
		o.Resume()
		for {
			iov := o.Gather(nil, 1+r.IntN(100000))
			if len(iov) == 0 {
				if len(out) == len(want) {
					return
				}
				if o.Sleep() {
					select {
					case <-o.Wake():
					case <-finished:
					}
				}
				o.Resume()
				continue
			}
			out = consumeSome(o, iov, r, out)
		}
	}()
	throughs := 0
	for _, m := range list {
		for !o.CheckWrite() {
			<-space
		}
		for f, fr := range m {
			last := f == len(m)-1
			if fr.through {
				throughs++
				if throughs%10 == 0 {
					// A loaded host may keep the writer busy past every
					// ThroughWait: each tenth one finds it idle for sure.
					awaitWriterIdle(o)
				}
			}
			if fr.through && o.writeThrough(ft, fr.body, bg) {
				continue // published
			}
			if fr.through {
				// The writer was busy: encoded as writeThrough would have.
				sp := o.Reserve(9)
				sp[0] = zmtp.FlagLong
				for k := range 8 {
					sp[8-k] = byte(len(fr.body) >> (8 * k))
				}
				o.Commit(9)
				appendBytes(o, fr.body)
			} else {
				mm := NewMsg(fr.body)
				AppendFrame(o, &mm, !last)
			}
			if last {
				o.EndMessage()
			}
		}
	}
	close(finished)
	<-done
	if !bytes.Equal(out, want) {
		i := 0
		for i < len(out) && i < len(want) && out[i] == want[i] {
			i++
		}
		t.Fatalf("stream differs at byte %d (%d bytes written, want %d)", i, len(out), len(want))
	}
	if o.done != msgs || atomic.LoadInt64(&o.acked) != msgs || o.Pending() != 0 {
		t.Fatalf("%d messages counted, %d acknowledged, %d pending, want %d, %d, 0",
			o.done, atomic.LoadInt64(&o.acked), o.Pending(), msgs, msgs)
	}
	if ft.calls < throughs/10 || ft.whole == 0 || ft.partial == 0 || ft.calls == ft.whole+ft.partial {
		t.Fatalf("write-throughs: %d, %d whole, %d partial: every case must occur", ft.calls, ft.whole, ft.partial)
	}
	t.Logf("%d write-throughs (%d whole, %d partial, %d took nothing)", ft.calls, ft.whole, ft.partial, ft.calls-ft.whole-ft.partial)
}

// awaitWriterIdle waits, with no time limit, until the engine's writer has
// written out everything published and waits for more (Sleep), then leaves
// the stream to nobody: the sender's next TryOwn succeeds, as nothing else
// publishes meanwhile.
func awaitWriterIdle(o *Outbound) {
	o.idleWait.Store(true)
	defer o.idleWait.Store(false)
	for {
		if o.TryOwn() {
			idle := atomic.LoadInt64(&o.committed) == o.r
			o.Disown() // to nobody when idle, else back to the writer
			if idle {
				return
			}
		}
		<-o.idle // Sleep notifies it while idleWait is set
	}
}

// halfThrough takes half of every write-through, dropping the bytes.
type halfThrough struct{}

func (halfThrough) WriteThrough(iov [][]byte, wait bool) int {
	n := 0
	for _, b := range iov {
		n += len(b)
	}
	return n / 2
}

// TestWriteThroughAllocatesNothing: a large frame written through an idle
// stream, half taken and half copied into the stream for the writer,
// allocates nothing once the stream's memory has been recycled once.
func TestWriteThroughAllocatesNothing(t *testing.T) {
	o := newOutbound(0, newSignal())
	body := make([]byte, ThroughMin)
	ctx := context.Background()
	var iov [][]byte
	writer := func() { // the engine's writer: woken, writes everything, sleeps
		select {
		case <-o.Wake():
		default:
		}
		o.Resume()
		for {
			iov = o.Gather(iov[:0], 1<<20)
			if len(iov) == 0 {
				break
			}
			n := 0
			for _, b := range iov {
				n += len(b)
			}
			o.Advance(n)
		}
		if !o.Sleep() {
			t.Fatal("the writer found more to write")
		}
	}
	writer()
	allocs := testing.AllocsPerRun(100, func() {
		if !o.writeThrough(halfThrough{}, body, ctx) {
			t.Fatal("an idle stream was not written through")
		}
		writer()
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per large frame written through, want 0", allocs)
	}
	if o.Pending() != 0 {
		t.Fatalf("%d messages pending after the writer wrote all", o.Pending())
	}
}

// TestThroughWaitsOnlyWhereSendBlocks: a large frame's write-through may
// wait (for the writer, for room) under the Send's context on sockets whose
// Send blocks anyway, and never on those that drop at the HWM instead.
func TestThroughWaitsOnlyWhereSendBlocks(t *testing.T) {
	rt := NewRuntime(Config{Engine: nopEngine{}})
	defer rt.Close()
	ctx := context.Background()
	for _, typ := range []Type{PAIR, PUB, REQ, REP, DEALER, ROUTER, PUSH, XPUB} {
		s, err := rt.Socket(typ, Options{})
		if err != nil {
			t.Fatal(err)
		}
		s.mu.Lock()
		if got := s.throughCtx(); got != nil {
			t.Errorf("%v outside a Send: a context to wait under", typ)
		}
		s.sendCtx = ctx
		got := s.throughCtx()
		s.sendCtx = nil
		s.mu.Unlock()
		s.Close()
		neverBlocks := typ == PUB || typ == XPUB || typ == ROUTER
		if neverBlocks && got != nil {
			t.Errorf("%v: a large frame may wait, but its Send never blocks", typ)
		}
		if !neverBlocks && got != ctx {
			t.Errorf("%v: a large frame does not wait under the Send's context", typ)
		}
	}
}
