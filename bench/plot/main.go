// Command plot draws the benchmark suite's pictures (bench/suite.sh runs it
// when OUT_DIR is set):
//
//	plot [-hgrm DIR] [-thr FILE] [-out DIR] [-lat-file PNG] [-title TEXT] [-lat-title TEXT] [-thr-title TEXT]
//
// -hgrm DIR: every DIR/NAME.hgrm, an HdrHistogram percentile distribution
// (remote_lat --hgrm, floor_lat --hgrm, zmqperf and zmq4perf remote_lat
// --hgrm) of system NAME, becomes one curve of OUT/latency.png: round-trip
// latency in µs against 1/(1-percentile), both log-scaled, the x axis
// labelled 0 %, 90 %, 99 %, 99.9 %… as HdrHistogram's own plotter does.
//
// -thr FILE: a tab-separated table of median throughputs, one
// "size<TAB>system<TAB>msg/s" row per system and message size (a "size"
// header row and "#" comments are skipped), becomes OUT/throughput.png: msg/s
// and MB/s against the message size, one line per system.
//
// -out DIR (default "."): where the pictures go; -lat-file names the
// latency picture otherwise (one per message size, say). -title adds a second title
// line (the machine, the date) to every picture; -lat-title and -thr-title
// replace it for latency.png and throughput.png. A system has the same
// colour in both pictures; the raw floors (names starting with "floor") are
// dashed.
//
// It is its own module (bench/plot) so that zmqx's module does not depend
// on the plotting library.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(argv []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("plot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	hgrmDir := fs.String("hgrm", "", "directory of NAME.hgrm percentile distributions, one per system")
	thrFile := fs.String("thr", "", "tab-separated size, system, msg/s table of median throughputs")
	outDir := fs.String("out", ".", "directory to write latency.png and throughput.png to")
	latFile := fs.String("lat-file", "", "write the latency picture to this file instead of OUT/latency.png")
	title := fs.String("title", "", "a second title line for every picture")
	latTitle := fs.String("lat-title", "", "a second title line for latency.png (default: -title)")
	thrTitle := fs.String("thr-title", "", "a second title line for throughput.png (default: -title)")
	if err := fs.Parse(argv); err != nil {
		return 2
	}
	if fs.NArg() != 0 || (*hgrmDir == "" && *thrFile == "") {
		fmt.Fprintln(stderr, "usage: plot [-hgrm DIR] [-thr FILE] [-out DIR] [-lat-file PNG] [-title TEXT] [-lat-title TEXT] [-thr-title TEXT] (at least one of -hgrm and -thr)")
		return 2
	}
	if *latTitle == "" {
		*latTitle = *title
	}
	if *thrTitle == "" {
		*thrTitle = *title
	}
	if *latFile == "" {
		*latFile = filepath.Join(*outDir, "latency.png")
	}
	if err := render(*hgrmDir, *thrFile, *outDir, *latFile, *latTitle, *thrTitle); err != nil {
		fmt.Fprintf(stderr, "plot: %v\n", err)
		return 1
	}
	return 0
}

// render reads the inputs that are given and writes their pictures.
func render(hgrmDir, thrFile, outDir, latFile, latTitle, thrTitle string) error {
	var ds []distribution
	var ts []throughput
	var err error
	if hgrmDir != "" {
		if ds, err = readHgrmDir(hgrmDir); err != nil {
			return err
		}
	}
	if thrFile != "" {
		f, err := os.Open(thrFile)
		if err != nil {
			return err
		}
		ts, err = readThroughput(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %v", thrFile, err)
		}
	}
	pal := newPalette(ds, ts)
	var errs []error
	if ds != nil {
		p, err := latencyPlot(ds, pal, latTitle)
		if err == nil {
			err = savePNG(latFile, 8*vg.Inch, 5.5*vg.Inch, p)
		}
		errs = append(errs, err)
	}
	if ts != nil {
		var ps []*plot.Plot
		ps, err := throughputPlots(ts, pal, thrTitle)
		if err == nil {
			err = savePNG(filepath.Join(outDir, "throughput.png"), 6.5*vg.Inch, 5*vg.Inch, ps...)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
