// Command remote_lat is the measuring side of the latency test, after
// libzmq's perf/remote_lat: a REQ socket connects, sends roundtrip-count
// messages one at a time and prints the average one-way latency, plus the
// percentiles of the round trips.
//
//	remote_lat [--idle spin|backoff|block] [--cpu N] [--invoker] [--hgrm FILE] [--rate N] [--chunk N] <connect-to> <message-size> <roundtrip-count>
//
// --hgrm writes the round trips' percentile distribution to FILE in
// HdrHistogram's .hgrm text format, in microseconds.
//
// --chunk N also prints to stderr, for every N round trips, their p50
// ("chunk p50 [us]: X"): how the round trip moves within the run
// (bench/lat_chunks.sh).
//
// --rate N sends N requests per second on a fixed schedule (request i is due
// at start + i/N) and measures each round trip from the time its request was
// due, not from when it was actually sent. Without that, a slow reply would
// also postpone the next requests and their wait would never be counted (the
// "coordinated omission" of closed-loop benchmarks). A REQ socket allows only
// one request in flight: it cannot send before the previous reply is in, so a
// late reply delays the next send, and that delay is counted in the next
// round trip, as a client sending on its own schedule would see it. A DEALER
// client could pipeline instead: keep sending on schedule while replies are
// outstanding and match each reply to its request, which also measures how
// the server copes with queued requests. The average latency line is then
// half the mean of those round trips (the elapsed time of a paced run says
// nothing about latency). The schedule starts when the first reply is in,
// so that connecting (possibly after a reconnect interval, when the server
// was not listening yet) is not a backlog the whole run pays for; that first
// round trip is measured from its send, as without --rate.
//
// The schedule is kept by spinning on the clock, for sub-microsecond
// precision, after sleeping when a request is due in more than 200 µs (a
// sleep's wake-up can be tens of microseconds late).
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/zmqx/zmqx"
	"github.com/zmqx/zmqx/bench/internal/perf"
)

func main() { perf.Main("remote_lat", "roundtrip-count", run) }

// sleepMargin is how early before a due time waiting switches from sleeping
// to spinning.
const sleepMargin = 200 * time.Microsecond

func run(a perf.Args) error {
	ctx := context.Background()
	rt, s, err := perf.Open(zmqx.REQ, a.Endpoint, false, zmqx.SocketOptions{})
	if err != nil {
		return err
	}
	defer rt.Close()
	body := make([]byte, a.Size)
	rec := perf.NewRecorder()
	rec.Chunks(a.Chunk, os.Stderr)
	var interval time.Duration
	if a.Rate > 0 {
		interval = time.Second / time.Duration(a.Rate)
	}
	start := time.Now()
	var sched time.Time // when request 0 would have been due
	var msg []zmqx.Msg  // reused: the copy-free receive path, like zmq_msg_recv
	for i := 0; i < a.Count; i++ {
		t0 := time.Now()
		if interval > 0 && i > 0 {
			t0 = sched.Add(time.Duration(i) * interval)
			waitUntil(t0)
		}
		if err := s.Send(ctx, body); err != nil {
			return err
		}
		var err error
		if msg, err = s.RecvMsg(ctx, msg[:0]); err != nil {
			return err
		}
		now := time.Now()
		rec.Record(now.Sub(t0))
		if i == 0 {
			sched = now.Add(-interval)
		}
		if len(msg) != 1 || msg[0].Len() != a.Size {
			return fmt.Errorf("reply of %d frames, want 1 of %d bytes", len(msg), a.Size)
		}
		msg[0].Close()
	}
	total := time.Since(start)
	if interval > 0 {
		total = rec.Sum()
	}
	return rec.Report(a.Size, total, a.Hgrm)
}

// waitUntil returns at t, or at once if t has passed.
func waitUntil(t time.Time) {
	if d := time.Until(t); d > sleepMargin {
		time.Sleep(d - sleepMargin)
	}
	for time.Now().Before(t) {
	}
}
