package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// recorder keeps round trips in an HdrHistogram with the range and
// precision zmqx's remote_lat uses (1 ns to a minute, 3 significant
// digits), so the two tools' figures and .hgrm files compare like for like.
type recorder struct {
	h   *hdrhistogram.Histogram
	max time.Duration
}

func newRecorder() *recorder {
	return &recorder{h: hdrhistogram.New(1, int64(time.Minute), 3)}
}

// record adds one round trip; beyond a minute it counts as a minute in the
// histogram, and the exact maximum is kept apart.
func (r *recorder) record(d time.Duration) {
	r.max = max(r.max, d)
	_ = r.h.RecordValue(min(max(int64(d), 1), int64(time.Minute))) // in range: cannot fail
}

// percentile is the round trip at percentile p (0-100), clamped to the
// exact maximum (a bucket's top can lie above it).
func (r *recorder) percentile(p float64) time.Duration {
	return min(time.Duration(r.h.ValueAtPercentile(p)), r.max)
}

// print writes remote_lat's lines: libzmq's three, the contract's
// percentile line and the tail line. The average is libzmq's one-way
// figure, total / (2 × round trips).
func (r *recorder) print(w io.Writer, size int, total time.Duration) {
	n := r.h.TotalCount()
	us := func(d time.Duration) string { return strconv.FormatFloat(float64(d.Nanoseconds())/1e3, 'f', 2, 64) }
	fmt.Fprintf(w, "message size: %d [B]\n", size)
	fmt.Fprintf(w, "roundtrip count: %d\n", n)
	fmt.Fprintf(w, "average latency: %.3f [us]\n", float64(total.Nanoseconds())/1e3/float64(2*max(n, 1)))
	fmt.Fprintf(w, "latency percentiles [us]: p50=%s p90=%s p99=%s p99.9=%s max=%s\n",
		us(r.percentile(50)), us(r.percentile(90)), us(r.percentile(99)), us(r.percentile(99.9)), us(r.max))
	fmt.Fprintf(w, "latency tail [us]: p99.99=%s p99.999=%s\n", us(r.percentile(99.99)), us(r.percentile(99.999)))
}

// writeHgrm writes the percentile distribution to path, in microseconds,
// 5 ticks per half distance.
func (r *recorder) writeHgrm(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := r.h.PercentilesPrint(f, 5, 1e3); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
