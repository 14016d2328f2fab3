// Command xdp_floor measures the round-trip floor of the transports under
// zmqx, with no messaging layer: a raw AF_XDP UDP ping-pong on package xdp
// (steered by package bpf), and for comparison kernel UDP and kernel TCP
// ping-pongs. Both ends spin (non-blocking raw syscalls, no netpoller) and
// are meant to be pinned to one CPU each. bench/xdp_floor.sh makes the two
// network namespaces and runs every transport in the same session.
//
//	xdp_floor -transport xdp -attach generic -role server -iface veth0 -local 10.77.0.2:7777 -peer 10.77.0.1:7777 -peer-mac 02:..
//	xdp_floor -transport udp -role client -local 10.77.0.1:7777 -peer 10.77.0.2:7777 -count 100000
//
// The client prints the benchmark contract's percentile line (round trips,
// microseconds). The server echoes until killed. With -footprint N the
// server runs N distinct small generated functions (footprint_gen.go,
// about one 64-byte line of code each) between taking each message and
// echoing it, the code a messaging layer would run there; with
// -footprint-same it calls only two of them N times, time spent with
// almost no code touched; -footprint-data K writes a byte in each line of
// K KiB of memory instead (bench/xdp_footprint.sh compares them). With
// -rel the AF_XDP ping-pong is carried by zmqx's reliable channel (package
// engine/afxdp/rel), with no messaging layer above it: the floor plus the
// channel's protocol (REL=1 bench/xdp.sh runs it next to zmqx).
//
// With -mode thr it measures throughput instead, one way, with no
// reliability and no acknowledgements: the ceiling a messaging layer on the
// transport can reach. The client sends for -warmup-time + -duration + a
// half-second tail: AF_XDP fills the TX ring with datagrams of -size
// payload bytes (default: the device's MTU less the IPv4 and UDP headers)
// and kicks once per batch of -batch, reclaiming completions; kernel UDP
// sends datagrams of the same size one sendto each; kernel TCP writes -size
// bytes at a time (default 64 KiB) on one stream. The server counts what
// arrives (AF_XDP: off the RX ring, refilling the FILL ring) over -duration
// after -warmup-time from the first arrival, and prints datagrams/s,
// payload MB/s, and the equivalent rate of 64-byte ZMTP messages (payload
// bytes/s / 66: a 64-byte message is 66 bytes on the wire with its ZMTP
// frame header), with both ends' CPU use:
//
//	xdp_floor -mode thr -transport xdp -attach native -role server -iface veth0 -local ... -peer ... -peer-mac ...
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"time"

	"github.com/zmqx/zmqx/cpuset"
	"github.com/zmqx/zmqx/internal/legs"
	"github.com/zmqx/zmqx/internal/xdpping"
)

type config struct {
	transport, role, iface, attach string
	local, peer                    netip.AddrPort
	peerMAC                        net.HardwareAddr
	size, count, warmup, cpu       int

	// -mode thr
	mode                 string
	duration, warmupTime time.Duration
	batch                int
	sizeSet              bool // -size given; otherwise thr picks the MTU's
	sg                   bool // multi-buffer AF_XDP (XDP_USE_SG)
	block                bool // the receiver parks in poll(2) instead of spinning

	rel bool // -rel: the ping-pong over zmqx's reliable channel

	// -footprint: code the server runs between taking a message and
	// echoing it
	footprint     int
	footprintSame bool
	footprintData []byte // -footprint-data: a line of it written in each
}

// pinger is one end of a ping-pong: send one message, spin until one
// message arrives.
type pinger interface {
	send(p []byte) error
	recv(p []byte) (int, error) // spins until a message arrives
	close() error
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "xdp_floor:", err)
		os.Exit(1)
	}
	legs.Report(os.Stderr, "xdp_floor") // nothing, unless built with the zmqxlegs tag
}

func run() error {
	var c config
	var local, peer, mac string
	flag.StringVar(&c.transport, "transport", "xdp", "xdp, udp or tcp")
	flag.StringVar(&c.role, "role", "client", "client (measures) or server (echoes)")
	flag.StringVar(&c.iface, "iface", "", "xdp: the device to bind")
	flag.StringVar(&c.attach, "attach", "generic", "xdp: native or generic")
	flag.StringVar(&local, "local", "", "this end's IPv4 address and port")
	flag.StringVar(&peer, "peer", "", "the other end's IPv4 address and port")
	flag.StringVar(&mac, "peer-mac", "", "xdp: the other end's MAC address")
	flag.IntVar(&c.size, "size", 64, "payload bytes")
	flag.IntVar(&c.count, "count", 100000, "measured round trips")
	flag.IntVar(&c.warmup, "warmup", 10000, "round trips before measuring")
	flag.IntVar(&c.cpu, "cpu", -1, "pin the process to this CPU")
	flag.StringVar(&c.mode, "mode", "pingpong", "pingpong (round trips) or thr (one-way throughput; client sends, server counts)")
	flag.DurationVar(&c.duration, "duration", 3*time.Second, "thr: how long the server measures")
	flag.DurationVar(&c.warmupTime, "warmup-time", 500*time.Millisecond, "thr: time from the first arrival before measuring")
	flag.IntVar(&c.batch, "batch", 64, "thr, xdp: datagrams written and transmitted (one kick) at a time")
	flag.BoolVar(&c.block, "block", false, "thr: the receiver parks in poll(2) when nothing has arrived, instead of spinning (as zmqx's queue worker does out of the box)")
	flag.BoolVar(&c.rel, "rel", false, "pingpong, xdp: carry the ping-pong over zmqx's reliable channel (package engine/afxdp/rel) as a byte stream, with no messaging layer above it; -size is then the bytes of a message in the stream (a REQ/REP message of N bytes is N+4 with its ZMTP frames)")
	flag.IntVar(&c.footprint, "footprint", 0, fmt.Sprintf("pingpong, server: run this many distinct small functions (one 64-byte line of code each, up to %d) between taking each message and echoing it", footprintMax))
	flag.BoolVar(&c.footprintSame, "footprint-same", false, "pingpong, server: make -footprint's calls to two functions only (time spent with almost no code touched: the control; N up to 100 times the distinct limit)")
	var dataKB int
	flag.IntVar(&dataKB, "footprint-data", 0, "pingpong, server: write one byte in each 64-byte line of this many KiB (up to 65536) between taking each message and echoing it")
	flag.BoolVar(&c.sg, "sg", false, "thr, xdp: multi-buffer AF_XDP (XDP_USE_SG, the steering program frags-aware): a datagram may span several 4 KiB frames")
	flag.Parse()
	var err error
	if c.local, err = netip.ParseAddrPort(local); err != nil {
		return fmt.Errorf("-local: %w", err)
	}
	if c.peer, err = netip.ParseAddrPort(peer); err != nil {
		return fmt.Errorf("-peer: %w", err)
	}
	switch c.transport {
	case "xdp":
		if c.peerMAC, err = net.ParseMAC(mac); err != nil {
			return fmt.Errorf("-peer-mac: %w", err)
		}
	case "udp", "tcp":
	default:
		return fmt.Errorf("-transport %q: want xdp, udp or tcp", c.transport)
	}
	if c.rel && (c.transport != "xdp" || c.mode != "pingpong") {
		return errors.New("-rel: with -transport xdp and -mode pingpong only")
	}
	switch c.mode {
	case "thr":
		flag.Visit(func(f *flag.Flag) { c.sizeSet = c.sizeSet || f.Name == "size" })
		return runThr(&c)
	case "pingpong":
	default:
		return fmt.Errorf("-mode %q: want pingpong or thr", c.mode)
	}
	if c.size < 8 || c.size > 1400 {
		return errors.New("-size: 8 to 1400 bytes")
	}
	if lim := footprintLimit(c.footprintSame); c.footprint < 0 || c.footprint > lim {
		return fmt.Errorf("-footprint: 0 to %d calls", lim)
	}
	if dataKB < 0 || dataKB > 1<<16 {
		return errors.New("-footprint-data: 0 to 65536 KiB")
	}
	c.footprintData = make([]byte, dataKB<<10)
	if err := c.pin(); err != nil {
		return err
	}
	var p pinger
	if c.rel {
		p, err = openRel(&c)
	} else if c.transport == "xdp" {
		p, err = openXDP(&c)
	} else {
		p, err = openKernel(&c)
	}
	if err != nil {
		return err
	}
	defer p.close()
	fmt.Println("ready")
	if c.role == "server" {
		return serve(p, &c)
	}
	return measure(p, &c)
}

// pin pins the process to -cpu, if given.
func (c *config) pin() error {
	if c.cpu < 0 {
		return nil
	}
	return cpuset.PinProcess(c.cpu)
}

func seq(b []byte) int { return int(b[0])<<24 | int(b[1])<<16 | int(b[2])<<8 | int(b[3]) }

// serve echoes until the peer goes away or the process is killed (the
// script kills it once the client is done: the kernel then detaches the
// steering program, whose link dies with the process).
func serve(p pinger, c *config) error {
	buf := make([]byte, 2048)
	for {
		n, err := p.recv(buf)
		if errors.Is(err, errNoReply) {
			continue
		}
		if err != nil {
			return err
		}
		footprint(c.footprint, c.footprintSame)
		touchData(c.footprintData)
		if err := p.send(buf[:n]); err != nil {
			return err
		}
	}
}

// errNoReply is returned by a pinger's recv when nothing arrived for two
// seconds: a lost frame, since nothing else slows a spinning peer that much.
var errNoReply = xdpping.ErrNoReply

func measure(p pinger, c *config) error {
	out := make([]byte, c.size)
	in := make([]byte, 2048)
	rtts := make([]time.Duration, 0, c.count)
	lost := 0
	for i := 0; i < c.count+c.warmup; i++ {
		out[0], out[1], out[2], out[3] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i)
		t0 := time.Now()
		if err := p.send(out); err != nil {
			return err
		}
		n, err := p.recv(in)
		for err == nil && n >= 4 && in[3] != out[3] && seq(in) < i {
			n, err = p.recv(in) // a late reply to a resent warm-up message
		}
		if errors.Is(err, errNoReply) && i < c.warmup {
			// Warm-up covers the path's first use; resend, and say so.
			lost++
			i--
			continue
		}
		if err != nil {
			return fmt.Errorf("round trip %d: %w", i, err)
		}
		rtt := time.Since(t0)
		if n != c.size || seq(in) != i {
			return fmt.Errorf("round trip %d: got %d bytes % x, want %d bytes % x", i, n, in[:min(n, 4)], c.size, out[:4])
		}
		if i >= c.warmup {
			rtts = append(rtts, rtt)
		}
	}
	if lost > 0 {
		fmt.Printf("warm-up messages resent after 2s without a reply: %d\n", lost)
	}
	slices.Sort(rtts)
	us := func(q float64) float64 {
		return float64(rtts[min(len(rtts)-1, int(q*float64(len(rtts))))].Nanoseconds()) / 1e3
	}
	fmt.Printf("message size: %d [B]\n", c.size)
	fmt.Printf("roundtrip count: %d\n", c.count)
	fmt.Printf("latency percentiles [us]: p50=%.2f p90=%.2f p99=%.2f p99.9=%.2f max=%.2f\n",
		us(0.50), us(0.90), us(0.99), us(0.999), float64(rtts[len(rtts)-1].Nanoseconds())/1e3)
	return nil
}
