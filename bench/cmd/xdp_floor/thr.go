package main

import (
	"errors"
	"fmt"
	"net"
	"time"
)

// zmtpWire is what one 64-byte ZMTP message takes on a stream: a short
// frame's two header bytes (flags, size) and its 64 bytes.
const zmtpWire = 64 + 2

// thrEnd is one end of a throughput run.
type thrEnd interface {
	// send hands one batch to the kernel and reports how many datagrams
	// (or writes) and payload bytes it took; 0 when it took none yet.
	send() (n, bytes int, err error)
	// recv takes what has arrived, without waiting.
	recv() (n, bytes int, err error)
	// unit names what n counts: "datagrams", or for TCP "writes"/"reads".
	unit() string
	// report is a line of counters for the end of the run, or "".
	report() string
	// wait parks until something may have arrived (or a short timeout),
	// for a receiver that does not spin (-block).
	wait() error
	close() error
}

// runThr is run for -mode thr (addresses, MAC and transport already
// checked).
func runThr(c *config) error {
	if c.role != "client" && c.role != "server" {
		return fmt.Errorf("-role %q: want client (sends) or server (counts)", c.role)
	}
	if c.duration <= 0 || c.warmupTime < 0 || c.batch < 1 {
		return errors.New("-duration, -warmup-time, -batch: out of range")
	}
	if !c.sizeSet {
		switch c.transport {
		case "tcp":
			c.size = 64 << 10
		default:
			ifc, err := net.InterfaceByName(c.iface)
			if err != nil {
				return fmt.Errorf("-iface (the payload size is the MTU's unless -size): %w", err)
			}
			c.size = ifc.MTU - 20 - 8
		}
	}
	if c.size < 1 || c.size > 1<<20 {
		return errors.New("-size: 1 byte to 1 MiB")
	}
	if err := c.pin(); err != nil {
		return err
	}
	var e thrEnd
	var err error
	if c.transport == "xdp" {
		e, err = openXDPThr(c)
	} else {
		e, err = openKernelThr(c)
	}
	if err != nil {
		return err
	}
	defer e.close()
	fmt.Println("ready")
	if c.role == "server" {
		return count(e, c)
	}
	return flood(e, c)
}

// usage is a snapshot of the process's CPU time.
type usage struct {
	at        time.Time
	user, sys time.Duration
}

func snapshot() usage {
	u, s := cpuTimes()
	return usage{at: time.Now(), user: u, sys: s}
}

// cpuLine is the CPU share of one process between two snapshots, as the
// kernel accounts it (on veth the peer's receive path that runs in the
// sender's softirq is charged to the sender, mostly as system time), and
// what it moved per CPU-second: on a shared machine, where a pinned end
// does not get its whole CPU, the rate it would reach with the CPU to
// itself, if it is the bottleneck.
func cpuLine(who string, a, b usage, n, bytes int, unit string) string {
	wall := b.at.Sub(a.at).Seconds()
	cpu := (b.user - a.user + b.sys - a.sys).Seconds()
	if cpu <= 0 {
		return fmt.Sprintf("%s cpu: none accounted", who)
	}
	return fmt.Sprintf("%s cpu: user %.0f%% sys %.0f%%; per CPU-second: %.0f %s, %.1f MB, %.0f equivalent 64-byte ZMTP messages", who,
		100*(b.user-a.user).Seconds()/wall, 100*(b.sys-a.sys).Seconds()/wall,
		float64(n)/cpu, unit, float64(bytes)/1e6/cpu, float64(bytes)/zmtpWire/cpu)
}

// flood sends for warm-up + duration + a tail, so that the server's window
// (which starts at the first arrival) is covered.
func flood(e thrEnd, c *config) error {
	start := snapshot()
	end := start.at.Add(c.warmupTime + c.duration + 500*time.Millisecond)
	graceful := start.at.Add(c.warmupTime + c.duration)
	var n, bytes, idle int
	for i := 0; ; i++ {
		k, b, err := e.send()
		if err != nil {
			if time.Now().After(graceful) {
				break // the server is done and has gone (TCP: reset)
			}
			return fmt.Errorf("after %d %s: %w", n, e.unit(), err)
		}
		n, bytes = n+k, bytes+b
		if k == 0 {
			idle++
		}
		if i&63 == 0 && time.Now().After(end) {
			break
		}
	}
	stop := snapshot()
	secs := stop.at.Sub(start.at).Seconds()
	fmt.Printf("sent: %d %s, %.1f MB in %.2f s: %.0f %s/s, payload MB/s %.1f (calls that took nothing: %d)\n",
		n, e.unit(), float64(bytes)/1e6, secs, float64(n)/secs, e.unit(), float64(bytes)/1e6/secs, idle)
	fmt.Println(cpuLine("sender", start, stop, n, bytes, e.unit()))
	if r := e.report(); r != "" {
		fmt.Println(r)
	}
	return nil
}

// count measures what arrives over c.duration, starting c.warmupTime after
// the first arrival.
func count(e thrEnd, c *config) error {
	var n, bytes int
	var first, last time.Time
	var m0 usage
	var n0, b0 int
	waitUntil := time.Now().Add(10 * time.Second)
	for {
		k, b, err := e.recv()
		if err == nil && k == 0 && c.block {
			err = e.wait()
		}
		if err != nil {
			return fmt.Errorf("after %d %s: %w", n, e.unit(), err)
		}
		now := time.Now()
		if k > 0 {
			if first.IsZero() {
				first = now
			}
			n, bytes, last = n+k, bytes+b, now
		}
		switch {
		case first.IsZero():
			if now.After(waitUntil) {
				return errors.New("nothing arrived for 10s")
			}
			continue
		case now.Sub(last) > 2*time.Second:
			return fmt.Errorf("nothing arrived for 2s after %d %s", n, e.unit())
		case m0.at.IsZero() && now.Sub(first) >= c.warmupTime:
			m0 = snapshot()
			n0, b0 = n, bytes
		case !m0.at.IsZero() && now.Sub(m0.at) >= c.duration:
			m1 := snapshot()
			secs := m1.at.Sub(m0.at).Seconds()
			rate := float64(bytes-b0) / secs
			fmt.Printf("payload size: %d [B]\n", c.size)
			fmt.Printf("measured: %.2f s, from %.2f s after the first arrival\n", secs, m0.at.Sub(first).Seconds())
			fmt.Printf("%s/s: %.0f\n", e.unit(), float64(n-n0)/secs)
			fmt.Printf("payload MB/s: %.1f\n", rate/1e6)
			fmt.Printf("equivalent 64-byte ZMTP messages/s: %.0f\n", rate/zmtpWire)
			fmt.Println(cpuLine("receiver", m0, m1, n-n0, bytes-b0, e.unit()))
			if r := e.report(); r != "" {
				fmt.Println(r)
			}
			return nil
		}
	}
}
