package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// point is one row of a percentile distribution: the latency (µs) at or
// below which fraction of the round trips fell.
type point struct {
	value, fraction float64
}

// distribution is one system's percentile distribution.
type distribution struct {
	name   string
	points []point
}

// readHgrm parses HdrHistogram's percentile distribution text: an optional
// "Value Percentile TotalCount 1/(1-Percentile)" header, rows of those four
// columns (the percentile as a fraction of 1), and "#[" footer lines.
// Blank lines are skipped.
func readHgrm(r io.Reader) ([]point, error) {
	var pts []point
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(line, "#") || f[0] == "Value" {
			continue
		}
		if len(f) != 4 {
			return nil, fmt.Errorf("line %d: %d columns, want 4", n, len(f))
		}
		v, err1 := strconv.ParseFloat(f[0], 64)
		p, err2 := strconv.ParseFloat(f[1], 64)
		if err1 != nil || err2 != nil || p < 0 || p > 1 {
			return nil, fmt.Errorf("line %d: %q is not a value and a percentile between 0 and 1", n, line)
		}
		pts = append(pts, point{v, p})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(pts) == 0 {
		return nil, fmt.Errorf("no rows")
	}
	return pts, nil
}

// readHgrmDir reads every *.hgrm file in dir, each named after its system
// (zmqx.hgrm is "zmqx"), sorted by name.
func readHgrmDir(dir string) ([]distribution, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.hgrm"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no .hgrm files in %s", dir)
	}
	sort.Strings(files)
	var ds []distribution
	for _, file := range files {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		pts, err := readHgrm(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", file, err)
		}
		ds = append(ds, distribution{strings.TrimSuffix(filepath.Base(file), ".hgrm"), pts})
	}
	return ds, nil
}

// throughput is one system's median throughput at one message size.
type throughput struct {
	size   int     // bytes
	system string  // name
	rate   float64 // msg/s
}

// readThroughput parses a tab-separated table of "size system msg/s" rows.
// Blank lines, "#" comments and a header row (first column "size") are
// skipped.
func readThroughput(r io.Reader) ([]throughput, error) {
	var ts []throughput
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			return nil, fmt.Errorf("line %d: %d tab-separated columns, want 3 (size, system, msg/s)", n, len(f))
		}
		if f[0] == "size" {
			continue
		}
		size, err1 := strconv.Atoi(strings.TrimSpace(f[0]))
		rate, err2 := strconv.ParseFloat(strings.TrimSpace(f[2]), 64)
		if err1 != nil || err2 != nil || size < 0 || rate < 0 || strings.TrimSpace(f[1]) == "" {
			return nil, fmt.Errorf("line %d: %q is not a size, a system and a rate", n, line)
		}
		ts = append(ts, throughput{size, strings.TrimSpace(f[1]), rate})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("no rows")
	}
	return ts, nil
}
