// Command xdp_onethread measures what the AF_XDP path costs a round trip
// with no second CPU in it: one goroutine drives both ends, so the time of a
// round trip is the sum of all the work both ends do (the two sendto calls
// included), with no cross-CPU cache traffic and no waiting for the other
// side, and differences of tens of nanoseconds show from run to run. It is
// an instrument for the message path, not a latency figure: the two-CPU
// ping-pongs (bench/xdp.sh) are those.
//
//	xdp_onethread -mode zmqx|raw [-n round-trips] [-attach generic|native] [-cpuprofile FILE]
//
// -mode zmqx: a REQ bound to nothing connects over xdp://va/10.78.0.2:5600
// to a REP bound on xdp://vb/10.78.0.2:5600, both in one runtime with
// --idle spin --invoker, and the goroutine sends, receives the request,
// echoes it and receives the reply. -mode raw: the same frames' worth with
// package xdp alone, as bench/cmd/xdp_floor does: a UDP datagram of 64 bytes
// from va's socket to vb's and back. It runs where bench/xdp_onethread.sh
// puts it: one network namespace with the veth ends va (10.78.0.1) and vb
// (10.78.0.2), and a routing rule that sends 10.78.0.2 through va.
//
// It prints the mean round trip and its p50, p90 and p99 in nanoseconds.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/zmqx/zmqx/bench/internal/perf"
)

func main() {
	mode := flag.String("mode", "zmqx", "zmqx or raw")
	n := flag.Int("n", 200000, "round trips measured (after 20 000 unmeasured)")
	attach := flag.String("attach", "generic", "the steering program's attach mode: generic or native")
	prof := flag.String("cpuprofile", "", "write a CPU profile of the measured round trips to this file")
	flag.Parse()
	trip, err := open(*mode, *attach)
	if err != nil {
		fmt.Fprintln(os.Stderr, "xdp_onethread:", err)
		os.Exit(1)
	}
	if err := run(trip, *n, *mode, *prof); err != nil {
		fmt.Fprintln(os.Stderr, "xdp_onethread:", err)
		os.Exit(1)
	}
}

func run(trip func() error, n int, mode, prof string) error {
	for range 20000 {
		if err := trip(); err != nil {
			return err
		}
	}
	stop, err := perf.StartCPUProfile(prof)
	if err != nil {
		return err
	}
	rec := perf.NewRecorder()
	t0 := time.Now()
	for range n {
		t := time.Now()
		if err := trip(); err != nil {
			return err
		}
		rec.Record(time.Since(t))
	}
	el := time.Since(t0)
	stop()
	fmt.Printf("%s: mean %.0f ns p50 %d p90 %d p99 %d (%d round trips)\n", mode, float64(el.Nanoseconds())/float64(n),
		rec.Percentile(50).Nanoseconds(), rec.Percentile(90).Nanoseconds(), rec.Percentile(99).Nanoseconds(), n)
	return nil
}
