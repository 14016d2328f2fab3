package xdp_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/zmqx/zmqx/bpf"
	"github.com/zmqx/zmqx/internal/netns"
	"github.com/zmqx/zmqx/internal/vethtest"
	"github.com/zmqx/zmqx/xdp"
)

// TestPingPong sends a batch from A to B and B's replies back on each of
// the two queues, with the program attached in each mode, and checks every
// frame arrives intact on the socket of the queue it was sent on.
func TestPingPong(t *testing.T) {
	for _, mode := range []bpf.AttachMode{bpf.AttachGeneric, bpf.AttachNative} {
		t.Run(mode.String(), func(t *testing.T) {
			p := vethtest.New(t, 2)
			a := newHost(t, &p.A, mode, 2, xdp.SocketOptions{RxFrames: 256, TxFrames: 256})
			b := newHost(t, &p.B, mode, 2, xdp.SocketOptions{RxFrames: 256, TxFrames: 256})
			if a.steer.Mode() != mode || b.steer.Mode() != mode {
				t.Fatalf("attached %s/%s, asked %s", a.steer.Mode(), b.steer.Mode(), mode)
			}
			for _, s := range append(a.socks, b.socks...) {
				// veth refuses zero-copy, so ModeAuto must have fallen back.
				if s.Mode() != xdp.ModeCopy {
					t.Fatalf("queue %d: mode %s on veth, want copy", s.Queue(), s.Mode())
				}
			}
			// Which queue a frame arrives on: the sender's TX queue in
			// native mode. On veth's skb path (generic mode) the receiver
			// has no recorded RX queue, so every frame arrives on queue 0.
			rxq := func(q int) int {
				if mode == bpf.AttachGeneric {
					return 0
				}
				return q
			}
			const n = 100
			for q := range 2 {
				ha := header(&p.A, &p.B, 4000+uint16(q), testPort)
				var ps [][]byte
				for i := range n {
					ps = append(ps, payload('a', q*1000+i))
				}
				sendAll(t, a.socks[q], &ha, ps)
				got := recvN(t, b.socks[rxq(q)], n)
				for i, f := range got {
					checkPayload(t, f.payload, 'a', q*1000+i)
					if f.hdr.Src != ha.Src || f.hdr.Dst != ha.Dst {
						t.Fatalf("frame %d addressed %v -> %v", i, f.hdr.Src, f.hdr.Dst)
					}
				}
				if !quiet(t, b.socks[1-rxq(q)]) {
					t.Fatalf("a frame sent on queue %d arrived on queue %d", q, 1-rxq(q))
				}
				hb := header(&p.B, &p.A, testPort, testPort)
				ps = ps[:0]
				for i := range n {
					ps = append(ps, payload('b', q*1000+i))
				}
				sendAll(t, b.socks[q], &hb, ps)
				for i, f := range recvN(t, a.socks[rxq(q)], n) {
					checkPayload(t, f.payload, 'b', q*1000+i)
				}
			}
			for _, s := range append(a.socks, b.socks...) {
				st, err := s.Stats()
				if err != nil {
					t.Fatal(err)
				}
				if st.RxDropped != 0 || st.RxInvalidDescs != 0 || st.TxInvalidDescs != 0 || st.RxRingFull != 0 {
					t.Errorf("queue %d: kernel counted losses: %+v", s.Queue(), st)
				}
			}
			c, err := b.steer.Counters()
			if err != nil {
				t.Fatal(err)
			}
			if c.Steered != 2*n {
				t.Errorf("B's program steered %d frames, want %d", c.Steered, 2*n)
			}
		})
	}
}

// TestZeroCopyRefusedOnVeth checks that a zero-copy request fails where the
// driver has none, and says so through ErrNotSupported-wrapping errors
// rather than silently degrading.
func TestZeroCopyRefusedOnVeth(t *testing.T) {
	p := vethtest.New(t, 1)
	err := netns.Do(p.A.NS, func() error {
		u, err := xdp.NewUmem(xdp.UmemOptions{FrameCount: 64})
		if err != nil {
			return err
		}
		defer u.Close()
		s, err := u.Open(p.A.Index, 0, xdp.SocketOptions{RxFrames: 32, TxFrames: 32, Mode: xdp.ModeZeroCopy})
		if err == nil {
			s.Close()
			return fmt.Errorf("zero-copy granted on veth (mode %s)", s.Mode())
		}
		t.Logf("zero-copy refused as expected: %v", err)
		s, err = u.Open(p.A.Index, 0, xdp.SocketOptions{RxFrames: 32, TxFrames: 32, Mode: xdp.ModeCopy})
		if err != nil {
			return err
		}
		if s.Mode() != xdp.ModeCopy {
			err = fmt.Errorf("copy requested, %s reported", s.Mode())
		}
		return errors.Join(err, s.Close())
	})
	if err != nil {
		t.Fatal(err)
	}
}
