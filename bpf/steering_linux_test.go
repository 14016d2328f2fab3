package bpf_test

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zmqx/zmqx/bpf"
	"github.com/zmqx/zmqx/internal/netns"
	"github.com/zmqx/zmqx/internal/udpframe"
	"github.com/zmqx/zmqx/internal/vethtest"
	"github.com/zmqx/zmqx/xdp"
)

const steeredPort = 7777

// rig is B with the program attached and one AF_XDP socket on queue 0,
// plus kernel sockets on both sides.
type rig struct {
	p     *vethtest.Pair
	steer *bpf.Steering
	umem  *xdp.Umem
	xsk   *xdp.Socket
	// kernel UDP sockets on B: one on the steered port, one on another
	kSteered, kOther *net.UDPConn
	// on A: a kernel UDP socket and a raw AF_PACKET socket on the veth
	aUDP   *net.UDPConn
	packet int
}

func newRig(t *testing.T, mode bpf.AttachMode) *rig {
	t.Helper()
	r := &rig{p: vethtest.New(t, 1), packet: -1}
	t.Cleanup(func() {
		if r.steer != nil {
			r.steer.Close()
		}
		for _, c := range []*net.UDPConn{r.kSteered, r.kOther, r.aUDP} {
			if c != nil {
				c.Close()
			}
		}
		if r.xsk != nil {
			r.xsk.Close()
		}
		if r.umem != nil {
			r.umem.Close()
		}
		if r.packet >= 0 {
			unix.Close(r.packet)
		}
	})
	B, A := &r.p.B, &r.p.A
	err := netns.Do(B.NS, func() error {
		var err error
		if r.steer, err = bpf.Attach(B.Index, bpf.Options{Mode: mode}); err != nil {
			return err
		}
		if r.umem, err = xdp.NewUmem(xdp.UmemOptions{FrameCount: 256}); err != nil {
			return err
		}
		if r.xsk, err = r.umem.Open(B.Index, 0, xdp.SocketOptions{RxFrames: 128, TxFrames: 128}); err != nil {
			return err
		}
		if err := r.steer.RegisterSocket(0, r.xsk.FD()); err != nil {
			return err
		}
		if err := r.steer.RegisterPort(steeredPort); err != nil {
			return err
		}
		if r.kSteered, err = net.ListenUDP("udp", &net.UDPAddr{Port: steeredPort}); err != nil {
			return err
		}
		r.kOther, err = net.ListenUDP("udp", &net.UDPAddr{Port: 8888})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = netns.Do(A.NS, func() error {
		var err error
		if r.aUDP, err = net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(A.Addr, 5000))); err != nil {
			return err
		}
		r.packet, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) counters(t *testing.T) bpf.Counters {
	t.Helper()
	c, err := r.steer.Counters()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sendUDP sends a datagram from A's kernel socket to B's port.
func (r *rig) sendUDP(t *testing.T, port int, msg string) {
	t.Helper()
	if _, err := r.aUDP.WriteToUDPAddrPort([]byte(msg), netip.AddrPortFrom(r.p.B.Addr, uint16(port))); err != nil {
		t.Fatal(err)
	}
}

// inject puts a raw frame on A's side of the veth.
func (r *rig) inject(t *testing.T, frame []byte) error {
	t.Helper()
	return unix.Sendto(r.packet, frame, 0, &unix.SockaddrLinklayer{Ifindex: r.p.A.Index, Halen: 6, Addr: [8]byte(append(r.p.B.MAC[:6:6], 0, 0))})
}

// readKernel reads one datagram from c, failing after ten seconds.
func readKernel(t *testing.T, c *net.UDPConn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 2048)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("kernel socket %v: %v", c.LocalAddr(), err)
	}
	return string(buf[:n])
}

// pending reports whether c has a datagram waiting, without blocking.
func pending(c *net.UDPConn) bool {
	c.SetReadDeadline(time.Now())
	buf := make([]byte, 2048)
	_, err := c.Read(buf)
	return err == nil
}

// readXSK receives one frame on the AF_XDP socket and returns its payload.
func (r *rig) readXSK(t *testing.T) (udpframe.Header, string) {
	t.Helper()
	var d [1]xdp.Desc
	for idle := 0; ; {
		n, err := r.xsk.Receive(d[:])
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if ok, _ := r.xsk.Wait(100); !ok {
			if idle++; idle == 100 {
				t.Fatal("nothing reached the AF_XDP socket in 10s")
			}
		}
	}
	h, p, err := udpframe.Parse(r.xsk.Frame(d[0]))
	if err != nil {
		// IPv6 or VLAN frames: hand back the raw frame.
		p = r.xsk.Frame(d[0])
	}
	s := string(p)
	r.xsk.Release(d[:])
	return h, s
}

func TestSteering(t *testing.T) {
	for _, mode := range []bpf.AttachMode{bpf.AttachGeneric, bpf.AttachNative} {
		t.Run(mode.String(), func(t *testing.T) { testSteering(t, mode) })
	}
}

func testSteering(t *testing.T, mode bpf.AttachMode) {
	r := newRig(t, mode)
	if r.steer.Mode() != mode {
		t.Fatalf("attached in %s mode, asked %s", r.steer.Mode(), mode)
	}
	want := map[bpf.AttachMode]string{bpf.AttachGeneric: "xdpgeneric", bpf.AttachNative: "xdp"}[mode]
	if got := r.p.B.XDPAttached(t); got != want {
		t.Fatalf("ip link shows %q attached, want %q", got, want)
	}

	// No static neighbour entries: A's first datagram needs an ARP
	// exchange, which only works if B's program passes ARP to B's kernel.
	r.sendUDP(t, steeredPort, "steered-1")
	if h, p := r.readXSK(t); p != "steered-1" || h.Src != netip.AddrPortFrom(r.p.A.Addr, 5000) {
		t.Fatalf("AF_XDP socket got %q from %v", p, h.Src)
	}
	r.sendUDP(t, 8888, "other-port")
	if got := readKernel(t, r.kOther); got != "other-port" {
		t.Fatalf("kernel socket on 8888 got %q", got)
	}
	// Same queue, same order: had the steered datagram been passed, the
	// kernel would have delivered it before the one to 8888.
	if pending(r.kSteered) {
		t.Fatal("a steered datagram also reached the kernel socket")
	}
	c := r.counters(t)
	if c.Steered != 1 || c.Malformed != 0 || c.Passed < 2 { // at least ARP and port 8888
		t.Fatalf("counters after one steered and one passed datagram (plus ARP): %+v", c)
	}

	// ICMP and TCP still reach B's kernel.
	pingFrom(t, &r.p.A, r.p.B.Addr)
	tcpRoundTrip(t, r.p)

	// IPv6 and VLAN-tagged UDP to the steered port are steered too.
	before := r.counters(t).Steered
	if err := r.inject(t, ipv6UDP(r.p, steeredPort, "v6")); err != nil {
		t.Fatal(err)
	}
	if _, p := r.readXSK(t); len(p) < 2 || p[len(p)-2:] != "v6" {
		t.Fatalf("IPv6 frame arrived as %q", p)
	}
	if err := r.inject(t, vlanUDP(t, r.p, steeredPort, "vlan")); err != nil {
		t.Fatal(err)
	}
	if _, p := r.readXSK(t); len(p) < 4 || p[len(p)-4:] != "vlan" {
		t.Fatalf("VLAN frame arrived as %q", p)
	}
	if got := r.counters(t).Steered; got != before+2 {
		t.Fatalf("steered %d after IPv6 and VLAN frames, want %d", got, before+2)
	}

	// Malformed frames are counted and passed, never steered.
	bad := malformed(t, r.p)
	before = r.counters(t).Malformed
	for _, f := range bad {
		if err := r.inject(t, f); err != nil {
			t.Fatalf("injecting a %d-byte frame: %v", len(f), err)
		}
	}
	// A well-formed datagram after them is the event that says they were
	// all processed (one queue, in order).
	r.sendUDP(t, 8888, "after-malformed")
	if got := readKernel(t, r.kOther); got != "after-malformed" {
		t.Fatalf("got %q", got)
	}
	if c := r.counters(t); c.Malformed != before+uint64(len(bad)) {
		t.Fatalf("malformed counter %d, want %d", c.Malformed, before+uint64(len(bad)))
	}

	// An owner without a socket on the queue loses nothing: the redirect
	// falls back to XDP_PASS.
	if err := r.steer.ReleaseSocket(0); err != nil {
		t.Fatal(err)
	}
	r.sendUDP(t, steeredPort, "no-socket")
	if got := readKernel(t, r.kSteered); got != "no-socket" {
		t.Fatalf("kernel socket got %q", got)
	}
	if err := r.steer.RegisterSocket(0, r.xsk.FD()); err != nil {
		t.Fatal(err)
	}
	// A released port goes back to the kernel.
	if err := r.steer.ReleasePort(steeredPort); err != nil {
		t.Fatal(err)
	}
	r.sendUDP(t, steeredPort, "released")
	if got := readKernel(t, r.kSteered); got != "released" {
		t.Fatalf("kernel socket got %q", got)
	}
	if err := r.steer.ReleasePort(steeredPort); err == nil {
		t.Fatal("releasing an unregistered port succeeded")
	}
	if err := r.steer.RegisterPort(steeredPort); err != nil {
		t.Fatal(err)
	}
	if err := r.steer.RegisterPort(steeredPort); err != nil {
		t.Fatalf("registering a port this owner holds: %v", err)
	}
	r.sendUDP(t, steeredPort, "again")
	if _, p := r.readXSK(t); p != "again" {
		t.Fatalf("after re-registering: %q", p)
	}

	// Closing the link removes the program: the port reaches the kernel.
	if err := r.steer.Close(); err != nil {
		t.Fatal(err)
	}
	r.steer = nil
	if got := r.p.B.XDPAttached(t); got != "" {
		t.Fatalf("program still attached (%s) after Close", got)
	}
	r.sendUDP(t, steeredPort, "detached")
	if got := readKernel(t, r.kSteered); got != "detached" {
		t.Fatalf("kernel socket got %q", got)
	}
}

func TestOwnerSlots(t *testing.T) {
	p := vethtest.New(t, 1)
	err := netns.Do(p.B.NS, func() error {
		if _, err := bpf.Attach(p.B.Index, bpf.Options{Owner: bpf.MaxOwners}); err == nil {
			return errors.New("owner out of range accepted")
		}
		s, err := bpf.Attach(p.B.Index, bpf.Options{Mode: bpf.AttachGeneric})
		if err != nil {
			return err
		}
		defer s.Close()
		if err := s.RegisterSocket(bpf.MaxQueues, 0); err == nil {
			return errors.New("queue out of range accepted")
		}
		// A second program cannot take the device while the link holds it.
		if s2, err := bpf.Attach(p.B.Index, bpf.Options{Mode: bpf.AttachGeneric}); err == nil {
			s2.Close()
			return errors.New("a second steering program attached in the same mode")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// pingFrom sends one ICMP echo request from side to dst through a raw
// socket made in side's namespace, and waits for the reply.
func pingFrom(t *testing.T, side *vethtest.Side, dst netip.Addr) {
	t.Helper()
	var c net.PacketConn
	err := netns.Do(side.NS, func() error {
		var err error
		c, err = net.ListenPacket("ip4:icmp", side.Addr.String())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	id := uint16(os.Getpid())
	msg := []byte{8, 0, 0, 0, byte(id >> 8), byte(id), 0, 1, 'z', 'm', 'q', 'x'}
	binary.BigEndian.PutUint16(msg[2:], udpframe.Checksum(msg))
	if _, err := c.WriteTo(msg, &net.IPAddr{IP: dst.AsSlice()}); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 1500)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no ICMP echo reply: %v", err)
		}
		if n >= 8 && buf[0] == 0 && binary.BigEndian.Uint16(buf[4:]) == id && from.String() == dst.String() {
			return
		}
	}
}

// tcpRoundTrip connects from A to a listener in B and echoes one message.
func tcpRoundTrip(t *testing.T, p *vethtest.Pair) {
	t.Helper()
	var l net.Listener
	if err := netns.Do(p.B.NS, func() error {
		var err error
		l, err = net.Listen("tcp4", netip.AddrPortFrom(p.B.Addr, 9000).String())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	done := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		buf := make([]byte, 4)
		if _, err := c.Read(buf); err != nil {
			done <- err
			return
		}
		_, err = c.Write(buf)
		done <- err
	}()
	var c net.Conn
	if err := netns.Do(p.A.NS, func() error {
		var err error
		c, err = net.DialTimeout("tcp4", netip.AddrPortFrom(p.B.Addr, 9000).String(), 10*time.Second)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := c.Read(buf); err != nil || string(buf) != "ping" {
		t.Fatalf("TCP echo: %q, %v", buf, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func ethHeader(p *vethtest.Pair, typ uint16) []byte {
	b := append([]byte{}, p.B.MAC...)
	b = append(b, p.A.MAC...)
	return binary.BigEndian.AppendUint16(b, typ)
}

func ipv6UDP(p *vethtest.Pair, port uint16, msg string) []byte {
	b := ethHeader(p, 0x86dd)
	b = append(b, 0x60, 0, 0, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(8+len(msg)))
	b = append(b, 17, 64)
	src := netip.MustParseAddr("fd00:77::1").As16()
	dst := netip.MustParseAddr("fd00:77::2").As16()
	b = append(b, src[:]...)
	b = append(b, dst[:]...)
	b = binary.BigEndian.AppendUint16(b, 5000)
	b = binary.BigEndian.AppendUint16(b, port)
	b = binary.BigEndian.AppendUint16(b, uint16(8+len(msg)))
	b = append(b, 0, 0)
	return append(b, msg...)
}

func vlanUDP(t *testing.T, p *vethtest.Pair, port uint16, msg string) []byte {
	h := udpframe.Header{
		DstMAC: [6]byte(p.B.MAC), SrcMAC: [6]byte(p.A.MAC),
		Src: netip.AddrPortFrom(p.A.Addr, 5000), Dst: netip.AddrPortFrom(p.B.Addr, port),
	}
	f, err := udpframe.Append(nil, &h, []byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	// Insert an 802.1Q tag (VLAN 77) before the IPv4 ethertype.
	out := append([]byte{}, f[:12]...)
	out = append(out, 0x81, 0x00, 0x00, 77)
	return append(out, f[12:]...)
}

// malformed returns frames the program must count as malformed.
func malformed(t *testing.T, p *vethtest.Pair) [][]byte {
	h := udpframe.Header{
		DstMAC: [6]byte(p.B.MAC), SrcMAC: [6]byte(p.A.MAC),
		Src: netip.AddrPortFrom(p.A.Addr, 5000), Dst: netip.AddrPortFrom(p.B.Addr, steeredPort),
	}
	good, err := udpframe.Append(nil, &h, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	clone := func() []byte { return append([]byte{}, good...) }
	shortIP := clone()[:14+10]
	badIHL := clone()
	badIHL[14] = 0x43
	longIHL := clone()[:14+20+4] // says 20-byte header, but the UDP header is cut
	bigIHL := clone()
	bigIHL[14] = 0x4f // 60-byte header: the UDP header would lie past the end
	vlanCut := append(ethHeader(p, 0x8100), 0x00)
	v6Cut := append(ethHeader(p, 0x86dd), 0x60, 0, 0, 0, 0, 8, 17)
	badVersion := clone()
	badVersion[14] = 0x65
	return [][]byte{shortIP, badIHL, longIHL, bigIHL, vlanCut, v6Cut, badVersion}
}

// TestFrags checks what Options.Frags is for: on a veth pair whose MTU
// exceeds one buffer the kernel refuses a native attach of a program not
// loaded frags-aware (veth checks the peer's MTU), and takes the same
// program loaded with Frags, in both modes. (That frames then reach a
// multi-buffer socket whole is xdp.TestMultiBuffer.)
func TestFrags(t *testing.T) {
	p := vethtest.New(t, 1)
	B := &p.B
	for _, s := range []*vethtest.Side{&p.A, &p.B} {
		if out, err := s.Exec(t, "ip", "link", "set", "dev", s.Link, "mtu", "9000"); err != nil {
			t.Fatalf("setting MTU 9000 on %s: %v: %s", s.Link, err, out)
		}
	}
	attach := func(o bpf.Options) error {
		return netns.Do(B.NS, func() error {
			s, err := bpf.Attach(B.Index, o)
			if err != nil {
				return err
			}
			if s.Mode() != o.Mode {
				t.Errorf("attached %s, asked %s", s.Mode(), o.Mode)
			}
			return s.Close()
		})
	}
	if err := attach(bpf.Options{Mode: bpf.AttachNative}); err == nil {
		t.Error("native attach of a program without frags support succeeded at MTU 9000")
	}
	for _, m := range []bpf.AttachMode{bpf.AttachNative, bpf.AttachGeneric} {
		if err := attach(bpf.Options{Mode: m, Frags: true}); err != nil {
			t.Errorf("%s attach with Frags at MTU 9000: %v", m, err)
		}
	}
}
