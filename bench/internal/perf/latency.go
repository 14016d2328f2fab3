package perf

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Recorder collects round-trip times for the latency tools. It keeps them in
// an HdrHistogram rather than a slice so that long or fixed-rate runs cost
// constant memory and no sort, and so the whole distribution can be written
// out in the .hgrm format the HdrHistogram plotter reads. Recording does not
// allocate, so it does not disturb the loop it measures.
type Recorder struct {
	h   *hdrhistogram.Histogram
	max time.Duration
	sum time.Duration
	// With Chunks: the round trips of the chunk being recorded, where
	// each whole chunk's p50 goes, and the line's buffer.
	chunk []time.Duration
	cw    io.Writer
	line  []byte
}

// Range and precision of the histogram: nanoseconds from 1 ns to a minute
// with 3 significant digits, which is single-nanosecond resolution up to
// 2 µs, under 1 µs resolution up to about 1 ms and 0.1 % above that.
const (
	histLowest  = 1
	histHighest = int64(time.Minute)
	histDigits  = 3
)

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder {
	return &Recorder{h: hdrhistogram.New(histLowest, histHighest, histDigits)}
}

// Record adds one round trip. Times beyond the histogram's minute count as a
// minute in the percentiles; the exact maximum is kept apart.
func (r *Recorder) Record(d time.Duration) {
	r.sum += d
	r.max = max(r.max, d)
	v := min(max(int64(d), histLowest), histHighest)
	_ = r.h.RecordValue(v) // cannot fail: v is within range
	if r.cw != nil {
		r.chunk = append(r.chunk, d)
		if len(r.chunk) == cap(r.chunk) {
			slices.Sort(r.chunk)
			r.line = append(r.line[:0], "chunk p50 [us]: "...)
			r.line = strconv.AppendFloat(r.line, float64(r.chunk[len(r.chunk)/2].Nanoseconds())/1e3, 'f', 2, 64)
			r.cw.Write(append(r.line, '\n'))
			r.chunk = r.chunk[:0]
		}
	}
}

// Chunks makes the Recorder also write to w, for every n round trips
// recorded, the p50 of those n ("chunk p50 [us]: X"): how the round trip
// moves within a run, where the percentile line sums the whole run up.
// The line is written from within Record, once per n round trips, without
// allocating; sorting the chunk takes time between two round trips, which a
// run's total (the average latency line) includes.
func (r *Recorder) Chunks(n int, w io.Writer) {
	if n > 0 {
		r.chunk, r.cw, r.line = make([]time.Duration, 0, n), w, make([]byte, 0, 64)
	}
}

// Count is the number of recorded round trips.
func (r *Recorder) Count() int { return int(r.h.TotalCount()) }

// Sum is the total of the recorded round trips.
func (r *Recorder) Sum() time.Duration { return r.sum }

// Percentile is the round trip at percentile p (0–100). A histogram reports
// the top of the bucket a value fell in, which can lie above the largest
// value seen; clamping to the exact maximum keeps p99.9 <= max on the line.
func (r *Recorder) Percentile(p float64) time.Duration {
	return min(time.Duration(r.h.ValueAtPercentile(p)), r.max)
}

// Print writes libzmq's remote_lat lines, the percentile line of the
// contract, and a tail line. The average is libzmq's one-way figure,
// total/(2 × round trips). The tail gets a line of its own with a different
// label so that a parser of the contract's percentile line never sees it.
func (r *Recorder) Print(w io.Writer, size int, total time.Duration) {
	n := r.Count()
	us := func(d time.Duration) string { return strconv.FormatFloat(float64(d.Nanoseconds())/1e3, 'f', 2, 64) }
	fmt.Fprintf(w, "message size: %d [B]\n", size)
	fmt.Fprintf(w, "roundtrip count: %d\n", n)
	fmt.Fprintf(w, "average latency: %.3f [us]\n", float64(total.Nanoseconds())/1e3/float64(2*max(n, 1)))
	fmt.Fprintf(w, "latency percentiles [us]: p50=%s p90=%s p99=%s p99.9=%s max=%s\n",
		us(r.Percentile(50)), us(r.Percentile(90)), us(r.Percentile(99)), us(r.Percentile(99.9)), us(r.max))
	fmt.Fprintf(w, "latency tail [us]: p99.99=%s p99.999=%s\n", us(r.Percentile(99.99)), us(r.Percentile(99.999)))
}

// WriteHgrm writes the percentile distribution in HdrHistogram's text
// format (Value, Percentile, TotalCount, 1/(1-Percentile), then the #[Mean,
// #[Max and #[Buckets footer), values in microseconds, 5 ticks per half
// distance as HdrHistogram's own tools default to.
func (r *Recorder) WriteHgrm(path string) error {
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

// Report prints the lines as Print does to stdout and, when hgrm is not
// empty, writes the distribution there too.
func (r *Recorder) Report(size int, total time.Duration, hgrm string) error {
	r.Print(os.Stdout, size, total)
	if hgrm == "" {
		return nil
	}
	return r.WriteHgrm(hgrm)
}
