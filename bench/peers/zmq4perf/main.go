// Command zmq4perf is github.com/go-zeromq/zmq4's side of zmqx's benchmark
// pairs, as bench/peers/zmqperf.c is libzmq's: the same arguments and the
// same output lines as the bench/cmd tools and libzmq's perf tools, so any
// side of a pair can be zmq4.
//
//	zmq4perf local_lat  <bind-to>    <message-size> <roundtrip-count>   (REP)
//	zmq4perf remote_lat [--hgrm FILE] <connect-to> <message-size> <roundtrip-count>   (REQ)
//	zmq4perf local_thr  <bind-to>    <message-size> <message-count>     (PULL)
//	zmq4perf remote_thr <connect-to> <message-size> <message-count>     (PUSH)
//
// remote_lat prints libzmq's lines, the contract's percentile line and the
// tail line of zmqx's tools; the percentiles come from an HdrHistogram of
// nanoseconds with 3 significant digits, as in zmqx's remote_lat, and
// --hgrm FILE writes its percentile distribution (HdrHistogram's text
// format, microseconds). local_thr times from the first message received to
// the last, as libzmq's local_thr does.
//
// zmq4 connects synchronously (Dial returns once the ZMTP handshake is
// done) and retries a refused connection itself; the connecting tools retry
// every 10 ms for up to 10 s, so either end may be started first. zmq4
// writes a PUSH or REQ message to the connection from Send, with no queue
// of its own, so remote_thr's messages have all reached the kernel when it
// closes; a REP's reply, though, is written by another goroutine that
// Close does not wait for, so local_lat lingers 200 ms after its last reply
// (outside any measurement) before closing.
//
// zmq4perf lives in its own module (bench/peers) so that zmqx's module does
// not depend on zmq4.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/go-zeromq/zmq4"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = "usage: zmq4perf local_lat|remote_lat|local_thr|remote_thr <endpoint> <message-size> <count>\n" +
	"       (remote_lat also takes --hgrm FILE before <endpoint>)\n"

// args are a parsed command line.
type args struct {
	mode, endpoint, hgrm string
	size, count          int
}

// parse reads "MODE [--hgrm FILE] ENDPOINT SIZE COUNT".
func parse(argv []string, stderr io.Writer) (args, error) {
	var a args
	if len(argv) == 0 {
		return a, errors.New("no mode")
	}
	a.mode = argv[0]
	switch a.mode {
	case "local_lat", "remote_lat", "local_thr", "remote_thr":
	default:
		return a, fmt.Errorf("unknown mode %q", a.mode)
	}
	fs := flag.NewFlagSet("zmq4perf "+a.mode, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if a.mode == "remote_lat" {
		fs.StringVar(&a.hgrm, "hgrm", "", "write the round trips' percentile distribution (HdrHistogram .hgrm, microseconds) to this file")
	}
	if err := fs.Parse(argv[1:]); err != nil {
		return a, err
	}
	if fs.NArg() != 3 {
		return a, fmt.Errorf("%d arguments after the mode, want 3", fs.NArg())
	}
	a.endpoint = fs.Arg(0)
	var err error
	if a.size, err = strconv.Atoi(fs.Arg(1)); err != nil || a.size < 0 {
		return a, fmt.Errorf("message size %q is not a non-negative integer", fs.Arg(1))
	}
	if a.count, err = strconv.Atoi(fs.Arg(2)); err != nil || a.count < 1 {
		return a, fmt.Errorf("count %q is not a positive integer", fs.Arg(2))
	}
	return a, nil
}

func run(argv []string, stdout, stderr io.Writer) int {
	a, err := parse(argv, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "zmq4perf: %v\n%s", err, usage)
		return 2
	}
	switch a.mode {
	case "local_lat":
		err = localLat(a)
	case "remote_lat":
		err = remoteLat(a, stdout)
	case "local_thr":
		err = localThr(a, stdout)
	case "remote_thr":
		err = remoteThr(a)
	}
	if err != nil {
		fmt.Fprintf(stderr, "zmq4perf: %s: %v\n", a.mode, err)
		return 1
	}
	return 0
}

// open makes a socket with new and binds it to (listen) or connects it to
// endpoint.
func open(newSocket func(context.Context, ...zmq4.Option) zmq4.Socket, endpoint string, listen bool) (zmq4.Socket, error) {
	s := newSocket(context.Background(),
		zmq4.WithDialerRetry(10*time.Millisecond), zmq4.WithDialerMaxRetries(1000))
	var err error
	if listen {
		err = s.Listen(endpoint)
	} else {
		err = s.Dial(endpoint)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// check returns an error unless m is one frame of size bytes.
func check(m zmq4.Msg, size int) error {
	if len(m.Frames) != 1 || len(m.Frames[0]) != size {
		n := -1
		if len(m.Frames) > 0 {
			n = len(m.Frames[0])
		}
		return fmt.Errorf("message of %d frames (first %d bytes), want 1 of %d bytes", len(m.Frames), n, size)
	}
	return nil
}

func localLat(a args) error {
	s, err := open(zmq4.NewRep, a.endpoint, true)
	if err != nil {
		return err
	}
	defer s.Close()
	for range a.count {
		m, err := s.Recv()
		if err != nil {
			return err
		}
		if err := check(m, a.size); err != nil {
			return err
		}
		if err := s.Send(m); err != nil {
			return err
		}
	}
	// zmq4's REP Send hands the reply to a goroutine that writes it, and
	// Close does not wait for that write (zmq4 has no linger): closing at
	// once loses the last reply now and then (the client then sees EOF, or
	// waits for ever). Give the writer time to run first.
	time.Sleep(repLinger)
	return nil
}

// repLinger is how long local_lat waits after its last reply before it
// closes the socket.
const repLinger = 200 * time.Millisecond

func remoteLat(a args, stdout io.Writer) error {
	s, err := open(zmq4.NewReq, a.endpoint, false)
	if err != nil {
		return err
	}
	defer s.Close()
	body := make([]byte, a.size)
	rec := newRecorder()
	start := time.Now()
	for range a.count {
		t0 := time.Now()
		if err := s.Send(zmq4.NewMsg(body)); err != nil {
			return err
		}
		m, err := s.Recv()
		if err != nil {
			return err
		}
		rec.record(time.Since(t0))
		if err := check(m, a.size); err != nil {
			return err
		}
	}
	rec.print(stdout, a.size, time.Since(start))
	if a.hgrm != "" {
		return rec.writeHgrm(a.hgrm)
	}
	return nil
}

func localThr(a args, stdout io.Writer) error {
	s, err := open(zmq4.NewPull, a.endpoint, true)
	if err != nil {
		return err
	}
	defer s.Close()
	var start time.Time
	for i := range a.count {
		m, err := s.Recv()
		if err != nil {
			return err
		}
		if i == 0 {
			start = time.Now()
		}
		if err := check(m, a.size); err != nil {
			return err
		}
	}
	throughput(stdout, a.size, a.count, time.Since(start))
	return nil
}

func remoteThr(a args) error {
	s, err := open(zmq4.NewPush, a.endpoint, false)
	if err != nil {
		return err
	}
	body := make([]byte, a.size)
	for range a.count {
		if err := s.Send(zmq4.NewMsg(body)); err != nil {
			s.Close()
			return err
		}
	}
	return s.Close()
}

// throughput prints libzmq's local_thr lines.
func throughput(w io.Writer, size, count int, elapsed time.Duration) {
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
