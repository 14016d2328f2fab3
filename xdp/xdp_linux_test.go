package xdp_test

import (
	"errors"
	"fmt"
	"testing"

	"golang.org/x/sys/unix"

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

// TestBusyPoll sets the busy-poll options, reads them back from the kernel,
// and runs an exchange whose receiver busy-polls (a recvfrom on every empty
// Receive).
func TestBusyPoll(t *testing.T) {
	p := vethtest.New(t, 1)
	bp := xdp.BusyPoll{Usecs: 20, Budget: 16, Prefer: true}
	a := newHost(t, &p.A, bpf.AttachNative, 1, xdp.SocketOptions{RxFrames: 64, TxFrames: 64})
	b := newHost(t, &p.B, bpf.AttachNative, 1, xdp.SocketOptions{RxFrames: 64, TxFrames: 64, BusyPoll: bp})
	fd := b.socks[0].FD()
	for opt, want := range map[int]int{unix.SO_BUSY_POLL: 20, unix.SO_BUSY_POLL_BUDGET: 16, unix.SO_PREFER_BUSY_POLL: 1} {
		got, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, opt)
		if err == unix.ENOPROTOOPT && opt == unix.SO_BUSY_POLL_BUDGET {
			continue // the kernel lets the budget be set but not read
		}
		if err != nil {
			t.Fatalf("reading socket option %d: %v", opt, err)
		}
		if got != want {
			t.Fatalf("socket option %d = %d, want %d", opt, got, want)
		}
	}
	// Nothing has been sent: an empty Receive must still enter the kernel
	// to busy-poll, where without busy polling it would not.
	var d [4]xdp.Desc
	if n, err := b.socks[0].Receive(d[:]); n != 0 || err != nil {
		t.Fatalf("Receive before any traffic: %d, %v", n, err)
	}
	if n, err := a.socks[0].Receive(d[:]); n != 0 || err != nil {
		t.Fatalf("Receive before any traffic: %d, %v", n, err)
	}
	stA, _ := a.socks[0].Stats()
	stB, _ := b.socks[0].Stats()
	if stB.RxWakeups != 1 || stA.RxWakeups != 0 {
		t.Fatalf("empty receives made %d syscalls with busy polling (want 1) and %d without (want 0)", stB.RxWakeups, stA.RxWakeups)
	}
	h := header(&p.A, &p.B, testPort, testPort)
	var ps [][]byte
	for i := range 10 {
		ps = append(ps, payload('a', i))
	}
	sendAll(t, a.socks[0], &h, ps)
	for i, f := range recvN(t, b.socks[0], 10) {
		checkPayload(t, f.payload, 'a', i)
	}
}

// TestOneUmemPerQueue pins down the kernel rule the multi-process design in
// package bpf rests on: a queue that has a socket from one UMEM refuses a
// socket from another (two processes cannot share a queue by each binding
// their own socket), while another queue accepts it.
func TestOneUmemPerQueue(t *testing.T) {
	p := vethtest.New(t, 2)
	err := netns.Do(p.A.NS, func() error {
		o := xdp.SocketOptions{RxFrames: 16, TxFrames: 16}
		u1, err := xdp.NewUmem(xdp.UmemOptions{FrameCount: 32})
		if err != nil {
			return err
		}
		defer u1.Close()
		u2, err := xdp.NewUmem(xdp.UmemOptions{FrameCount: 32})
		if err != nil {
			return err
		}
		defer u2.Close()
		s1, err := u1.Open(p.A.Index, 0, o)
		if err != nil {
			return err
		}
		defer s1.Close()
		if s, err := u2.Open(p.A.Index, 0, o); err == nil {
			s.Close()
			return errors.New("a second UMEM bound to a queue that has one")
		} else if !errors.Is(err, unix.EBUSY) {
			return fmt.Errorf("second UMEM on queue 0: %w, want EBUSY", err)
		}
		s2, err := u2.Open(p.A.Index, 1, o)
		if err != nil {
			return fmt.Errorf("second UMEM on queue 1: %w", err)
		}
		return s2.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
}
