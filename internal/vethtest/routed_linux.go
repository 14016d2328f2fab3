package vethtest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/zmqx/zmqx/internal/netns"
)

// Routed is three namespaces in a line, host A — router R — host B, joined
// by two veth pairs on two subnets:
//
//	A 10.78.1.1/24 <-> RA 10.78.1.254/24   [R forwards]   RB 10.78.2.254/24 <-> B 10.78.2.1/24
//
// A and B have default routes via the router's address on their subnet, so
// each reaches the other only through R. RA and RB are the router's two
// devices; they share one namespace (RA.NS == RB.NS).
type Routed struct {
	A, B   Side // the hosts
	RA, RB Side // the router's device facing A and the one facing B
}

// NewRouted creates the three namespaces and both veth pairs with queues
// queues on every device, turns forwarding on in the router, installs the
// hosts' default routes and registers the removal of everything with
// t.Cleanup (XDP programs first, then the namespaces).
//
// Nothing is attached to any device. Frames an AF_XDP socket on A transmits
// leave through the ordinary veth transmit path and are forwarded by R
// like any other; an XDP_REDIRECT into one of these devices (rather than an
// AF_XDP transmit) needs an XDP program on the receiving peer, which
// AttachPass provides.
func NewRouted(t testing.TB, queues int) *Routed {
	t.Helper()
	Skip(t)
	b := make([]byte, 4)
	rand.Read(b)
	id := hex.EncodeToString(b)
	rns := "zmqx-xdp-" + id + "-r"
	r := &Routed{
		A:  Side{NS: "zmqx-xdp-" + id + "-a", Link: "zra" + id, Addr: netip.MustParseAddr("10.78.1.1"), Queues: queues},
		RA: Side{NS: rns, Link: "zrra" + id, Addr: netip.MustParseAddr("10.78.1.254"), Queues: queues},
		RB: Side{NS: rns, Link: "zrrb" + id, Addr: netip.MustParseAddr("10.78.2.254"), Queues: queues},
		B:  Side{NS: "zmqx-xdp-" + id + "-b", Link: "zrb" + id, Addr: netip.MustParseAddr("10.78.2.1"), Queues: queues},
	}
	t.Cleanup(func() { r.remove(t) })
	q := fmt.Sprint(queues)
	for _, ns := range []string{r.A.NS, rns, r.B.NS} {
		run(t, "netns", "add", ns)
		run(t, "-n", ns, "link", "set", "dev", "lo", "up")
	}
	for _, pair := range [][2]*Side{{&r.A, &r.RA}, {&r.B, &r.RB}} {
		host, rtr := pair[0], pair[1]
		run(t, "-n", host.NS, "link", "add", host.Link, "numtxqueues", q, "numrxqueues", q,
			"type", "veth", "peer", "name", rtr.Link, "netns", rtr.NS, "numtxqueues", q, "numrxqueues", q)
		for _, s := range pair {
			s.up(t)
		}
		run(t, "-n", host.NS, "route", "add", "default", "via", rtr.Addr.String(), "dev", host.Link)
	}
	err := netns.Do(rns, func() error {
		// /proc/sys/net belongs to the namespace of the thread opening it.
		return os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1\n"), 0)
	})
	if err != nil {
		t.Fatalf("turning forwarding on in %s: %v", rns, err)
	}
	return r
}

// Sides lists the four devices: A, RA, RB, B.
func (r *Routed) Sides() []*Side { return []*Side{&r.A, &r.RA, &r.RB, &r.B} }

// up addresses s's device, brings it up and reads its index and MAC.
func (s *Side) up(t testing.TB) {
	t.Helper()
	run(t, "-n", s.NS, "addr", "add", s.Addr.String()+"/24", "dev", s.Link)
	run(t, "-n", s.NS, "link", "set", "dev", s.Link, "up")
	err := netns.Do(s.NS, func() error {
		ifc, err := net.InterfaceByName(s.Link)
		if err != nil {
			return err
		}
		s.Index, s.MAC = ifc.Index, ifc.HardwareAddr
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// FlushNeigh empties s's neighbour table for its device, so that the next
// frame to a neighbour needs a fresh ARP exchange.
func (s *Side) FlushNeigh(t testing.TB) {
	t.Helper()
	run(t, "-n", s.NS, "neigh", "flush", "dev", s.Link)
}

func (r *Routed) remove(t testing.TB) {
	for _, s := range r.Sides() {
		// Programs first, then the namespaces (which take the devices).
		exec.Command("ip", "-n", s.NS, "link", "set", "dev", s.Link, "xdp", "off").Run()
		exec.Command("ip", "-n", s.NS, "link", "set", "dev", s.Link, "xdpgeneric", "off").Run()
	}
	for _, ns := range []string{r.A.NS, r.RA.NS, r.B.NS} {
		if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil &&
			!strings.Contains(string(out), "No such file") {
			t.Errorf("removing namespace %s: %v: %s", ns, err, out)
		}
	}
}
