package main

import (
	"bytes"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sampleHgrm is the start and end of a file written by remote_lat --hgrm.
const sampleHgrm = ` Value	Percentile	TotalCount	1/(1-Percentile)

      15.719     0.000000            1         1.00
      21.327     0.100000          300         1.11
      27.471     0.200000          602         1.25
     145.535     0.990625         2973       106.67
    1309.695     0.999658         2999      2925.71
  100859.903     0.999707         3000      3413.33
  100859.903     1.000000         3000          inf
#[Mean    =       85.211, StdDeviation   =     1839.981]
#[Max     =   100859.903, Total count    =         3000]
#[Buckets =           26, SubBuckets     =         2048]
`

func TestReadHgrm(t *testing.T) {
	pts, err := readHgrm(strings.NewReader(sampleHgrm))
	if err != nil {
		t.Fatal(err)
	}
	want := []point{{15.719, 0}, {21.327, 0.1}, {27.471, 0.2}, {145.535, 0.990625}, {1309.695, 0.999658}, {100859.903, 0.999707}, {100859.903, 1}}
	if fmt.Sprint(pts) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", pts, want)
	}
	for _, bad := range []string{"", "#[Mean = 1]\n", "1.0 0.5 3\n", "1.0 1.5 3 inf\n", "x 0.5 3 2.00\n"} {
		if _, err := readHgrm(strings.NewReader(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestReadThroughput(t *testing.T) {
	ts, err := readThroughput(strings.NewReader("size\tsystem\tmsg/s\n# a comment\n64\tzmqx\t3325290\n\n1024\tlibzmq\t1.5e6\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []throughput{{64, "zmqx", 3325290}, {1024, "libzmq", 1.5e6}}
	if fmt.Sprint(ts) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", ts, want)
	}
	for _, bad := range []string{"", "64 zmqx 100\n", "x\tzmqx\t100\n", "64\t\t100\n", "64\tzmqx\t-1\n"} {
		if _, err := readThroughput(strings.NewReader(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// synthHgrm writes a percentile distribution in remote_lat's format for a
// log-normal latency with the given median (µs), with the 5-ticks-per-half-
// distance percentiles HdrHistogram's tools use.
func synthHgrm(median, sigma float64, n int) string {
	var b strings.Builder
	b.WriteString(" Value\tPercentile\tTotalCount\t1/(1-Percentile)\n\n")
	value := func(p float64) float64 {
		p = min(max(p, 1e-6), 1-1e-6)
		return median * math.Exp(sigma*math.Sqrt2*math.Erfinv(2*p-1))
	}
	for pc := 0.0; ; {
		p := pc / 100
		if p*float64(n) > float64(n-1) {
			break // the last round trip: the final row
		}
		count := max(1, int(math.Ceil(p*float64(n))))
		fmt.Fprintf(&b, "%12.3f %12f %12d %12.2f\n", value(p), p, count, 1/(1-p))
		half := math.Trunc(math.Pow(2, math.Trunc(math.Log2(100/(100-pc)))+1))
		pc += 100 / (5 * half)
	}
	fmt.Fprintf(&b, "%12.3f %12f %12d %12s\n", value(1), 1.0, n, "inf")
	fmt.Fprintf(&b, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", median, median/2)
	fmt.Fprintf(&b, "#[Max     = %12.3f, Total count    = %12d]\n", value(1), n)
	fmt.Fprintf(&b, "#[Buckets = %12d, SubBuckets     = %12d]\n", 26, 2048)
	return b.String()
}

// checkPNG decodes a picture and checks its size and that something was
// drawn on it.
func checkPNG(t *testing.T, path string, minW, minH int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b := img.Bounds()
	if b.Dx() < minW || b.Dy() < minH {
		t.Errorf("%s: %v, want at least %d × %d", path, b, minW, minH)
	}
	colours := map[[4]uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, a := img.At(x, y).RGBA()
			colours[[4]uint32{r, g, bl, a}] = true
		}
	}
	if len(colours) < 6 {
		t.Errorf("%s: only %d colours: nothing drawn?", path, len(colours))
	}
}

// TestDraw draws both pictures from synthetic inputs of the shape the suite
// writes. PLOT_TEST_OUT=DIR keeps them there to be looked at.
func TestDraw(t *testing.T) {
	in, out := t.TempDir(), os.Getenv("PLOT_TEST_OUT")
	if out == "" {
		out = t.TempDir()
	}
	for name, d := range map[string]struct {
		median, sigma float64
	}{
		"zmqx": {80, 0.35}, "libzmq": {97, 0.3}, "zmq4": {130, 0.5}, "zmqx-spin-invoker": {20, 0.6},
		"floor-spin": {9.7, 0.25}, "floor-block": {78, 0.4},
	} {
		if err := os.WriteFile(filepath.Join(in, name+".hgrm"), []byte(synthHgrm(d.median, d.sigma, 20000)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(in, "real.hgrm"), []byte(sampleHgrm), 0o644); err != nil {
		t.Fatal(err)
	}
	var tsv bytes.Buffer
	tsv.WriteString("size\tsystem\tmsg/s\n")
	for _, size := range []int{64, 1024, 65536, 1 << 20} {
		for sys, peak := range map[string]float64{"zmqx": 3.3e6, "libzmq": 5.9e6, "zmq4": 5e4} {
			fmt.Fprintf(&tsv, "%d\t%s\t%.0f\n", size, sys, peak/(1+float64(size)/2048))
		}
	}
	thr := filepath.Join(in, "throughput.tsv")
	if err := os.WriteFile(thr, tsv.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	if code := run([]string{"-hgrm", in, "-thr", thr, "-out", out, "-title", "synthetic data", "-thr-title", "synthetic throughput"}, &stderr); code != 0 {
		t.Fatalf("exit code %d: %s", code, stderr.String())
	}
	checkPNG(t, filepath.Join(out, "latency.png"), 600, 400)
	checkPNG(t, filepath.Join(out, "throughput.png"), 1000, 400)
}

// TestOneSize draws throughput for a single message size and one system,
// where the axes' ranges come from one point.
func TestOneSize(t *testing.T) {
	dir := t.TempDir()
	thr := filepath.Join(dir, "thr.tsv")
	if err := os.WriteFile(thr, []byte("64\tzmqx\t1000000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	if code := run([]string{"-thr", thr, "-out", dir}, &stderr); code != 0 {
		t.Fatalf("exit code %d: %s", code, stderr.String())
	}
	checkPNG(t, filepath.Join(dir, "throughput.png"), 1000, 400)
	if _, err := os.Stat(filepath.Join(dir, "latency.png")); err == nil {
		t.Error("latency.png written without -hgrm")
	}
}

// TestLatFileManySystems draws more systems than there are colours, to a
// file named by -lat-file.
func TestLatFileManySystems(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	for i := range 15 {
		if err := os.WriteFile(filepath.Join(in, fmt.Sprintf("sys%02d.hgrm", i)), []byte(synthHgrm(float64(20+10*i), 0.3, 1000)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	png := filepath.Join(out, "latency-64B.png")
	var stderr bytes.Buffer
	if code := run([]string{"-hgrm", in, "-lat-file", png}, &stderr); code != 0 {
		t.Fatalf("exit code %d: %s", code, stderr.String())
	}
	checkPNG(t, png, 600, 400)
	pal := newPalette([]distribution{{name: "a"}, {name: "b"}}, nil)
	if pal.style("a").Color == pal.style("b").Color {
		t.Error("two systems, one colour")
	}
}

func TestUsage(t *testing.T) {
	dir := t.TempDir()
	for _, argv := range [][]string{{}, {"-out", dir}, {"-hgrm", dir, "extra"}, {"-hgrm", dir}, {"-thr", filepath.Join(dir, "none.tsv")}} {
		var stderr bytes.Buffer
		if code := run(argv, &stderr); code == 0 || stderr.Len() == 0 {
			t.Errorf("%q: exit code %d, stderr %q", argv, code, stderr.String())
		}
	}
}

func TestTicks(t *testing.T) {
	var labels []string
	for _, tk := range (percentileTicks{}).Ticks(1, 1e4) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if got := strings.Join(labels, " "); got != "0% 90% 99% 99.9% 99.99%" {
		t.Errorf("percentile labels %q", got)
	}
	labels = nil
	for _, tk := range (logTicks{}).Ticks(40, 300) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if got := strings.Join(labels, " "); got != "50 100 200" {
		t.Errorf("log labels %q", got)
	}
	for n, want := range map[int]string{64: "64 B", 1024: "1 KiB", 1 << 20: "1 MiB", 1500: "1500 B"} {
		if got := sizeLabel(n); got != want {
			t.Errorf("sizeLabel(%d) = %q, want %q", n, got, want)
		}
	}
	if got := siNumber(2e6); got != "2M" {
		t.Errorf("siNumber(2e6) = %q", got)
	}
}
