package bpf_test

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/zmqx/zmqx/bpf"
	"github.com/zmqx/zmqx/internal/netns"
	"github.com/zmqx/zmqx/internal/nexthop"
	"github.com/zmqx/zmqx/internal/udpframe"
	"github.com/zmqx/zmqx/internal/vethtest"
	"github.com/zmqx/zmqx/internal/ztest"
	"github.com/zmqx/zmqx/xdp"
)

const (
	lossPort  = 7300 // selected for loss
	otherPort = 7301 // never selected
	// window is how many datagrams are in flight at once: few enough that
	// no queue on the way (veth ring, backlog, B's socket buffer) can
	// overflow, so the loss program is the only place datagrams are lost.
	window = 32
)

// lossRig is the routed network with the loss program on the router's
// device facing A, kernel UDP sockets on B for both ports and a sender on A.
type lossRig struct {
	r           *vethtest.Routed
	loss        *bpf.Loss
	a           *net.UDPConn
	bLoss, bOth *net.UDPConn
	ctx         context.Context
	// xmit sends one datagram from A; the kernel socket a unless set.
	xmit func(t *testing.T, port uint16, payload []byte)
}

func newLossRig(t *testing.T, o bpf.LossOptions) *lossRig {
	t.Helper()
	g := &lossRig{r: vethtest.NewRouted(t, 1), ctx: ztest.Ctx(t)}
	g.a = g.r.A.ListenUDP(t, 7302)
	g.bLoss, g.bOth = g.r.B.ListenUDP(t, lossPort), g.r.B.ListenUDP(t, otherPort)
	// One datagram resolves A's and R's neighbours first, so no datagram of
	// the measurement waits in an ARP queue. It goes before the program is
	// attached: a program that drops on every port could drop it.
	g.send(t, otherPort, 0)
	if seq := g.recv(t, g.bOth); seq != 0 {
		t.Fatalf("warm-up datagram %d", seq)
	}
	err := netns.Do(g.r.RA.NS, func() error {
		var err error
		g.loss, err = bpf.AttachLoss(g.r.RA.Index, o)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.loss.Close() })
	return g
}

func (g *lossRig) counters(t *testing.T) bpf.LossCounters {
	t.Helper()
	c, err := g.loss.Counters()
	if err != nil {
		t.Fatal(err)
	}
	if c.Seen < c.Dropped+c.Passed {
		t.Fatalf("counters %+v: seen is less than dropped+passed", c)
	}
	return c
}

func (g *lossRig) send(t *testing.T, port uint16, seq uint32) {
	t.Helper()
	b := binary.BigEndian.AppendUint32(nil, seq)
	if g.xmit != nil {
		g.xmit(t, port, b)
		return
	}
	if _, err := g.a.WriteToUDPAddrPort(b, netip.AddrPortFrom(g.r.B.Addr, port)); err != nil {
		t.Fatal(err)
	}
}

// recv reads one datagram's sequence number; the deadline turns a hang
// into a failure.
func (g *lossRig) recv(t *testing.T, c *net.UDPConn) uint32 {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var b [16]byte
	n, err := c.Read(b[:])
	if err != nil || n != 4 {
		t.Fatalf("B on %v: %d bytes, %v", c.LocalAddr(), n, err)
	}
	return binary.BigEndian.Uint32(b[:])
}

// stream sends n datagrams numbered from 0 to port, window by window:
// after each window it waits for the router's program to have matched
// them (when port is selected) and reads on B exactly what the program
// did not drop. It returns how many B received; every sequence number is
// checked to arrive at most once.
func (g *lossRig) stream(t *testing.T, port uint16, n int, selected bool) int {
	t.Helper()
	c := g.bOth
	if port == lossPort {
		c = g.bLoss
	}
	start := g.counters(t)
	seen := make([]bool, n)
	got := 0
	for sent := 0; sent < n; {
		w := min(window, n-sent)
		for i := range w {
			g.send(t, port, uint32(sent+i))
		}
		sent += w
		cur := g.counters(t)
		if selected {
			// The router processes a window as it is sent; this waits on
			// its counter, not on time.
			for cur.Matched-start.Matched < uint64(sent) {
				if g.ctx.Err() != nil {
					t.Fatalf("the router matched %d of %d datagrams", cur.Matched-start.Matched, sent)
				}
				runtime.Gosched()
				cur = g.counters(t)
			}
		}
		for want := sent - int(cur.Dropped-start.Dropped); got < want; got++ {
			seq := g.recv(t, c)
			if seq >= uint32(n) || seen[seq] {
				t.Fatalf("datagram %d out of range or twice", seq)
			}
			seen[seq] = true
		}
	}
	return got
}

// TestLossThroughRouter: kernel UDP from A to B through R with 10% loss on
// R's ingress loses about 10% of 20,000 datagrams to the selected port,
// the counters agree with what B received, other ports lose nothing, and
// rate 0 drops nothing.
func TestLossThroughRouter(t *testing.T) {
	const n = 20000
	g := newLossRig(t, bpf.LossOptions{Mode: bpf.AttachNative, PerMillion: 100_000, Ports: []uint16{lossPort}})
	if got := g.r.RA.XDPAttached(t); got != "xdp" || g.loss.Mode() != bpf.AttachNative {
		t.Fatalf("attached as %q (%s), want native", got, g.loss.Mode())
	}
	before := g.counters(t)
	got := g.stream(t, lossPort, n, true)
	c := g.counters(t)
	matched, dropped := c.Matched-before.Matched, c.Dropped-before.Dropped
	share := float64(dropped) / n
	t.Logf("sent %d, B received %d, the program dropped %d (%.2f%%)", n, got, dropped, 100*share)
	if matched != n || uint64(got)+dropped != n {
		t.Fatalf("matched %d, dropped %d, B received %d: do not add up to %d", matched, dropped, got, n)
	}
	if share < 0.05 || share > 0.15 {
		t.Fatalf("dropped %.2f%% at a 10%% rate", 100*share)
	}

	// Another port, same rate: untouched.
	before = g.counters(t)
	if got := g.stream(t, otherPort, 2000, false); got != 2000 {
		t.Fatalf("other port: B received %d of 2000", got)
	}
	if c := g.counters(t); c.Matched != before.Matched || c.Dropped != before.Dropped || c.Passed < before.Passed+2000 {
		t.Fatalf("other port moved the counters %+v -> %+v", before, c)
	}

	// Rate 0: the selected port loses nothing.
	if err := g.loss.SetRate(0); err != nil {
		t.Fatal(err)
	}
	before = g.counters(t)
	if got := g.stream(t, lossPort, 2000, true); got != 2000 {
		t.Fatalf("rate 0: B received %d of 2000", got)
	}
	if c := g.counters(t); c.Dropped != before.Dropped || c.Matched != before.Matched+2000 {
		t.Fatalf("rate 0: counters %+v -> %+v", before, c)
	}
}

// TestLossAllPorts: with no port set every UDP datagram is a candidate;
// bursts make losses come in runs.
func TestLossAllPorts(t *testing.T) {
	const n = 4000
	g := newLossRig(t, bpf.LossOptions{PerMillion: 50_000, Burst: 3})
	before := g.counters(t)
	got := g.stream(t, otherPort, n, true)
	c := g.counters(t)
	dropped := c.Dropped - before.Dropped
	t.Logf("burst 3 at 5%%: B received %d of %d, dropped %d", got, n, dropped)
	if c.Matched-before.Matched != n || uint64(got)+dropped != n {
		t.Fatalf("matched %d, dropped %d, received %d of %d", c.Matched-before.Matched, dropped, got, n)
	}
	// Runs of K+1=4 starting with probability p=5% lose p(K+1)/(1+pK),
	// about 17% of the datagrams: far more than single drops would.
	if share := float64(dropped) / n; share < 0.08 || share > 0.30 {
		t.Fatalf("dropped %.2f%% with bursts of 4 at 5%%", 100*share)
	}
}

// TestLossAFXDP: frames an AF_XDP socket on A transmits, addressed with
// what nexthop.Resolve reports, cross R and lose their share there too,
// which tc netem on A could not arrange (AF_XDP transmit bypasses qdiscs).
func TestLossAFXDP(t *testing.T) {
	const n = 5000
	g := newLossRig(t, bpf.LossOptions{PerMillion: 100_000, Ports: []uint16{lossPort}})
	var hop nexthop.Hop
	err := netns.Do(g.r.A.NS, func() (err error) {
		hop, err = nexthop.Resolve(g.ctx, g.r.B.Addr)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	xsk := vethtest.OpenXSK(t, g.r.A.NS, hop.Ifindex, 256, xdp.SocketOptions{RxFrames: 64, TxFrames: 128})
	if hop.Ifindex != g.r.A.Index || hop.NextHop != g.r.RA.Addr || hop.DstMAC.String() != g.r.RA.MAC.String() {
		t.Fatalf("A's hop to B: %+v", hop)
	}
	h := udpframe.Header{
		DstMAC: [6]byte(hop.DstMAC), SrcMAC: [6]byte(hop.SrcMAC),
		Src: netip.AddrPortFrom(hop.Src, 7303),
	}
	g.xmit = func(t *testing.T, port uint16, payload []byte) {
		t.Helper()
		var tx [1]xdp.Desc
		for xsk.NextTx(tx[:]) != 1 {
			if g.ctx.Err() != nil {
				t.Fatal("no TX frame came back from the kernel")
			}
			runtime.Gosched()
		}
		h.Dst = netip.AddrPortFrom(g.r.B.Addr, port)
		f, err := udpframe.Append(xsk.Frame(tx[0])[:0], &h, payload)
		if err != nil {
			t.Fatal(err)
		}
		tx[0].Len = uint32(len(f))
		if k, err := xsk.Transmit(tx[:]); k != 1 || err != nil {
			t.Fatalf("Transmit: %d, %v", k, err)
		}
	}
	before := g.counters(t)
	got := g.stream(t, lossPort, n, true)
	c := g.counters(t)
	dropped := c.Dropped - before.Dropped
	t.Logf("AF_XDP: sent %d, B received %d, dropped %d", n, got, dropped)
	if c.Matched-before.Matched != n || uint64(got)+dropped != n {
		t.Fatalf("matched %d, dropped %d, received %d of %d", c.Matched-before.Matched, dropped, got, n)
	}
	// 5,000 draws at 10%: the standard deviation is 21 datagrams.
	if share := float64(dropped) / n; share < 0.05 || share > 0.15 {
		t.Fatalf("dropped %.2f%% at a 10%% rate", 100*share)
	}
}
