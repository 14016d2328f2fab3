package core

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

func TestMsgKinds(t *testing.T) {
	small := NewMsg(bytes.Repeat([]byte("s"), InlineMax))
	if !small.Inline() || small.Len() != InlineMax {
		t.Fatalf("%d-byte message not inline", InlineMax)
	}
	big := NewMsg(bytes.Repeat([]byte("x"), InlineMax+1))
	if big.Inline() || big.ref == nil || big.Len() != InlineMax+1 {
		t.Fatalf("%d-byte message not pooled", InlineMax+1)
	}
	var released atomic.Int32
	zc := NewZeroCopyMsg([]byte("caller owned"), func() { released.Add(1) })
	copies := []Msg{zc.Share(), zc.Share(), zc}
	for i := range copies {
		if released.Load() != 0 {
			t.Fatal("released before the last reference")
		}
		copies[i].Close()
	}
	if released.Load() != 1 {
		t.Fatalf("release called %d times, want 1", released.Load())
	}
	b := big.Detach()
	if len(b) != InlineMax+1 || big.ref != nil {
		t.Fatal("Detach did not hand over the payload")
	}
}

func TestSteadyStateSendAllocatesNothing(t *testing.T) {
	payload := bytes.Repeat([]byte("p"), 200)
	q := newYpipe()
	allocs := testing.AllocsPerRun(1000, func() {
		m := NewMsg(payload)
		q.write(m, false)
		q.flush()
		got, _ := q.read()
		got.Close()
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per pooled message through a ypipe, want 0", allocs)
	}
}

// TestYpipeSPSC moves messages through a ypipe between two goroutines using
// the wake-up protocol, across many chunk boundaries, with multipart
// messages that must appear whole.
func TestYpipeSPSC(t *testing.T) {
	const n = 20000
	q := newYpipe()
	wake := newSignal()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < n; i++ {
			q.write(NewMsgString(fmt.Sprint(i)), true)
			q.write(NewMsgString("end"), false)
			if i%7 == 0 || i == n-1 {
				if !q.flush() {
					wake <- struct{}{} // reader was asleep: wake it
				}
			}
		}
	}()
	for i := 0; i < n; i++ {
		m, ok := q.read()
		for !ok {
			<-wake
			m, ok = q.read()
		}
		if got := string(m.Bytes()); got != fmt.Sprint(i) {
			t.Fatalf("message %d: got %q", i, got)
		}
		end, ok := q.read()
		if !ok || string(end.Bytes()) != "end" {
			t.Fatalf("message %d arrived without its second frame", i)
		}
	}
	wg.Wait()
}

func TestPipeHWM(t *testing.T) {
	a, b := newPipePair(pipeEnd{recv: newSignal(), send: newSignal(), sndhwm: 3}, pipeEnd{recv: newSignal(), send: newSignal()})
	for i := 0; i < 3; i++ {
		if !a.CheckWrite() {
			t.Fatalf("full after %d", i)
		}
		a.Write(NewMsgString("x"))
		a.Flush()
	}
	if a.CheckWrite() {
		t.Fatal("HWM of 3 not enforced")
	}
	if _, ok := b.Read(); !ok {
		t.Fatal("nothing to read")
	}
	select {
	case <-a.out.writerWake.v.Load().(signal):
	default:
		t.Fatal("waiting writer not woken when room was made")
	}
	if !a.CheckWrite() {
		t.Fatal("still full after a read")
	}
}

func TestTrie(t *testing.T) {
	tr := newTrie()
	if !tr.add([]byte("ab")) || tr.add([]byte("ab")) {
		t.Fatal("add counts wrong")
	}
	if !tr.match([]byte("abc")) || tr.match([]byte("a")) || tr.match([]byte("b")) {
		t.Fatal("prefix match wrong")
	}
	if tr.rm([]byte("ab")) || !tr.rm([]byte("ab")) || tr.match([]byte("abc")) {
		t.Fatal("rm counts wrong")
	}
	p1, p2 := &Pipe{}, &Pipe{}
	tr.addPipe([]byte(""), p1)
	tr.addPipe([]byte("q"), p1)
	tr.addPipe([]byte("qu"), p2)
	got := tr.matchPipes([]byte("quote"), 1, nil)
	if len(got) != 2 {
		t.Fatalf("matched %d pipes, want each once", len(got))
	}
	if got := tr.matchPipes([]byte("x"), 2, nil); len(got) != 1 || got[0] != p1 {
		t.Fatalf("match x: %v", got)
	}
	var gone []string
	tr.rmPipeAll(p1, func(topic []byte) { gone = append(gone, string(topic)) })
	if len(gone) != 2 {
		t.Fatalf("topics gone with p1: %q", gone)
	}
	if got := tr.matchPipes([]byte("quote"), 3, nil); len(got) != 1 || got[0] != p2 {
		t.Fatal("p2 lost")
	}
}

// TestNewMsgSize: a message made to size is filled in place and carries
// what was written, inline or pooled.
func TestNewMsgSize(t *testing.T) {
	for _, n := range []int{0, 10, 33, 34, InlineMax, InlineMax + 1, 5000, 2 << 20} {
		m := NewMsgSize(n)
		b := m.Bytes()
		if len(b) != n {
			t.Fatalf("NewMsgSize(%d): %d bytes", n, len(b))
		}
		for i := range b {
			b[i] = byte(i)
		}
		got := m.Bytes()
		for i := range got {
			if got[i] != byte(i) {
				t.Fatalf("NewMsgSize(%d): byte %d not kept", n, i)
			}
		}
		m.Close()
	}
}
