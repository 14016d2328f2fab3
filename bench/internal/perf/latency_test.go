package perf

import (
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRecorderPrecision checks the histogram's promise: percentiles within
// 0.1 % of the exact nearest-rank value and never below it, the maximum
// exact, and values past the histogram's range still counted.
func TestRecorderPrecision(t *testing.T) {
	r := NewRecorder()
	const n = 10000
	for i := 1; i <= n; i++ {
		r.Record(time.Duration(i) * 37 * time.Nanosecond)
	}
	for _, p := range []float64{50, 90, 99, 99.9, 99.99} {
		exact := time.Duration(int(p/100*n+0.5)) * 37 * time.Nanosecond
		got := r.Percentile(p)
		if got < exact || float64(got-exact) > float64(exact)/1000 {
			t.Errorf("p%v = %v, exact %v", p, got, exact)
		}
	}
	if got, want := r.Percentile(100), n*37*time.Nanosecond; got != want {
		t.Errorf("p100 = %v, want the maximum %v", got, want)
	}
	r.Record(2 * time.Minute)
	var b strings.Builder
	r.Print(&b, 64, r.Sum())
	if r.Count() != n+1 || !strings.Contains(b.String(), " max=120000000.00\n") {
		t.Errorf("after a 2-minute round trip: count %d, output\n%s", r.Count(), b.String())
	}
	if err := r.WriteHgrm(filepath.Join(t.TempDir(), "x.hgrm")); err != nil {
		t.Error(err)
	}
}

// Chunks writes one line per whole chunk, with that chunk's p50, and none
// for the rest.
func TestRecorderChunks(t *testing.T) {
	var b strings.Builder
	r := NewRecorder()
	r.Chunks(3, &b)
	for _, us := range []int{5, 1, 3, 10, 30, 20, 7} {
		r.Record(time.Duration(us) * time.Microsecond)
	}
	if want := "chunk p50 [us]: 3.00\nchunk p50 [us]: 20.00\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
	if r.Count() != 7 {
		t.Errorf("%d recorded, want 7", r.Count())
	}
	// Recording stays free of allocations with chunks on, even writing a
	// line every time.
	r = NewRecorder()
	r.Chunks(1, io.Discard)
	if n := testing.AllocsPerRun(100, func() { r.Record(time.Microsecond) }); n != 0 {
		t.Errorf("%.2f allocations a Record", n)
	}
}
