package rel

import (
	"testing"
	"time"
)

// BenchmarkMessage64 is one 64-byte message through Write, Poll, Input and
// Read, with its STATUS going back through Poll and Input, each side polled
// until it returns 0: the cost of a sparse message on both ends together.
func BenchmarkMessage64(b *testing.B) {
	a, c, now := pair(b, Config{}, Config{})
	msg := make([]byte, 64)
	rd := make([]byte, 4096)
	buf := make([]byte, HeaderLen+1400)
	buf2 := make([]byte, HeaderLen+1400)
	b.ReportAllocs()
	for b.Loop() {
		// As the engine drives it: Poll until 0 on each side.
		now += 100
		a.Write(msg, now)
		n := a.Poll(buf, now)
		if a.Poll(buf2, now) != 0 {
			b.Fatal("second datagram")
		}
		c.Input(buf[:n], now)
		m := c.Poll(buf2, now)
		if c.Poll(buf, now) != 0 {
			b.Fatal("second ack")
		}
		a.Input(buf2[:m], now)
		c.Read(rd)
	}
}

// BenchmarkBatch64 is 64-byte messages written in batches of 100: they go
// out packed in full datagrams, acked once per batch. Reported per message.
func BenchmarkBatch64(b *testing.B) {
	a, c, now := pair(b, Config{}, Config{})
	msg := make([]byte, 64)
	rd := make([]byte, 64<<10)
	bufs := make([][]byte, 16)
	lens := make([]int, 16)
	for i := range bufs {
		bufs[i] = make([]byte, HeaderLen+1400)
	}
	ack := make([]byte, HeaderLen+1400)
	b.ReportAllocs()
	for b.Loop() {
		now += 1000
		for range 100 {
			a.Write(msg, now)
		}
		k := 0
		for ; k < len(bufs); k++ {
			if lens[k] = a.Poll(bufs[k], now); lens[k] == 0 {
				break
			}
		}
		for i := range k {
			c.Input(bufs[i][:lens[i]], now)
		}
		m := c.Poll(ack, now)
		a.Input(ack[:m], now)
		c.Read(rd)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/msg")
}

// BenchmarkReqRep68 is a request-reply exchange of 68-byte messages (a
// 64-byte REQ/REP message's ZMTP bytes) as the engine's spinning drivers
// run it: acknowledgements deferred (SetAckDelay) so that each answer
// carries the ack of what it answers, each send stamped after its datagram
// (Unstamped, Stamp). One op is a round trip: both ends' work, no STATUS.
func BenchmarkReqRep68(b *testing.B) {
	a, c, now := pair(b, Config{}, Config{})
	a.SetAckDelay(10 * time.Microsecond)
	c.SetAckDelay(10 * time.Microsecond)
	msg := make([]byte, 68)
	rd := make([]byte, 4096)
	buf := make([]byte, HeaderLen+1400)
	b.ReportAllocs()
	for b.Loop() {
		now += 2000
		a.Write(msg, a.Unstamped())
		n := a.Poll(buf, a.Now())
		a.Stamp(now)
		now += 2000
		if err := c.Input(buf[:n], now); err != nil {
			b.Fatal(err)
		}
		if c.Read(rd) != len(msg) {
			b.Fatal("request not read whole")
		}
		c.Write(msg, c.Unstamped())
		if n = c.Poll(buf, c.Now()); n != HeaderLen+len(msg) {
			b.Fatalf("answer of %d bytes, want a DATA of %d", n, HeaderLen+len(msg))
		}
		c.Stamp(now + 100)
		now += 2000
		if err := a.Input(buf[:n], now); err != nil {
			b.Fatal(err)
		}
		if a.Read(rd) != len(msg) {
			b.Fatal("answer not read whole")
		}
	}
}
