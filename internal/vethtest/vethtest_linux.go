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

// Side is one end of the pair: a namespace holding one veth device.
type Side struct {
	NS     string           // namespace name, for netns.Do and `ip -n`
	Link   string           // device name inside NS
	Index  int              // ifindex inside NS
	MAC    net.HardwareAddr // device's address
	Addr   netip.Addr       // IPv4 address on the device
	Queues int              // rx and tx queue count
}

// Pair is two Sides connected by veth.
type Pair struct {
	A, B Side
}

// Skip skips t unless the process can build the network: root and iproute2.
// Under zmqx's CI (ZMQX_CI set by .ci/run, which runs as root with iproute2
// installed) it fails t instead: a kernel-bypass test that did not run must
// not pass there as one that did. Elsewhere, other CI systems included, it
// skips with the reason.
func Skip(t testing.TB) {
	t.Helper()
	why := ""
	if os.Geteuid() != 0 {
		why = "needs root: creates network namespaces and attaches XDP programs"
	} else if _, err := exec.LookPath("ip"); err != nil {
		why = "needs iproute2's ip to create namespaces and veth devices"
	}
	if why == "" {
		return
	}
	if os.Getenv("ZMQX_CI") != "" {
		t.Fatalf("CI runs the kernel-bypass tests, and this one %s", why)
	}
	t.Skip(why)
}

// New creates the namespaces and the veth pair with queues queues per side
// and registers their removal with t.Cleanup.
func New(t testing.TB, queues int) *Pair {
	t.Helper()
	Skip(t)
	b := make([]byte, 4)
	rand.Read(b)
	id := hex.EncodeToString(b)
	p := &Pair{
		A: Side{NS: "zmqx-xdp-" + id + "-a", Link: "zxa" + id, Addr: netip.MustParseAddr("10.77.0.1"), Queues: queues},
		B: Side{NS: "zmqx-xdp-" + id + "-b", Link: "zxb" + id, Addr: netip.MustParseAddr("10.77.0.2"), Queues: queues},
	}
	t.Cleanup(func() { p.remove(t) })
	q := fmt.Sprint(queues)
	run(t, "netns", "add", p.A.NS)
	run(t, "netns", "add", p.B.NS)
	run(t, "-n", p.A.NS, "link", "add", p.A.Link, "numtxqueues", q, "numrxqueues", q,
		"type", "veth", "peer", "name", p.B.Link, "netns", p.B.NS, "numtxqueues", q, "numrxqueues", q)
	for _, s := range []*Side{&p.A, &p.B} {
		run(t, "-n", s.NS, "addr", "add", s.Addr.String()+"/24", "dev", s.Link)
		run(t, "-n", s.NS, "link", "set", "dev", s.Link, "up")
		run(t, "-n", s.NS, "link", "set", "dev", "lo", "up")
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
	return p
}

// Neigh installs static neighbour entries on both sides, so that frames
// built by an AF_XDP socket need no ARP exchange to be answered.
func (p *Pair) Neigh(t testing.TB) {
	t.Helper()
	run(t, "-n", p.A.NS, "neigh", "replace", p.B.Addr.String(), "lladdr", p.B.MAC.String(), "dev", p.A.Link, "nud", "permanent")
	run(t, "-n", p.B.NS, "neigh", "replace", p.A.Addr.String(), "lladdr", p.A.MAC.String(), "dev", p.B.Link, "nud", "permanent")
}

// XDPAttached reports the XDP attachment `ip link` shows for s's device
// ("" when none), e.g. "xdp" or "xdpgeneric".
func (s *Side) XDPAttached(t testing.TB) string {
	t.Helper()
	out := run(t, "-n", s.NS, "-d", "link", "show", "dev", s.Link)
	for _, f := range strings.Fields(out) {
		switch f {
		case "xdp", "xdpgeneric", "xdpdrv", "xdpoffload", "xdpmulti":
			return f
		}
	}
	return ""
}

// ListenUDP opens a kernel UDP socket on s's address and port inside s's
// namespace, closed when the test ends.
func (s *Side) ListenUDP(t testing.TB, port uint16) *net.UDPConn {
	t.Helper()
	var c *net.UDPConn
	err := netns.Do(s.NS, func() error {
		var err error
		c, err = net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(s.Addr, port)))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Exec runs a command inside s's namespace and returns its combined output.
func (s *Side) Exec(t testing.TB, name string, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"netns", "exec", s.NS, name}, args...)...).CombinedOutput()
	return string(out), err
}

func (p *Pair) remove(t testing.TB) {
	for _, s := range []*Side{&p.A, &p.B} {
		// Programs first, then the namespace (which takes the device).
		exec.Command("ip", "-n", s.NS, "link", "set", "dev", s.Link, "xdp", "off").Run()
		exec.Command("ip", "-n", s.NS, "link", "set", "dev", s.Link, "xdpgeneric", "off").Run()
	}
	for _, s := range []*Side{&p.A, &p.B} {
		if out, err := exec.Command("ip", "netns", "del", s.NS).CombinedOutput(); err != nil &&
			!strings.Contains(string(out), "No such file") {
			t.Errorf("removing namespace %s: %v: %s", s.NS, err, out)
		}
	}
}

func run(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
