package perf

import (
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
