// Command floor_lat is the floor the library's latency is compared against:
// a ping-pong of raw bytes over one TCP connection, with no framing, no
// queues and no goroutine hand-offs, so its round trip is what the kernel
// and the scheduler cost on their own. Like local_lat and remote_lat it is
// two processes:
//
//	floor_lat [--mode spin|block] [--cpu N] [--warmup N] server <host:port> <message-size> <roundtrip-count>
//	floor_lat [--mode spin|block] [--cpu N] [--warmup N] [--hgrm FILE] [--chunk N] client <host:port> <message-size> <roundtrip-count>
//
// The server accepts one connection and returns every message-size bytes it
// reads until the client closes; it prints nothing, like local_lat, except
// "listening on ADDR" on stderr when given port 0, so a script can learn the
// port. The client first makes --warmup round trips (default 1000) that are
// not counted, to have the connection, caches and CPU frequency settled,
// then measures roundtrip-count round trips and prints the same lines as
// remote_lat, so one parser reads both.
//
// --mode spin (the default, Linux only) takes the socket's descriptor away
// from Go's poller, makes it non-blocking and loops on read(2) and write(2)
// until they stop returning EAGAIN. The calls go through unix.RawSyscall:
// the ordinary Syscall path tells the scheduler about every call, which
// wakes sysmon on the pinned CPU and, measured on this project's VM, tripled
// the 99th percentile. --mode block uses net.Conn as any Go program would,
// parking in the poller between messages; the difference between the two is
// the cost of a wake-up. Both set TCP_NODELAY.
//
// --cpu N pins the process to CPU N (as taskset -c N does) and then runs Go
// with one P, as it would have started under taskset. For the lowest tail in
// spin mode also run with GODEBUG=asyncpreemptoff=1, which stops the
// runtime's preemption signals to the spinning loop.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/zmqx/zmqx/bench/internal/perf"
	"github.com/zmqx/zmqx/cpuset"
)

// conn is one end of the ping-pong in either mode.
type conn interface {
	readFull(b []byte) error
	writeAll(b []byte) error
	Close() error
}

type args struct {
	mode, hgrm, role, addr string
	cpu, warmup, size, n   int
	chunk                  int
}

func main() {
	a := parse()
	var err error
	if a.role == "server" {
		err = serve(a)
	} else {
		err = client(a)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "floor_lat: %v\n", err)
		os.Exit(1)
	}
}

func parse() args {
	fs := flag.NewFlagSet("floor_lat", flag.ContinueOnError)
	var a args
	fs.StringVar(&a.mode, "mode", "spin", "spin: non-blocking raw system calls in a loop; block: net.Conn")
	fs.IntVar(&a.cpu, "cpu", -1, "pin the process to this CPU")
	fs.IntVar(&a.warmup, "warmup", 1000, "round trips made and not counted before measuring (client)")
	fs.IntVar(&a.chunk, "chunk", 0, "also print to stderr the p50 of every N round trips (\"chunk p50 [us]: X\", client)")
	fs.StringVar(&a.hgrm, "hgrm", "", "write the round trips' percentile distribution (HdrHistogram .hgrm, microseconds) to this file (client)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: floor_lat [--mode spin|block] [--cpu N] [--warmup N] [--hgrm FILE] [--chunk N] server|client <host:port> <message-size> <roundtrip-count>")
		fs.PrintDefaults()
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	fail := func(err error) {
		fmt.Fprintf(os.Stderr, "floor_lat: %v\n", err)
		os.Exit(2)
	}
	if fs.NArg() != 4 {
		fs.Usage()
		os.Exit(2)
	}
	a.role, a.addr = fs.Arg(0), fs.Arg(1)
	var err error
	if a.role != "server" && a.role != "client" {
		fail(fmt.Errorf("role must be server or client, not %q", a.role))
	}
	if a.size, err = strconv.Atoi(fs.Arg(2)); err != nil || a.size < 1 {
		fail(fmt.Errorf("message size %q is not a positive integer", fs.Arg(2)))
	}
	if a.n, err = strconv.Atoi(fs.Arg(3)); err != nil || a.n < 1 {
		fail(fmt.Errorf("roundtrip-count %q is not a positive integer", fs.Arg(3)))
	}
	if a.warmup < 0 {
		fail(fmt.Errorf("--warmup %d is negative", a.warmup))
	}
	if a.chunk < 0 {
		fail(fmt.Errorf("--chunk %d is negative", a.chunk))
	}
	if a.mode != "spin" && a.mode != "block" {
		fail(fmt.Errorf("--mode must be spin or block, not %q", a.mode))
	}
	if a.cpu >= 0 {
		if err := cpuset.PinProcess(a.cpu); err != nil {
			fail(err)
		}
		runtime.GOMAXPROCS(1)
	}
	return a
}

// wrap turns an established connection into the mode's conn.
func wrap(mode string, c *net.TCPConn) (conn, error) {
	if err := c.SetNoDelay(true); err != nil {
		c.Close()
		return nil, err
	}
	if mode == "spin" {
		return newSpinConn(c)
	}
	return blockConn{c}, nil
}

func serve(a args) error {
	ln, err := net.Listen("tcp", a.addr)
	if err != nil {
		return err
	}
	if _, port, _ := net.SplitHostPort(a.addr); port == "0" {
		fmt.Fprintf(os.Stderr, "listening on %s\n", ln.Addr())
	}
	nc, err := ln.Accept()
	ln.Close()
	if err != nil {
		return err
	}
	c, err := wrap(a.mode, nc.(*net.TCPConn))
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, a.size)
	for {
		if err := c.readFull(buf); err != nil {
			if errors.Is(err, io.EOF) {
				return nil // the client is done
			}
			return err
		}
		if err := c.writeAll(buf); err != nil {
			return err
		}
	}
}

func client(a args) error {
	nc, err := dial(a.addr)
	if err != nil {
		return err
	}
	c, err := wrap(a.mode, nc)
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, a.size)
	trip := func() error {
		if err := c.writeAll(buf); err != nil {
			return err
		}
		return c.readFull(buf)
	}
	for range a.warmup {
		if err := trip(); err != nil {
			return err
		}
	}
	rec := perf.NewRecorder()
	rec.Chunks(a.chunk, os.Stderr)
	start := time.Now()
	for range a.n {
		t0 := time.Now()
		if err := trip(); err != nil {
			return err
		}
		rec.Record(time.Since(t0))
	}
	total := time.Since(start)
	return rec.Report(a.size, total, a.hgrm)
}

// dial connects to addr, retrying while nothing listens there yet, because
// scripts start the server and the client together.
func dial(addr string) (*net.TCPConn, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			return c.(*net.TCPConn), nil
		}
		if !errors.Is(err, syscall.ECONNREFUSED) || time.Now().After(deadline) {
			return nil, err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// blockConn is --mode block: the net package's blocking reads and writes.
type blockConn struct{ *net.TCPConn }

func (c blockConn) readFull(b []byte) error {
	_, err := io.ReadFull(c.TCPConn, b)
	return err
}

func (c blockConn) writeAll(b []byte) error {
	_, err := c.Write(b)
	return err
}
