package nexthop_test

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zmqx/zmqx/internal/netns"
	"github.com/zmqx/zmqx/internal/nexthop"
	"github.com/zmqx/zmqx/internal/vethtest"
	"github.com/zmqx/zmqx/internal/ztest"
)

// TestMain fails the run when tests leave goroutines or descriptors behind.
func TestMain(m *testing.M) { ztest.Main(m) }

// in runs fn in s's namespace and fails the test on its error.
func in(t *testing.T, s *vethtest.Side, fn func() error) {
	t.Helper()
	if err := netns.Do(s.NS, fn); err != nil {
		t.Fatal(err)
	}
}

// neighShow is `ip neigh show` for s's device.
func neighShow(t *testing.T, s *vethtest.Side) string {
	t.Helper()
	out, err := s.Exec(t, "ip", "neigh", "show", "dev", s.Link)
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return strings.TrimSpace(out)
}

func ctx(t *testing.T) context.Context { return ztest.Ctx(t) }

// TestOnLink: a destination on A's subnet is its own next hop, and its MAC
// is found by a resolution Neighbour starts, from an empty table.
func TestOnLink(t *testing.T) {
	p := vethtest.New(t, 1)
	p.A.FlushNeigh(t)
	if got := neighShow(t, &p.A); got != "" {
		t.Fatalf("neighbour table not empty after the flush: %q", got)
	}
	var h nexthop.Hop
	in(t, &p.A, func() error {
		var err error
		h, err = nexthop.Resolve(ctx(t), p.B.Addr)
		return err
	})
	want := nexthop.Hop{
		Ifindex: p.A.Index, Iface: p.A.Link, Src: p.A.Addr, NextHop: p.B.Addr,
		SrcMAC: p.A.MAC, DstMAC: p.B.MAC, MTU: 1500,
	}
	checkHop(t, h, want)
	// The kernel's ARP did it: the entry is there now.
	if got := neighShow(t, &p.A); !strings.Contains(got, p.B.MAC.String()) {
		t.Fatalf("neighbour table after Resolve: %q", got)
	}
	// Again, now from the table, and through Neighbour alone.
	in(t, &p.A, func() error {
		mac, err := nexthop.Neighbour(ctx(t), p.A.Index, p.B.Addr)
		if err == nil && mac.String() != p.B.MAC.String() {
			t.Errorf("Neighbour from the table: %v, want %v", mac, p.B.MAC)
		}
		return err
	})
}

func checkHop(t *testing.T, got, want nexthop.Hop) {
	t.Helper()
	if got.Ifindex != want.Ifindex || got.Iface != want.Iface || got.Src != want.Src ||
		got.Gateway != want.Gateway || got.NextHop != want.NextHop || got.MTU != want.MTU ||
		got.SrcMAC.String() != want.SrcMAC.String() || got.DstMAC.String() != want.DstMAC.String() {
		t.Fatalf("hop\n got %+v\nwant %+v", got, want)
	}
}

// TestViaRouter: a destination on the far subnet goes to R, and the MAC is
// R's on A's link; from B the same through R's other device. The route's
// MTU wins over the interface's when the route has one.
func TestViaRouter(t *testing.T) {
	r := vethtest.NewRouted(t, 1)
	r.A.FlushNeigh(t)
	var h nexthop.Hop
	in(t, &r.A, func() error {
		var err error
		h, err = nexthop.Resolve(ctx(t), r.B.Addr)
		return err
	})
	checkHop(t, h, nexthop.Hop{
		Ifindex: r.A.Index, Iface: r.A.Link, Src: r.A.Addr, Gateway: r.RA.Addr, NextHop: r.RA.Addr,
		SrcMAC: r.A.MAC, DstMAC: r.RA.MAC, MTU: 1500,
	})
	in(t, &r.B, func() error {
		var err error
		h, err = nexthop.Resolve(ctx(t), r.A.Addr)
		return err
	})
	checkHop(t, h, nexthop.Hop{
		Ifindex: r.B.Index, Iface: r.B.Link, Src: r.B.Addr, Gateway: r.RB.Addr, NextHop: r.RB.Addr,
		SrcMAC: r.B.MAC, DstMAC: r.RB.MAC, MTU: 1500,
	})
	// From the router both hosts are on-link, each on its own device.
	in(t, &r.RA, func() error {
		var err error
		h, err = nexthop.Resolve(ctx(t), r.B.Addr)
		return err
	})
	checkHop(t, h, nexthop.Hop{
		Ifindex: r.RB.Index, Iface: r.RB.Link, Src: r.RB.Addr, NextHop: r.B.Addr,
		SrcMAC: r.RB.MAC, DstMAC: r.B.MAC, MTU: 1500,
	})
	// A route with its own MTU and preferred source.
	if out, err := r.A.Exec(t, "ip", "route", "add", "10.78.9.0/24", "via", r.RA.Addr.String(),
		"mtu", "1400", "src", r.A.Addr.String()); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	in(t, &r.A, func() error {
		var err error
		h, err = nexthop.Route(netip.MustParseAddr("10.78.9.7"))
		return err
	})
	checkHop(t, h, nexthop.Hop{
		Ifindex: r.A.Index, Iface: r.A.Link, Src: r.A.Addr, Gateway: r.RA.Addr, NextHop: r.RA.Addr,
		SrcMAC: r.A.MAC, MTU: 1400,
	})
}

// TestNoRoute: destinations the kernel has no unicast route for fail with
// ErrNoRoute and say why.
func TestNoRoute(t *testing.T) {
	p := vethtest.New(t, 1)
	for _, args := range [][]string{
		{"route", "add", "unreachable", "10.90.1.0/24"},
		{"route", "add", "blackhole", "10.90.2.0/24"},
		{"route", "add", "prohibit", "10.90.3.0/24"},
	} {
		if out, err := p.A.Exec(t, "ip", args...); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	}
	for _, c := range []struct {
		dst   string
		errno error  // nil: not checked
		text  string // in the message
	}{
		{"10.99.0.1", unix.ENETUNREACH, "10.99.0.1"}, // no route at all
		{"10.90.1.1", unix.EHOSTUNREACH, "10.90.1.1"},
		{"10.90.2.1", unix.EINVAL, "10.90.2.1"},
		{"10.90.3.1", unix.EACCES, "10.90.3.1"},
		{p.A.Addr.String(), nil, "local"},
		{"10.77.0.255", nil, "broadcast"},
		{"127.0.0.1", nil, "local"},
	} {
		in(t, &p.A, func() error {
			h, err := nexthop.Route(netip.MustParseAddr(c.dst))
			if !errors.Is(err, nexthop.ErrNoRoute) {
				t.Errorf("Route(%s) = %+v, %v; want ErrNoRoute", c.dst, h, err)
				return nil
			}
			if c.errno != nil && !errors.Is(err, c.errno) {
				t.Errorf("Route(%s): %v; want %v inside", c.dst, err, c.errno)
			}
			if local := c.text == "local"; errors.Is(err, nexthop.ErrLocal) != local {
				t.Errorf("Route(%s): %v; ErrLocal inside: %v, want %v", c.dst, err, !local, local)
			}
			if !strings.Contains(err.Error(), c.text) {
				t.Errorf("Route(%s): %q does not say %q", c.dst, err, c.text)
			}
			// Resolve fails the same way, without waiting.
			if _, err := nexthop.Resolve(ctx(t), netip.MustParseAddr(c.dst)); !errors.Is(err, nexthop.ErrNoRoute) {
				t.Errorf("Resolve(%s): %v", c.dst, err)
			}
			return nil
		})
	}
	if _, err := nexthop.Route(netip.Addr{}); err == nil {
		t.Error("Route of the zero Addr succeeded")
	}
}

// TestNeverAnswers: an address on the subnet with no host behind it stays
// unresolved; the error comes when the context ends and names the address
// and the interface.
func TestNeverAnswers(t *testing.T) {
	p := vethtest.New(t, 1)
	ghost := netip.MustParseAddr("10.77.0.99")
	in(t, &p.A, func() error {
		c, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		mac, err := nexthop.Neighbour(c, p.A.Index, ghost)
		if !errors.Is(err, nexthop.ErrUnresolved) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Neighbour of a silent address: %v, %v", mac, err)
		}
		for _, s := range []string{ghost.String(), p.A.Link} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("error %q does not name %s", err, s)
			}
		}
		// Resolve, with a context cancelled rather than timed out.
		c2, cancel2 := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel2)
		if _, err := nexthop.Resolve(c2, ghost); !errors.Is(err, nexthop.ErrUnresolved) || !errors.Is(err, context.Canceled) {
			t.Fatalf("Resolve of a silent address: %v", err)
		}
		return nil
	})
	// The kernel did try: its entry for the address is not usable.
	if got := neighShow(t, &p.A); !strings.Contains(got, ghost.String()) ||
		!(strings.Contains(got, "INCOMPLETE") || strings.Contains(got, "FAILED")) {
		t.Fatalf("neighbour table: %q", got)
	}
}

// TestNeighbourTable: entries the table already holds are used as they
// are, STALE included; bad arguments fail at once.
func TestNeighbourTable(t *testing.T) {
	p := vethtest.New(t, 1)
	fake := net.HardwareAddr{0x02, 0, 0, 0, 0x12, 0x34}
	for _, c := range []struct{ addr, nud string }{{"10.77.0.50", "stale"}, {"10.77.0.51", "permanent"}} {
		if out, err := p.A.Exec(t, "ip", "neigh", "replace", c.addr, "lladdr", fake.String(), "dev", p.A.Link, "nud", c.nud); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	}
	in(t, &p.A, func() error {
		for _, a := range []string{"10.77.0.50", "10.77.0.51"} {
			mac, err := nexthop.Neighbour(ctx(t), p.A.Index, netip.MustParseAddr(a))
			if err != nil || mac.String() != fake.String() {
				t.Errorf("Neighbour(%s) = %v, %v; want %v", a, mac, err, fake)
			}
		}
		if _, err := nexthop.Neighbour(ctx(t), 0, p.B.Addr); err == nil {
			t.Error("ifindex 0 accepted")
		}
		if _, err := nexthop.Neighbour(ctx(t), 99999, p.B.Addr); err == nil {
			t.Error("a missing interface accepted")
		}
		if _, err := nexthop.Neighbour(ctx(t), p.A.Index, netip.Addr{}); err == nil {
			t.Error("the zero Addr accepted")
		}
		return nil
	})
}

// TestIPv6: the same answers for IPv6, on-link and through a gateway,
// with neighbour discovery in place of ARP. (On interfaces this fresh the
// kernel's first IPv6 resolution took about two seconds on the
// development machine, from the trigger to the REACHABLE notification;
// later ones took well under a millisecond. The cause was not looked into.)
func TestIPv6(t *testing.T) {
	p := vethtest.New(t, 1)
	for _, s := range []struct {
		side *vethtest.Side
		addr string
	}{{&p.A, "fd77::1/64"}, {&p.B, "fd77::2/64"}} {
		if out, err := s.side.Exec(t, "ip", "-6", "addr", "add", s.addr, "dev", s.side.Link, "nodad"); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	}
	if out, err := p.A.Exec(t, "ip", "-6", "route", "add", "fd99::/64", "via", "fd77::2"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	p.A.FlushNeigh(t)
	a, b := netip.MustParseAddr("fd77::1"), netip.MustParseAddr("fd77::2")
	var on, via nexthop.Hop
	in(t, &p.A, func() error {
		var err error
		if on, err = nexthop.Resolve(ctx(t), b); err != nil {
			return err
		}
		via, err = nexthop.Resolve(ctx(t), netip.MustParseAddr("fd99::5"))
		return err
	})
	checkHop(t, on, nexthop.Hop{
		Ifindex: p.A.Index, Iface: p.A.Link, Src: a, NextHop: b, SrcMAC: p.A.MAC, DstMAC: p.B.MAC, MTU: 1500,
	})
	checkHop(t, via, nexthop.Hop{
		Ifindex: p.A.Index, Iface: p.A.Link, Src: a, Gateway: b, NextHop: b, SrcMAC: p.A.MAC, DstMAC: p.B.MAC, MTU: 1500,
	})
}

// TestFailedThenAnswered: with the kernel giving up after one 50ms probe,
// a silent address goes FAILED and Neighbour asks again each time, until
// its context ends; and when a host takes the address while Neighbour
// waits (after the kernel has failed at least once), the next request is
// answered and Neighbour returns.
func TestFailedThenAnswered(t *testing.T) {
	p := vethtest.New(t, 1)
	ghost := netip.MustParseAddr("10.77.0.99")
	in(t, &p.A, func() error {
		dir := "/proc/sys/net/ipv4/neigh/" + p.A.Link + "/"
		for file, v := range map[string]string{"mcast_solicit": "1", "ucast_solicit": "1", "retrans_time_ms": "50"} {
			if err := os.WriteFile(dir+file, []byte(v), 0); err != nil {
				return err
			}
		}
		c, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
		defer cancel()
		_, err := nexthop.Neighbour(c, p.A.Index, ghost)
		if !errors.Is(err, nexthop.ErrUnresolved) || !strings.Contains(err.Error(), "FAILED") {
			t.Fatalf("silent address: %v", err)
		}
		return nil
	})

	// Watch A's table with `ip monitor`, start a long Neighbour, and give
	// B the address only once the kernel has reported FAILED again.
	mon := exec.Command("ip", "-n", p.A.NS, "monitor", "neigh")
	out, err := mon.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := mon.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { mon.Process.Kill(); mon.Wait() }()
	type result struct {
		mac net.HardwareAddr
		err error
	}
	done := make(chan result, 1)
	wait := ctx(t)
	go func() {
		var r result
		r.err = netns.Do(p.A.NS, func() error {
			var err error
			r.mac, err = nexthop.Neighbour(wait, p.A.Index, ghost)
			return err
		})
		done <- r
	}()
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if l := lines.Text(); strings.HasPrefix(l, ghost.String()+" ") && strings.Contains(l, "FAILED") {
			break
		}
	}
	if out, err := p.B.Exec(t, "ip", "addr", "add", ghost.String()+"/24", "dev", p.B.Link); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	r := <-done
	if r.err != nil || r.mac.String() != p.B.MAC.String() {
		t.Fatalf("Neighbour after the address appeared: %v, %v; want %v", r.mac, r.err, p.B.MAC)
	}
}
