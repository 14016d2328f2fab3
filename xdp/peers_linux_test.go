package xdp_test

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"

	asavie "github.com/asavie/xdp"
	"golang.org/x/sys/unix"

	"github.com/zmqx/zmqx/bpf"
	"github.com/zmqx/zmqx/internal/netns"
	"github.com/zmqx/zmqx/internal/udpframe"
	"github.com/zmqx/zmqx/internal/vethtest"
	"github.com/zmqx/zmqx/xdp"
)

// TestAgainstAsavie exchanges frames with github.com/asavie/xdp v0.3.3, an
// independent AF_XDP implementation, at the other end of the veth: ours
// sends to theirs, theirs replies to ours.
func TestAgainstAsavie(t *testing.T) {
	for _, mode := range []bpf.AttachMode{bpf.AttachGeneric, bpf.AttachNative} {
		t.Run(mode.String(), func(t *testing.T) {
			p := vethtest.New(t, 1)
			a := newHost(t, &p.A, mode, 1, xdp.SocketOptions{RxFrames: 128, TxFrames: 128})
			var steer *bpf.Steering
			var peer *asavie.Socket
			t.Cleanup(func() {
				if steer != nil {
					steer.Close()
				}
				if peer != nil {
					peer.Close()
				}
			})
			err := netns.Do(p.B.NS, func() error {
				var err error
				if steer, err = bpf.Attach(p.B.Index, bpf.Options{Mode: mode}); err != nil {
					return err
				}
				if err := steer.RegisterPort(testPort); err != nil {
					return err
				}
				// asavie shares one frame list between FILL and TX; keep
				// half the frames for each by filling exactly half.
				if peer, err = asavie.NewSocket(p.B.Index, 0, nil); err != nil {
					return err
				}
				return steer.RegisterSocket(0, peer.FD())
			})
			if err != nil {
				t.Fatal(err)
			}
			peer.Fill(peer.GetDescs(asavie.DefaultSocketOptions.NumFrames / 2))

			const n = 40
			ha := header(&p.A, &p.B, testPort, testPort)
			var ps [][]byte
			for i := range n {
				ps = append(ps, payload('a', i))
			}
			sendAll(t, a.socks[0], &ha, ps)
			got := 0
			for idle := 0; got < n; {
				k, _, err := peer.Poll(100)
				if err != nil {
					t.Fatal(err)
				}
				if k == 0 {
					if idle++; idle == 50 {
						t.Fatalf("asavie received %d of %d frames", got, n)
					}
					continue
				}
				for _, d := range peer.Receive(k) {
					h, pl, err := udpframe.Parse(peer.GetFrame(d))
					if err != nil {
						t.Fatalf("asavie got a frame that does not parse: %v", err)
					}
					if h.Src != ha.Src {
						t.Fatalf("from %v", h.Src)
					}
					checkPayload(t, pl, 'a', got)
					got++
				}
				peer.Fill(peer.GetDescs(peer.NumFreeFillSlots() / 2))
			}

			hb := header(&p.B, &p.A, testPort, testPort)
			descs := peer.GetDescs(n)
			if len(descs) != n {
				t.Fatalf("asavie has %d free frames", len(descs))
			}
			for i := range descs {
				f, err := udpframe.Append(peer.GetFrame(descs[i])[:0], &hb, payload('b', i))
				if err != nil {
					t.Fatal(err)
				}
				descs[i].Len = uint32(len(f))
			}
			// asavie kicks once per Transmit and ignores the EAGAIN with
			// which copy mode says a batch was cut at its budget (32), so
			// feed it batches it can send in one kick.
			for len(descs) > 0 {
				k := min(len(descs), 16)
				if sent := peer.Transmit(descs[:k]); sent != k {
					t.Fatalf("asavie transmitted %d of %d", sent, k)
				}
				descs = descs[k:]
			}
			for i, f := range recvN(t, a.socks[0], n) {
				checkPayload(t, f.payload, 'b', i)
			}
		})
	}
}

// TestKernelUDPPeer exchanges datagrams between our socket and an ordinary
// kernel UDP socket: our frames must be acceptable to the kernel's stack,
// and its replies, after an ARP exchange the steering program lets through
// to A's kernel, must be steered to us.
func TestKernelUDPPeer(t *testing.T) {
	p := vethtest.New(t, 1)
	a := newHost(t, &p.A, bpf.AttachNative, 1, xdp.SocketOptions{RxFrames: 64, TxFrames: 64})
	conn := p.B.ListenUDP(t, 9999)
	// A failure timeout only: the read returns as soon as a datagram lands.
	conn.SetDeadline(time.Now().Add(10 * time.Second))

	h := header(&p.A, &p.B, testPort, 9999)
	const n = 10
	var ps [][]byte
	for i := range n {
		ps = append(ps, payload('a', i))
	}
	sendAll(t, a.socks[0], &h, ps)
	buf := make([]byte, 2048)
	for i := range n {
		k, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("kernel socket, datagram %d: %v", i, err)
		}
		if from != h.Src {
			t.Fatalf("datagram from %v, want %v", from, h.Src)
		}
		checkPayload(t, buf[:k], 'a', i)
		if _, err := conn.WriteToUDPAddrPort(payload('k', i), from); err != nil {
			t.Fatal(err)
		}
	}
	for i, f := range recvN(t, a.socks[0], n) {
		checkPayload(t, f.payload, 'k', i)
		if f.hdr.Src != netip.AddrPortFrom(p.B.Addr, 9999) {
			t.Fatalf("reply from %v", f.hdr.Src)
		}
	}
}

// TestFillRingStarvation keeps B's frames and checks that the kernel counts
// what it had to drop, then that B receives again once frames come back.
func TestFillRingStarvation(t *testing.T) {
	p := vethtest.New(t, 1)
	a := newHost(t, &p.A, bpf.AttachGeneric, 1, xdp.SocketOptions{RxFrames: 64, TxFrames: 64})
	b := newHost(t, &p.B, bpf.AttachGeneric, 1, xdp.SocketOptions{RxFrames: 8, TxFrames: 8, RxRingSize: 64})
	h := header(&p.A, &p.B, testPort, testPort)
	const n = 32
	var ps [][]byte
	for i := range n {
		ps = append(ps, payload('a', i))
	}
	sendAll(t, a.socks[0], &h, ps)
	// The first 8 take B's whole RX pool; the other 24 find FILL empty.
	kept := make([]xdp.Desc, n)
	got := 0
	for idle := 0; got < 8 && idle < 50; {
		k, err := b.socks[0].Receive(kept[got:])
		if err != nil {
			t.Fatal(err)
		}
		if k == 0 {
			if ok, _ := b.socks[0].Wait(100); !ok {
				idle++
			}
		}
		got += k
	}
	if got != 8 {
		t.Fatalf("received %d frames with an 8-frame pool", got)
	}
	// The drops happen in the kernel's receive path, normally before
	// sendAll returns; wait for the counter, failing only after 10s.
	var st xdp.Stats
	for deadline := time.Now().Add(10 * time.Second); ; runtime.Gosched() {
		var err error
		if st, err = b.socks[0].Stats(); err != nil {
			t.Fatal(err)
		}
		if st.RxDropped >= n-8 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("kernel never counted the drops: %+v", st)
		}
	}
	if st.RxDropped != n-8 || st.RxFillRingEmptyDescs == 0 {
		t.Fatalf("stats after starving FILL: %+v, want RxDropped %d and RxFillRingEmptyDescs > 0", st, n-8)
	}
	for i, d := range kept[:8] {
		_, pl, err := udpframe.Parse(b.socks[0].Frame(d))
		if err != nil {
			t.Fatal(err)
		}
		checkPayload(t, pl, 'a', i)
	}
	if err := b.socks[0].Release(kept[:8]); err != nil {
		t.Fatal(err)
	}
	sendAll(t, a.socks[0], &h, [][]byte{payload('a', 100)})
	checkPayload(t, recvN(t, b.socks[0], 1)[0].payload, 'a', 100)
}

// TestCloseAndReuse checks the lifecycle: a Umem cannot be closed under a
// socket, a closed socket's descriptor is gone and its frames go back to
// the Umem, and double closes are reported.
func TestCloseAndReuse(t *testing.T) {
	p := vethtest.New(t, 2)
	err := netns.Do(p.A.NS, func() error {
		u, err := xdp.NewUmem(xdp.UmemOptions{FrameCount: 64, FrameSize: 2048})
		if err != nil {
			return err
		}
		t.Logf("UMEM backed by huge pages: %v", u.Hugepages())
		o := xdp.SocketOptions{RxFrames: 16, TxFrames: 16}
		s0, err := u.Open(p.A.Index, 0, o)
		if err != nil {
			return err
		}
		s1, err := u.Open(p.A.Index, 1, o) // shares the UMEM
		if err != nil {
			return err
		}
		if _, err := u.Open(p.A.Index, 1, o); err == nil {
			return fmt.Errorf("a second socket on queue 1 of one Umem was allowed")
		}
		if _, err := u.Open(p.A.Index, 2, xdp.SocketOptions{RxFrames: 32, TxFrames: 32}); err == nil {
			return fmt.Errorf("a socket needing 64 frames opened with 32 left")
		}
		if err := u.Close(); err == nil {
			return fmt.Errorf("Umem closed under two sockets")
		}
		fd := s0.FD()
		if err := s0.Close(); err != nil {
			return err
		}
		if err := s0.Close(); err != xdp.ErrClosed {
			return fmt.Errorf("second Close: %v, want ErrClosed", err)
		}
		if _, err := s0.Receive(make([]xdp.Desc, 1)); err != xdp.ErrClosed {
			return fmt.Errorf("Receive after Close: %v", err)
		}
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != unix.EBADF {
			return fmt.Errorf("descriptor %d still open after Close (%v)", fd, err)
		}
		// Queue 0 again, now joining the UMEM through s1 (s0, the
		// registering socket, is gone), reusing s0's frames.
		s0, err = u.Open(p.A.Index, 0, o)
		if err != nil {
			return fmt.Errorf("reopening queue 0 on the shared UMEM: %w", err)
		}
		for _, s := range []*xdp.Socket{s0, s1} {
			if err := s.Close(); err != nil {
				return err
			}
		}
		return u.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestHeadroom receives into a Umem with headroom: the kernel leaves the
// bytes before each frame free, descriptors point past them, and Release
// still returns the whole frame to FILL.
func TestHeadroom(t *testing.T) {
	p := vethtest.New(t, 1)
	const headroom = 256
	var steer *bpf.Steering
	var u *xdp.Umem
	var s *xdp.Socket
	t.Cleanup(func() {
		if steer != nil {
			steer.Close()
		}
		if s != nil {
			s.Close()
		}
		if u != nil {
			u.Close()
		}
	})
	err := netns.Do(p.B.NS, func() error {
		var err error
		if steer, err = bpf.Attach(p.B.Index, bpf.Options{Mode: bpf.AttachGeneric}); err != nil {
			return err
		}
		if u, err = xdp.NewUmem(xdp.UmemOptions{FrameCount: 16, FrameSize: 2048, Headroom: headroom}); err != nil {
			return err
		}
		if s, err = u.Open(p.B.Index, 0, xdp.SocketOptions{RxFrames: 4, TxFrames: 4}); err != nil {
			return err
		}
		return errors.Join(steer.RegisterSocket(0, s.FD()), steer.RegisterPort(testPort))
	})
	if err != nil {
		t.Fatal(err)
	}
	var conn *net.UDPConn
	if err := netns.Do(p.A.NS, func() error {
		var err error
		conn, err = net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.B.Addr, testPort)))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Twice the RX pool: the second half only arrives if Release gave the
	// frames back whole.
	for i := range 8 {
		if _, err := conn.Write(payload('h', i)); err != nil {
			t.Fatal(err)
		}
		f := recvN(t, s, 1)[0]
		checkPayload(t, f.payload, 'h', i)
	}
	var d [1]xdp.Desc
	if _, err := conn.Write(payload('h', 8)); err != nil {
		t.Fatal(err)
	}
	for idle := 0; ; idle++ {
		if n, _ := s.Receive(d[:]); n == 1 {
			break
		}
		if idle == 100 {
			t.Fatal("last datagram never arrived")
		}
		s.Wait(100)
	}
	if off := d[0].Addr % 2048; off < headroom {
		t.Fatalf("frame data at offset %d, inside the %d bytes of headroom", off, headroom)
	}
	s.Release(d[:])
}
