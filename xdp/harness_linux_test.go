package xdp_test

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/zmqx/zmqx/bpf"
	"github.com/zmqx/zmqx/internal/netns"
	"github.com/zmqx/zmqx/internal/udpframe"
	"github.com/zmqx/zmqx/internal/vethtest"
	"github.com/zmqx/zmqx/xdp"
)

const testPort = 7777

// host is one side of the test network: the steering program, a Umem and
// one socket per queue sharing it.
type host struct {
	side  *vethtest.Side
	steer *bpf.Steering
	umem  *xdp.Umem
	socks []*xdp.Socket
}

func newHost(t *testing.T, side *vethtest.Side, mode bpf.AttachMode, queues int, o xdp.SocketOptions) *host {
	t.Helper()
	return newHostWith(t, side, bpf.Options{Mode: mode}, queues, o)
}

func newHostWith(t *testing.T, side *vethtest.Side, bo bpf.Options, queues int, o xdp.SocketOptions) *host {
	t.Helper()
	h := &host{side: side}
	t.Cleanup(h.close(t))
	err := netns.Do(side.NS, func() error {
		var err error
		if h.steer, err = bpf.Attach(side.Index, bo); err != nil {
			return err
		}
		if err := h.steer.RegisterPort(testPort); err != nil {
			return err
		}
		if h.umem, err = xdp.NewUmem(xdp.UmemOptions{FrameCount: queues * 512}); err != nil {
			return err
		}
		for q := range queues {
			s, err := h.umem.Open(side.Index, q, o)
			if err != nil {
				return err
			}
			h.socks = append(h.socks, s)
			if err := h.steer.RegisterSocket(q, s.FD()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", side.NS, err)
	}
	return h
}

// close tears down in the documented order: program, sockets, Umem.
func (h *host) close(t *testing.T) func() {
	return func() {
		if h.steer != nil {
			if err := h.steer.Close(); err != nil {
				t.Errorf("closing steering: %v", err)
			}
		}
		for _, s := range h.socks {
			if err := s.Close(); err != nil {
				t.Errorf("closing socket: %v", err)
			}
		}
		if h.umem != nil {
			if err := h.umem.Close(); err != nil {
				t.Errorf("closing Umem: %v", err)
			}
		}
	}
}

func header(from, to *vethtest.Side, sport, dport uint16) udpframe.Header {
	return udpframe.Header{
		DstMAC: [6]byte(to.MAC), SrcMAC: [6]byte(from.MAC),
		Src: netip.AddrPortFrom(from.Addr, sport), Dst: netip.AddrPortFrom(to.Addr, dport),
	}
}

// payload i carries its sequence number and a tag naming the sender.
func payload(tag byte, i int) []byte {
	p := make([]byte, 64)
	p[0] = tag
	binary.BigEndian.PutUint32(p[1:], uint32(i))
	for j := 5; j < len(p); j++ {
		p[j] = byte(i + j)
	}
	return p
}

func checkPayload(t *testing.T, p []byte, tag byte, i int) {
	t.Helper()
	want := payload(tag, i)
	if string(p) != string(want) {
		t.Fatalf("payload %d: got % x, want % x", i, p, want)
	}
}

// sendAll transmits one frame per payload, in batches, waiting for TX
// frames to come back when the pool runs dry.
func sendAll(t *testing.T, s *xdp.Socket, h *udpframe.Header, payloads [][]byte) {
	t.Helper()
	// 64 per call: more than copy mode's per-syscall budget (32), so
	// Transmit must keep kicking until the kernel has taken them all.
	descs := make([]xdp.Desc, 64)
	for len(payloads) > 0 {
		n := s.NextTx(descs[:min(len(descs), len(payloads))])
		for i := range n {
			f, err := udpframe.Append(s.Frame(descs[i])[:0], h, payloads[i])
			if err != nil {
				t.Fatal(err)
			}
			descs[i].Len = uint32(len(f))
		}
		sent, err := s.Transmit(descs[:n])
		if err != nil {
			t.Fatalf("Transmit: %v", err)
		}
		if sent < n {
			// Ring full: the rest go back with the next NextTx round.
			t.Fatalf("Transmit took %d of %d with an empty pool-sized ring", sent, n)
		}
		payloads = payloads[n:]
	}
}

type rxFrame struct {
	hdr     udpframe.Header
	payload []byte
}

// recvN receives n frames on s, copying them out and releasing the frames.
// It fails the test if the socket stays silent for five seconds.
func recvN(t *testing.T, s *xdp.Socket, n int) []rxFrame {
	t.Helper()
	var got []rxFrame
	descs := make([]xdp.Desc, 64)
	idle := 0
	for len(got) < n {
		k, err := s.Receive(descs)
		if err != nil {
			t.Fatalf("Receive: %v", err)
		}
		if k == 0 {
			ready, err := s.Wait(100)
			if err != nil {
				t.Fatal(err)
			}
			if !ready {
				if idle++; idle == 50 {
					st, _ := s.Stats()
					t.Fatalf("queue %d: %d of %d frames after 5s of silence; stats %+v", s.Queue(), len(got), n, st)
				}
			}
			continue
		}
		idle = 0
		for _, d := range descs[:k] {
			h, p, err := udpframe.Parse(s.Frame(d))
			if err != nil {
				t.Fatalf("received frame does not parse: %v", err)
			}
			got = append(got, rxFrame{h, append([]byte(nil), p...)})
		}
		if err := s.Release(descs[:k]); err != nil {
			t.Fatal(err)
		}
	}
	return got
}

// quiet reports whether s has nothing to receive right now.
func quiet(t *testing.T, s *xdp.Socket) bool {
	var d [1]xdp.Desc
	n, err := s.Receive(d[:])
	if err != nil {
		t.Fatal(err)
	}
	if n > 0 {
		s.Release(d[:n])
	}
	return n == 0
}
