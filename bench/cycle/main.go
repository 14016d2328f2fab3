// Command cycle times what a short-lived client costs: a REQ socket made,
// connected, one round trip of a SIZE-byte message, and closed, N times in
// a row, against a REP server (the same command with -server). It prints
// the quartiles of the whole cycle and the median of each of its steps:
//
//	cycle [-n N] [-size SIZE] [-sndbuf BYTES] -server ENDPOINT
//	cycle [-n N] [-size SIZE] [-sndbuf BYTES] ENDPOINT
//
//	cycle p25 … p50 … p75 … | connect … send … recv … close …
//
// connect is Connect's return (ØMQ connects in the background), recv the
// wait for the answer, which includes the connection's handshake. -sndbuf
// sets both ends' SendBuffer. The server says on stderr where it serves
// ("cycle: serving ENDPOINT", a port of * resolved). bench/xdp_cycle.sh runs it over xdp:// and
// tcp:// on the veth of bench/xdp_net.sh.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/zmqx/zmqx"
)

func main() {
	server := flag.Bool("server", false, "serve REP on ENDPOINT (Bind) until killed")
	n := flag.Int("n", 50, "cycles")
	size := flag.Int("size", 64, "message size in bytes")
	sndbuf := flag.Int("sndbuf", 0, "SendBuffer of both sockets (0: the default)")
	flag.Parse()
	if flag.NArg() != 1 || *n < 1 || *size < 1 {
		fmt.Fprintln(os.Stderr, "usage: cycle [-n N] [-size SIZE] [-sndbuf BYTES] [-server] ENDPOINT")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *server, *n, *size, *sndbuf); err != nil {
		fmt.Fprintln(os.Stderr, "cycle:", err)
		os.Exit(1)
	}
}

func run(ep string, server bool, n, size, sndbuf int) error {
	ctx := context.Background()
	rt := zmqx.NewRuntime(zmqx.Config{})
	defer rt.Close()
	socket := func(t zmqx.SocketType) (*zmqx.Socket, error) {
		s, err := rt.Socket(t)
		if err == nil && sndbuf > 0 {
			err = s.SetOption(zmqx.SendBuffer, sndbuf)
		}
		return s, err
	}
	if server {
		s, err := socket(zmqx.REP)
		if err != nil {
			return err
		}
		if err := s.Bind(ep); err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr, "cycle: serving", s.LastEndpoint())
		for {
			m, err := s.Recv(ctx)
			if err != nil {
				return err
			}
			if err := s.Send(ctx, m...); err != nil {
				return err
			}
		}
	}
	msg := make([]byte, size)
	var cycle, steps [4][]time.Duration
	for range n {
		t0 := time.Now()
		c, err := socket(zmqx.REQ)
		if err != nil {
			return err
		}
		if err := c.Connect(ep); err != nil {
			return err
		}
		t1 := time.Now()
		if err := c.Send(ctx, msg); err != nil {
			return err
		}
		t2 := time.Now()
		if m, err := c.Recv(ctx); err != nil {
			return err
		} else if len(m) != 1 || len(m[0]) != size {
			return fmt.Errorf("answer of %d frames", len(m))
		}
		t3 := time.Now()
		if err := c.Close(); err != nil {
			return err
		}
		t4 := time.Now()
		cycle[0] = append(cycle[0], t4.Sub(t0))
		for i, d := range []time.Duration{t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), t4.Sub(t3)} {
			steps[i] = append(steps[i], d)
		}
	}
	q := func(d []time.Duration, p int) string {
		slices.Sort(d)
		return fmt.Sprintf("%.1f", float64(d[(len(d)-1)*p/100].Nanoseconds())/1e3)
	}
	fmt.Printf("cycle p25 %s p50 %s p75 %s | connect %s send %s recv %s close %s [us]\n",
		q(cycle[0], 25), q(cycle[0], 50), q(cycle[0], 75),
		q(steps[0], 50), q(steps[1], 50), q(steps[2], 50), q(steps[3], 50))
	return nil
}
