package stream_test

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/zmqx/zmqx/core"
	"github.com/zmqx/zmqx/engine/stream"
	"github.com/zmqx/zmqx/engine/tcp"
)

// throughBody is the last frame of message seq from sender s: its first 16
// bytes say whose it is, the rest follows from that.
func throughBody(s, seq, n int) []byte {
	b := make([]byte, max(n, 16))
	binary.BigEndian.PutUint64(b, uint64(s))
	binary.BigEndian.PutUint64(b[8:], uint64(seq))
	for k := 16; k < len(b); k++ {
		b[k] = byte(k*31 + seq*7 + s)
	}
	return b
}

// throughSizes mixes frames below and above core.ThroughMin, and frames
// larger than one batch of the writer goroutine (core.DefaultBatchSize).
var throughSizes = []int{100, 20 << 10, core.ThroughMin, 70 << 10, 3 << 20, 1 << 20}

// TestLargeFramesWriteThrough sends interleaved small and large messages,
// some with a small first frame before the large one, from several
// goroutines on one PUSH socket, first while the PULL end does not read
// (small socket buffers and receive HWM: write-throughs are cut short, the
// rest is copied, later frames are queued behind the busy writer) and then
// while it reads (write-throughs from an idle connection). The receiver
// must get every message whole, each sender's in order, every byte right.
// Then messages go one at a time; a write larger than the writer goroutine
// ever makes (it gathers up to a batch) shows that frames did go out from
// the sender's memory.
func TestLargeFramesWriteThrough(t *testing.T) {
	ctx := testCtx(t)
	var bigWrites atomic.Int64
	e := stream.Engine{Writes: func(n int) {
		if n > core.DefaultBatchSize+128<<10 {
			bigWrites.Add(1)
		}
	}}
	rt := core.NewRuntime(core.Config{Engine: e, Transports: map[string]core.Transport{"tcp": tcp.TCP{}}})
	t.Cleanup(func() { rt.Close() })
	pull := socket(t, runtime(t, nil, nil), core.PULL, core.Options{RecvHWM: 1, RecvBuffer: 64 << 10})
	ep := bind(t, pull)
	events := make(chan core.Event, 16)
	push := socket(t, rt, core.PUSH, core.Options{SendBuffer: 64 << 10, Events: events})
	connect(t, push, ep)
	for e := range events {
		if e.Type == core.EventHandshaken {
			break
		}
	}

	const senders, perPhase = 3, 12
	send := func(phase int) error {
		errs := make(chan error, senders)
		var wg sync.WaitGroup
		for s := range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perPhase {
					seq := phase*perPhase + i
					body := throughBody(s, seq, throughSizes[(seq+s)%len(throughSizes)])
					frames := [][]byte{body}
					if seq%3 == 1 {
						frames = [][]byte{[]byte("envelope"), body}
					}
					if err := push.SendBytes(ctx, frames); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		return <-errs
	}
	next := make([]int, senders) // each sender's next seq
	recv := func(n int) error {
		for range n {
			m, err := pull.Recv(ctx, nil)
			if err != nil {
				return err
			}
			last := m[len(m)-1].Bytes()
			if len(last) < 16 {
				return fmt.Errorf("message of %d frames, last of %d bytes", len(m), len(last))
			}
			s, seq := int(binary.BigEndian.Uint64(last)), int(binary.BigEndian.Uint64(last[8:]))
			if s >= senders || seq != next[s] {
				return fmt.Errorf("message %d from sender %d, want %d", seq, s, next[s])
			}
			next[s]++
			want := throughBody(s, seq, throughSizes[(seq+s)%len(throughSizes)])
			wantFrames := 1
			if seq%3 == 1 {
				wantFrames = 2
				if string(m[0].Bytes()) != "envelope" {
					return fmt.Errorf("message %d from sender %d: first frame %q", seq, s, m[0].Bytes())
				}
			}
			if len(m) != wantFrames || string(last) != string(want) {
				return fmt.Errorf("message %d from sender %d: %d frames, last of %d bytes, want %d frames of which the last has %d",
					seq, s, len(m), len(last), wantFrames, len(want))
			}
			for i := range m {
				m[i].Close()
			}
		}
		return nil
	}

	// Phase 0: nobody reads until every send has returned.
	if err := send(0); err != nil {
		t.Fatal(err)
	}
	if err := recv(senders * perPhase); err != nil {
		t.Fatal(err)
	}
	// Phase 1: the receiver keeps up.
	got := make(chan error, 1)
	go func() { got <- recv(senders * perPhase) }()
	if err := send(1); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	// Phase 2: one message at a time, the next sent once the last has
	// arrived, so the writer has nothing queued: large frames go out from
	// the sender's memory (a writer that has not gone idle yet within the
	// wait only defers that to the next message).
	for i := 0; bigWrites.Load() == 0 && i < 50; i++ {
		seq := next[0]
		if err := push.SendBytes(ctx, [][]byte{throughBody(0, seq, 3<<20)}); err != nil {
			t.Fatal(err)
		}
		m, err := pull.Recv(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if string(m[0].Bytes()) != string(throughBody(0, seq, 3<<20)) {
			t.Fatalf("message %d of phase 2 differs", i)
		}
		next[0]++
		m[0].Close()
	}
	if bigWrites.Load() == 0 {
		t.Fatal("no write larger than a batch: no frame was written from the sender's memory")
	}
}
