package vethtest_test

import (
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/zmqx/zmqx/bpf"
	"github.com/zmqx/zmqx/internal/netns"
	"github.com/zmqx/zmqx/internal/udpframe"
	"github.com/zmqx/zmqx/internal/vethtest"
	"github.com/zmqx/zmqx/internal/ztest"
	"github.com/zmqx/zmqx/xdp"
)

// read reads one datagram from c; the deadline only turns a hang into a
// failure.
func read(t *testing.T, c *net.UDPConn) (string, netip.AddrPort) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 2048)
	n, from, err := c.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatalf("reading on %v: %v", c.LocalAddr(), err)
	}
	return string(buf[:n]), from
}

func TestRoutedLayout(t *testing.T) {
	r := vethtest.NewRouted(t, 2)
	if r.RA.NS != r.RB.NS || r.A.NS == r.RA.NS || r.B.NS == r.RA.NS || r.A.NS == r.B.NS {
		t.Fatalf("namespaces: A %s, RA %s, RB %s, B %s", r.A.NS, r.RA.NS, r.RB.NS, r.B.NS)
	}
	for _, s := range r.Sides() {
		if s.Index == 0 || len(s.MAC) != 6 || !s.Addr.Is4() || s.Queues != 2 {
			t.Fatalf("side %+v", *s)
		}
		out, err := s.Exec(t, "ip", "-d", "link", "show", "dev", s.Link)
		if err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if !strings.Contains(out, "numtxqueues 2 numrxqueues 2") {
			t.Fatalf("%s: queues not 2/2: %s", s.Link, out)
		}
	}
	out, err := r.RA.Exec(t, "cat", "/proc/sys/net/ipv4/ip_forward")
	if err != nil || strings.TrimSpace(out) != "1" {
		t.Fatalf("forwarding in the router: %q, %v", out, err)
	}
	// Hosts forward nothing: only R is a router.
	if out, _ := r.A.Exec(t, "cat", "/proc/sys/net/ipv4/ip_forward"); strings.TrimSpace(out) != "0" {
		t.Fatalf("forwarding in A: %q", out)
	}
}

// TestRoutedKernelUDP: a datagram from A reaches B through R with R's TTL
// decrement, and B's answer comes back.
func TestRoutedKernelUDP(t *testing.T) {
	r := vethtest.NewRouted(t, 1)
	a, b := r.A.ListenUDP(t, 6000), r.B.ListenUDP(t, 6001)
	if _, err := a.WriteToUDPAddrPort([]byte("a->b"), netip.AddrPortFrom(r.B.Addr, 6001)); err != nil {
		t.Fatal(err)
	}
	if got, from := read(t, b); got != "a->b" || from != netip.AddrPortFrom(r.A.Addr, 6000) {
		t.Fatalf("B got %q from %v", got, from)
	}
	if _, err := b.WriteToUDPAddrPort([]byte("b->a"), netip.AddrPortFrom(r.A.Addr, 6000)); err != nil {
		t.Fatal(err)
	}
	if got, from := read(t, a); got != "b->a" || from != netip.AddrPortFrom(r.B.Addr, 6001) {
		t.Fatalf("A got %q from %v", got, from)
	}
	// The hosts reach each other only through R: their routes say so.
	out, err := r.A.Exec(t, "ip", "-4", "route", "get", r.B.Addr.String())
	if err != nil || !strings.Contains(out, "via "+r.RA.Addr.String()) {
		t.Fatalf("A's route to B: %q, %v", out, err)
	}
}

// TestRoutedAFXDP: frames an AF_XDP socket on A builds and transmits are
// forwarded by R to a plain kernel UDP socket on B, and B's kernel reply,
// forwarded back by R, is steered into the same AF_XDP socket. Run in both
// attach modes of A's steering program, and once more with an XDP_PASS
// program on R's receiving device.
func TestRoutedAFXDP(t *testing.T) {
	for _, c := range []struct {
		name string
		mode bpf.AttachMode
		pass bool
	}{
		{"generic", bpf.AttachGeneric, false},
		{"native", bpf.AttachNative, false},
		{"native+pass-on-router", bpf.AttachNative, true},
	} {
		t.Run(c.name, func(t *testing.T) { testRoutedAFXDP(t, c.mode, c.pass) })
	}
}

func testRoutedAFXDP(t *testing.T, mode bpf.AttachMode, pass bool) {
	const aPort, bPort = 7100, 7101
	r := vethtest.NewRouted(t, 1)
	if pass {
		r.RA.AttachPass(t)
		if got := r.RA.XDPAttached(t); got != "xdp" {
			t.Fatalf("RA shows %q attached after AttachPass", got)
		}
	}
	b := r.B.ListenUDP(t, bPort)
	xsk := vethtest.OpenXSK(t, r.A.NS, r.A.Index, 256, xdp.SocketOptions{RxFrames: 128, TxFrames: 128})
	// Registered after OpenXSK's cleanup, so it runs first: detach, then
	// the socket, then the Umem.
	var steer *bpf.Steering
	t.Cleanup(func() {
		if steer != nil {
			steer.Close()
		}
	})
	err := netns.Do(r.A.NS, func() (err error) {
		if steer, err = bpf.Attach(r.A.Index, bpf.Options{Mode: mode}); err != nil {
			return err
		}
		if err := steer.RegisterSocket(0, xsk.FD()); err != nil {
			return err
		}
		return steer.RegisterPort(aPort)
	})
	if err != nil {
		t.Fatal(err)
	}

	h := udpframe.Header{
		DstMAC: [6]byte(r.RA.MAC), SrcMAC: [6]byte(r.A.MAC),
		Src: netip.AddrPortFrom(r.A.Addr, aPort), Dst: netip.AddrPortFrom(r.B.Addr, bPort),
	}
	const rounds = 3
	for i := range rounds {
		msg := "xsk-" + string(rune('0'+i))
		var tx [1]xdp.Desc
		if xsk.NextTx(tx[:]) != 1 {
			t.Fatal("no free TX frame")
		}
		f, err := udpframe.Append(xsk.Frame(tx[0])[:0], &h, []byte(msg))
		if err != nil {
			t.Fatal(err)
		}
		tx[0].Len = uint32(len(f))
		if n, err := xsk.Transmit(tx[:]); n != 1 || err != nil {
			t.Fatalf("Transmit: %d, %v", n, err)
		}
		got, from := read(t, b)
		if got != msg || from != h.Src {
			t.Fatalf("B got %q from %v, want %q from %v", got, from, msg, h.Src)
		}
		if _, err := b.WriteToUDPAddrPort([]byte("re-"+msg), from); err != nil {
			t.Fatal(err)
		}
		rh, payload := readXSK(t, xsk)
		if payload != "re-"+msg || rh.Src != h.Dst || rh.Dst != h.Src {
			t.Fatalf("A's AF_XDP socket got %q %v->%v", payload, rh.Src, rh.Dst)
		}
		// R's forwarding shows in the frame: R's MAC as source, TTL spent.
		if rh.SrcMAC != [6]byte(r.RA.MAC) || rh.DstMAC != [6]byte(r.A.MAC) {
			t.Fatalf("reply MACs %x->%x, want %x->%x", rh.SrcMAC, rh.DstMAC, r.RA.MAC, r.A.MAC)
		}
		if rh.TTL != 63 {
			t.Fatalf("reply TTL %d, want 63 (one hop)", rh.TTL)
		}
	}
	if c, err := steer.Counters(); err != nil || c.Steered != rounds {
		t.Fatalf("steering counters %+v, %v; want %d steered", c, err, rounds)
	}
}

// readXSK receives one UDP frame on s and returns its header and payload.
func readXSK(t *testing.T, s *xdp.Socket) (udpframe.Header, string) {
	t.Helper()
	var d [1]xdp.Desc
	for idle := 0; ; {
		n, err := s.Receive(d[:])
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if ok, _ := s.Wait(100); !ok {
			if idle++; idle == 100 {
				t.Fatal("nothing reached the AF_XDP socket in 10s")
			}
		}
	}
	h, p, err := udpframe.Parse(s.Frame(d[0]))
	payload := string(p)
	s.Release(d[:])
	if err != nil {
		t.Fatalf("frame on the AF_XDP socket: %v", err)
	}
	return h, payload
}

// TestMain fails the run when tests leave goroutines or descriptors behind.
func TestMain(m *testing.M) { ztest.Main(m) }
