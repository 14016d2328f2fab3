// Package perf is the shared part of the bench/cmd tools: the option and
// argument parsing of libzmq's perf tools, and the statistics they print.
package perf

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/zmqx/zmqx"
	"github.com/zmqx/zmqx/cpuset"
	"github.com/zmqx/zmqx/internal/legs"
)

// Args are a tool's parsed command line.
type Args struct {
	Endpoint string
	Size     int
	Count    int
	Idle     string
	CPU      int
	// Hgrm and Rate are remote_lat's own options: the file for the
	// histogram's percentile distribution, and the fixed request rate per
	// second (0: as fast as the replies come back).
	Hgrm string
	Rate int
	// Chunk is remote_lat's --chunk: print the p50 of every Chunk round
	// trips to stderr as well (0: not).
	Chunk int
	// Subscribers is pub_thr's and sub_thr's fourth positional argument:
	// how many SUB sockets take part.
	Subscribers int
}

var (
	config     zmqx.Config // the runtime configuration the options asked for
	cpuProfile string
)

// Parse reads "[--idle spin|backoff|block] [--cpu N] [--invoker]
// <endpoint> <message-size> <count>", applies --cpu, and exits with usage
// on bad input. pub_thr and sub_thr take a fourth positional argument,
// <subscribers>, and a message size of at least 1. remote_lat also takes "[--hgrm FILE] [--rate N] [--chunk N]"; the other
// tools do not offer them, so a misplaced option fails instead of being
// ignored.
func Parse(name, countName string) Args {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var a Args
	fs.StringVar(&a.Idle, "idle", "block", "idle strategy: spin, backoff or block")
	fs.IntVar(&a.CPU, "cpu", -1, "pin the process to this CPU")
	invoker := fs.Bool("invoker", false, "drive engines from the socket's goroutine")
	xdpQueues := fs.Int("xdp-queues", 0, "xdp:// endpoints: use at most this many NIC queues (0: all)")
	xdpAttach := fs.String("xdp-attach", "", "xdp:// endpoints: attach the steering program natively, generically, or auto")
	fs.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file")
	extra, tail := "", ""
	fanout := name == "pub_thr" || name == "sub_thr"
	if fanout {
		tail = " <subscribers>"
	}
	if name == "remote_lat" {
		fs.StringVar(&a.Hgrm, "hgrm", "", "write the round trips' percentile distribution (HdrHistogram .hgrm, microseconds) to this file")
		fs.IntVar(&a.Rate, "rate", 0, "send this many requests per second on a fixed schedule, measuring from each scheduled send time")
		fs.IntVar(&a.Chunk, "chunk", 0, "also print to stderr the p50 of every N round trips (\"chunk p50 [us]: X\")")
		extra = " [--hgrm FILE] [--rate N] [--chunk N]"
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: %s [--idle spin|backoff|block] [--cpu N] [--invoker] [--xdp-queues N] [--xdp-attach MODE]%s <endpoint> <message-size> <%s>%s\n", name, extra, countName, tail)
		fs.PrintDefaults()
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	fail := func(err error) {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(2)
	}
	nargs := 3
	if fanout {
		nargs = 4
	}
	if fs.NArg() != nargs {
		fs.Usage()
		os.Exit(2)
	}
	a.Endpoint = fs.Arg(0)
	var err error
	if a.Size, err = strconv.Atoi(fs.Arg(1)); err != nil || a.Size < 0 {
		fail(fmt.Errorf("message size %q is not a non-negative integer", fs.Arg(1)))
	}
	if a.Count, err = strconv.Atoi(fs.Arg(2)); err != nil || a.Count < 1 {
		fail(fmt.Errorf("%s %q is not a positive integer", countName, fs.Arg(2)))
	}
	if fanout {
		if a.Subscribers, err = strconv.Atoi(fs.Arg(3)); err != nil || a.Subscribers < 1 {
			fail(fmt.Errorf("subscribers %q is not a positive integer", fs.Arg(3)))
		}
		// A data message starts with 'd', so that it differs from the
		// 1-byte end marker "e".
		if a.Size < 1 {
			fail(errors.New("message size must be at least 1"))
		}
	}
	if a.Rate < 0 {
		fail(fmt.Errorf("--rate %d is negative", a.Rate))
	}
	if a.Chunk < 0 {
		fail(fmt.Errorf("--chunk %d is negative", a.Chunk))
	}
	idle, err := zmqx.ParseIdle(a.Idle)
	if err != nil {
		fail(err)
	}
	config = zmqx.Config{Idle: idle, Invoker: *invoker, XDP: zmqx.XDPConfig{Queues: *xdpQueues, Attach: *xdpAttach}}
	if os.Getenv("ZMQX_BENCH_DEBUG") != "" {
		// The engines' debug lines (the AF_XDP engine's counters at the
		// end of a run among them) on standard error.
		config.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if *invoker && idle == zmqx.IdleBlock {
		fail(errors.New("--invoker needs --idle spin or --idle backoff"))
	}
	if a.CPU >= 0 {
		if err := cpuset.PinProcess(a.CPU); err != nil {
			fail(err)
		}
	}
	return a
}

// Throughput prints libzmq's local_thr lines.
func Throughput(w io.Writer, size, count int, elapsed time.Duration) {
	us := float64(elapsed.Nanoseconds()) / 1e3
	if us <= 0 {
		us = 1
	}
	thr := float64(count) * 1e6 / us
	fmt.Fprintf(w, "message size: %d [B]\n", size)
	fmt.Fprintf(w, "message count: %d\n", count)
	fmt.Fprintf(w, "mean throughput: %d [msg/s]\n", int64(thr))
	fmt.Fprintf(w, "mean throughput: %.3f [Mb/s]\n", thr*float64(size)*8/1e6)
}

// Main parses the command line as Parse does and runs the tool, exiting
// non-zero with the error if it fails.
func Main(name, countName string, run func(Args) error) {
	a := Parse(name, countName)
	stop, err := StartCPUProfile(cpuProfile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(2)
	}
	defer stop()
	if err := run(a); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
	legs.Report(os.Stderr, name) // nothing, unless built with the zmqxlegs tag
}

// StartCPUProfile starts a CPU profile written to file ("": none) and
// returns what stops it and closes the file.
func StartCPUProfile(file string) (stop func(), err error) {
	if file == "" {
		return func() {}, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// NewRuntime makes a runtime configured as the options asked, for a tool
// that opens several sockets in it (sub_thr).
func NewRuntime() *zmqx.Runtime { return zmqx.NewRuntime(config) }

// Open makes a runtime and a socket of type t that binds (bind) or connects
// to endpoint. Closing the runtime closes the socket.
func Open(t zmqx.SocketType, endpoint string, bind bool, o zmqx.SocketOptions) (*zmqx.Runtime, *zmqx.Socket, error) {
	if os.Getenv("ZMQX_BENCH_CURVE") != "" {
		if err := benchCurve(&o, bind); err != nil {
			return nil, nil, err
		}
	}
	rt := zmqx.NewRuntime(config)
	s, err := rt.Socket(t, o)
	if err == nil {
		RefuseFallback(s, endpoint)
		if bind {
			err = s.Bind(endpoint)
		} else {
			err = s.Connect(endpoint)
		}
	}
	if err != nil {
		rt.Close()
		return nil, nil, err
	}
	return rt, s, nil
}

// RefuseFallback ends the tool, saying why, if s carries an xdp://
// endpoint over TCP (AF_XDP unusable here: no privileges, a driver that
// refuses): its numbers would be TCP's under an xdp:// label. Call it
// before Bind or Connect. A bound tool learns only of its own fallback: a
// peer that reaches its xdp:// bind over TCP is caught by the peer's
// RefuseFallback, and the bench scripts run zmqx tools on both ends. Its
// watcher lives as long as the tool.
func RefuseFallback(s *zmqx.Socket, endpoint string) {
	if !strings.HasPrefix(endpoint, "xdp://") {
		return
	}
	ev := make(chan zmqx.Event, 16)
	s.Monitor(ev)
	go func() {
		for e := range ev {
			if e.Type == zmqx.EventFallback {
				fmt.Fprintf(os.Stderr, "%s: %s is carried over TCP, not AF_XDP: %v\n",
					filepath.Base(os.Args[0]), endpoint, e.Err)
				os.Exit(1)
			}
		}
	}()
}

// Fixed CURVE keys for measuring CURVE's cost (ZMQX_BENCH_CURVE=1, the same
// in bench/peers/zmqperf.c): the side that binds is the server. The server
// pair is the example of libzmq's zmq_curve(7); never use these for
// anything else.
const (
	benchServerPublic = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"
	benchServerSecret = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs"
	benchClientPublic = "{-QY+0@u1b^<ePy:k}%#iOX$k.=CM+/8)%l<aW7F"
	benchClientSecret = "a@E7Z9!pmzQ=dzgHW0*$v-fC-q6o[gi$9pJBSSCz"
)

func benchCurve(o *zmqx.SocketOptions, server bool) error {
	var err error
	key := func(s string) zmqx.CurveKey {
		k, e := zmqx.ParseCurveKey(s)
		if err == nil {
			err = e
		}
		return k
	}
	if server {
		o.CurveServer, o.CurveSecretKey = true, key(benchServerSecret)
	} else {
		o.CurveSecretKey, o.CurvePublicKey, o.CurveServerKey = key(benchClientSecret), key(benchClientPublic), key(benchServerPublic)
	}
	return err
}
