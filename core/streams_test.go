package core

import (
	"bytes"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/zmqx/zmqx/internal/zmtp"
)

// msgBody is the payload of message i, frame f: its size varies from empty
// to several segments, and its bytes say where they belong.
func msgBody(rng *rand.Rand, i, f int) []byte {
	var n int
	switch rng.IntN(4) {
	case 0:
		n = rng.IntN(34)
	case 1:
		n = rng.IntN(300)
	case 2:
		n = rng.IntN(5000)
	default:
		n = rng.IntN(200 << 10)
	}
	b := make([]byte, n)
	for k := range b {
		b[k] = byte(i*7 + f*13 + k)
	}
	return b
}

// TestInboundStream feeds a random ZMTP byte stream into an Inbound in
// random read sizes from one goroutine and takes messages from another,
// holding some received frames for a while (in-place payloads keep their
// segment out of reuse), and checks every byte.
func TestInboundStream(t *testing.T) {
	const msgs = 3000
	rng := rand.New(rand.NewPCG(1, 2))
	var wire []byte
	var want [][][]byte
	for i := range msgs {
		nf := 1 + rng.IntN(3)
		var m [][]byte
		for f := range nf {
			b := msgBody(rng, i, f)
			m = append(m, b)
			var flags byte
			if f < nf-1 {
				flags = zmtp.FlagMore
			}
			wire = zmtp.AppendFrame(wire, flags, b)
		}
		if i%50 == 0 { // a PING the consumer must skip
			wire = zmtp.AppendCommand(wire, zmtp.CmdPing, zmtp.AppendPing(nil, 0, nil)[1+len(zmtp.CmdPing):])
		}
		want = append(want, m)
	}
	wake := newSignal()
	in := newInbound(100, 0, wake)
	pings := 0
	in.SetCommandHandler(func([]byte) error { pings++; return nil })
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r := rand.New(rand.NewPCG(3, 4))
		for len(wire) > 0 {
			for in.Full() {
				<-in.SpaceSignal()
			}
			sp := in.Space()
			k := min(len(sp), len(wire), 1+r.IntN(70000))
			copy(sp, wire[:k])
			wire = wire[k:]
			if _, err := in.Fill(k); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	var held []Msg
	for i := 0; i < msgs; i++ {
		for f := 0; ; f++ {
			var m Msg
			for !in.next(&m) {
				<-wake
			}
			if !bytes.Equal(m.Bytes(), want[i][f]) {
				t.Fatalf("message %d frame %d: %d bytes, want %d", i, f, m.Len(), len(want[i][f]))
			}
			if m.More != (f < len(want[i])-1) {
				t.Fatalf("message %d frame %d: More %v", i, f, m.More)
			}
			held = append(held, m)
			if !m.More {
				break
			}
		}
		if rng.IntN(10) == 0 || len(held) > 20 {
			for j := range held {
				// Still intact while held: the segment is not reused.
				if b := held[j].Bytes(); len(b) > 0 && b[len(b)-1] == 0 && b[0] == 0 && len(b) > 1<<20 {
					t.Fatal("impossible")
				}
				held[j].Close()
			}
			held = held[:0]
		}
	}
	wg.Wait()
	if pings == 0 {
		t.Fatal("no PING reached the command handler")
	}
}

// TestOutboundStream writes messages with copied, referenced and zero-copy
// frames into an Outbound from one goroutine and drains it from another in
// random write sizes, checking the bytes, the message count and that every
// zero-copy payload is released exactly once.
func TestOutboundStream(t *testing.T) {
	const msgs = 3000
	rng := rand.New(rand.NewPCG(5, 6))
	space := newSignal()
	o := newOutbound(50, space)
	msgsList, want, zc, released := outboundMsgs(rng, msgs)
	done := make(chan []byte)
	go func() {
		r := rand.New(rand.NewPCG(7, 8))
		var got []byte
		for len(got) < len(want) {
			iov := o.Gather(nil, 1+r.IntN(100000))
			if len(iov) == 0 {
				if o.Sleep() {
					<-o.Wake()
				}
				continue
			}
			got = consumeSome(o, iov, r, got)
		}
		done <- got
	}()
	for _, m := range msgsList {
		for !o.CheckWrite() {
			<-space
		}
		for f := range m {
			AppendFrame(o, &m[f], m[f].More)
		}
		o.EndMessage()
	}
	got := <-done
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && got[i] == want[i] {
			i++
		}
		t.Fatalf("stream differs at byte %d of %d", i, len(want))
	}
	if o.done != msgs || atomic.LoadInt64(&o.acked) != msgs {
		t.Fatalf("%d messages counted, %d acknowledged, want %d", o.done, atomic.LoadInt64(&o.acked), msgs)
	}
	if n := released.Load(); n != int64(zc) {
		t.Fatalf("%d zero-copy payloads released, want %d", n, zc)
	}
}

// outboundMsgs makes n messages of 1-3 frames of random sizes (msgBody),
// a third of the frames zero-copy, and the stream they encode to; released
// counts the zero-copy payloads released.
func outboundMsgs(rng *rand.Rand, n int) (msgs [][]Msg, wire []byte, zc int, released *atomic.Int64) {
	released = new(atomic.Int64)
	for i := range n {
		nf := 1 + rng.IntN(3)
		var m []Msg
		for f := range nf {
			b := msgBody(rng, i, f)
			var flags byte
			if f < nf-1 {
				flags = zmtp.FlagMore
			}
			wire = zmtp.AppendFrame(wire, flags, b)
			if rng.IntN(3) == 0 {
				zc++
				m = append(m, NewZeroCopyMsg(b, func() { released.Add(1) }))
			} else {
				m = append(m, NewMsg(b))
			}
			m[f].More = f < nf-1
		}
		msgs = append(msgs, m)
	}
	return msgs, wire, zc, released
}

// TestSerialOutboundStream is TestOutboundStream with the producer and the
// consumer taking turns (serial, as under an invoker), where a write that
// takes everything published is acknowledged without walking the frames:
// small messages (that path), large and zero-copy ones (the walk) and
// partial writes mixed, with the bytes, the counts and the releases checked.
func TestSerialOutboundStream(t *testing.T) {
	const msgs = 1000
	rng := rand.New(rand.NewPCG(9, 10))
	o := newOutbound(0, newSignal())
	o.serial = true
	msgsList, want, zc, released := outboundMsgs(rng, msgs)
	var got []byte
	for i, m := range msgsList {
		for f := range m {
			AppendFrame(o, &m[f], m[f].More)
		}
		o.EndMessage()
		if rng.IntN(4) == 0 && i < msgs-1 {
			continue // let messages pile up
		}
		for o.Available() > 0 {
			iov := o.Gather(nil, 1<<20)
			if rng.IntN(3) == 0 {
				got = consumeSome(o, iov, rng, got)
				continue
			}
			n := 0
			for _, b := range iov {
				got = append(got, b...)
				n += len(b)
			}
			o.Advance(n)
		}
		if o.Pending() != 0 || o.done != int64(i+1) {
			t.Fatalf("after message %d: %d pending, %d counted", i, o.Pending(), o.done)
		}
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("stream of %d bytes differs from the %d written", len(got), len(want))
	}
	if n := released.Load(); n != int64(zc) {
		t.Fatalf("%d zero-copy payloads released, want %d", n, zc)
	}
}

// consumeSome is a writer that the connection takes only part of: it
// appends a random share of what iov holds (in order, up to 80 000 bytes a
// slice) to out and advances o past it.
func consumeSome(o *Outbound, iov [][]byte, r *rand.Rand, out []byte) []byte {
	n := 0
	for _, b := range iov {
		k := min(len(b), 1+r.IntN(80000))
		out = append(out, b[:k]...)
		n += k
		if k < len(b) {
			break
		}
	}
	o.Advance(n)
	return out
}

// TestSerialInboundSignalsOnlyPublishers checks the wake-up protocol while
// the socket's caller drives the engine (serial): a consumer that found
// nothing is not marked asleep, so the engine's publish does not signal
// the socket, except on a PUB or XPUB, whose sends take subscriptions in
// when the signal fires. Outside serial mode the signal always fires.
func TestSerialInboundSignalsOnlyPublishers(t *testing.T) {
	frame := zmtp.AppendFrame(nil, 0, []byte("hello"))
	for _, tc := range []struct {
		name          string
		serial, subIn bool
		signal        bool
	}{
		{"worker", false, false, true},
		{"invoker", true, false, false},
		{"invoker publisher", true, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wake := newSignal()
			in := newInbound(100, 0, wake)
			in.serial, in.subIn = tc.serial, tc.subIn
			var m Msg
			if in.next(&m) {
				t.Fatal("a frame from an empty stream")
			}
			k := copy(in.Space(), frame)
			if ok, err := in.Fill(k); !ok || err != nil {
				t.Fatalf("Fill: %v %v", ok, err)
			}
			select {
			case <-wake:
				if !tc.signal {
					t.Error("the publish signalled a serial consumer")
				}
			default:
				if tc.signal {
					t.Error("the publish did not signal the consumer that found nothing")
				}
			}
			if !in.next(&m) || string(m.Bytes()) != "hello" {
				t.Fatalf("got %q", m.Bytes())
			}
		})
	}
}

// TestSerialStreamsReuseMemory checks that under an invoker (serial) both
// streams go back to the start of their segment once everything in it has
// been consumed, so a round trip keeps using the same memory, and that they
// do not while anything still needs the bytes: a partial write, an unread
// message, a received Msg that points into the segment.
func TestSerialStreamsReuseMemory(t *testing.T) {
	t.Run("outbound", func(t *testing.T) {
		o := newOutbound(0, newSignal())
		o.serial = true
		first := &o.Reserve(2)[0]
		send := func() []byte {
			body := bytes.Repeat([]byte{'x'}, 64)
			m := NewMsg(body)
			AppendFrame(o, &m, false)
			o.EndMessage()
			var out []byte
			for _, b := range o.Gather(nil, 1<<20) {
				out = append(out, b...)
			}
			return out
		}
		for i := range 3 {
			out := send()
			o.Advance(len(out))
			if at := &o.Reserve(2)[0]; at != first {
				t.Fatalf("message %d: the next one is not encoded at the segment's start", i)
			}
		}
		out := send()
		o.Advance(len(out) - 1) // the connection took all but a byte
		if at := &o.Reserve(2)[0]; at == first {
			t.Fatal("a partly written stream went back to its start")
		}
		if iov := o.Gather(nil, 1<<20); len(iov) != 1 || len(iov[0]) != 1 || iov[0][0] != 'x' {
			t.Fatalf("the unwritten byte is gone: %q", iov)
		}
		o.Advance(1)
		send()
		if at := &o.Reserve(2)[0]; at == first {
			t.Fatal("a stream with a message not yet written went back to its start")
		}
	})
	t.Run("inbound", func(t *testing.T) {
		in := newInbound(100, 0, newSignal())
		in.serial = true
		first := &in.Space()[0]
		body := func(c byte) []byte { return bytes.Repeat([]byte{c}, InlineMax+31) } // handed out in place
		put := func(c byte) {
			frame := zmtp.AppendFrame(nil, 0, body(c))
			if ok, err := in.Fill(copy(in.Space(), frame)); !ok || err != nil {
				t.Fatalf("Fill: %v %v", ok, err)
			}
		}
		var m Msg
		for i := range 3 {
			put('a')
			if !in.next(&m) || !bytes.Equal(m.Bytes(), body('a')) {
				t.Fatalf("message %d: got %q", i, m.Bytes())
			}
			m.Close()
			if at := &in.Space()[0]; at != first {
				t.Fatalf("message %d: the next read does not go to the segment's start", i)
			}
		}
		put('b')
		if !in.next(&m) {
			t.Fatal("no message")
		}
		if at := &in.Space()[0]; at == first {
			t.Fatal("the stream went back to its start under a Msg that points into it")
		}
		put('c')
		if !bytes.Equal(m.Bytes(), body('b')) {
			t.Fatalf("a held message changed to %q", m.Bytes())
		}
		m.Close()
		if at := &in.Space()[0]; at == first {
			t.Fatal("the stream went back to its start under an unread message")
		}
		if !in.next(&m) || !bytes.Equal(m.Bytes(), body('c')) {
			t.Fatalf("got %q", m.Bytes())
		}
		m.Close()
		if at := &in.Space()[0]; at != first {
			t.Fatal("the drained stream does not go back to its start")
		}
	})
}
