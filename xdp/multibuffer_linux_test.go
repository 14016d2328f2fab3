package xdp_test

import (
	"bytes"
	"testing"

	"github.com/zmqx/zmqx/bpf"
	"github.com/zmqx/zmqx/internal/udpframe"
	"github.com/zmqx/zmqx/internal/vethtest"
	"github.com/zmqx/zmqx/xdp"
)

// TestMultiBuffer sends jumbo datagrams (MTU 9 000, each longer than two
// 4 KiB frames) from one MultiBuffer socket to another, each packet as a
// chain of frames marked PktContd, with the steering program loaded
// frags-aware in each attach mode, and checks every packet arrives whole,
// in several descriptors, with its bytes in order.
func TestMultiBuffer(t *testing.T) {
	for _, mode := range []bpf.AttachMode{bpf.AttachGeneric, bpf.AttachNative} {
		t.Run(mode.String(), func(t *testing.T) {
			p := vethtest.New(t, 1)
			for _, s := range []*vethtest.Side{&p.A, &p.B} {
				if out, err := s.Exec(t, "ip", "link", "set", "dev", s.Link, "mtu", "9000"); err != nil {
					t.Fatalf("setting MTU 9000 on %s: %v: %s", s.Link, err, out)
				}
			}
			o := xdp.SocketOptions{RxFrames: 256, TxFrames: 256, MultiBuffer: true}
			a := newHostWith(t, &p.A, bpf.Options{Mode: mode, Frags: true}, 1, o)
			b := newHostWith(t, &p.B, bpf.Options{Mode: mode, Frags: true}, 1, o)
			if b.steer.Mode() != mode {
				t.Fatalf("attached %s, asked %s", b.steer.Mode(), mode)
			}
			const n, size = 50, 9000 - 20 - 8
			h := header(&p.A, &p.B, 4000, testPort)
			sent := make([][]byte, n)
			for i := range sent {
				pl := make([]byte, size)
				for j := range pl {
					pl[j] = byte(i*7 + j*13 + j>>8)
				}
				sent[i] = pl
			}
			sendChained(t, a.socks[0], &h, sent)
			s := b.socks[0]
			descs := make([]xdp.Desc, 64)
			var pkt []byte
			var got, frags int
			idle := 0
			for got < n {
				k, err := s.Receive(descs)
				if err != nil {
					t.Fatal(err)
				}
				if k == 0 {
					if ready, err := s.Wait(100); err != nil {
						t.Fatal(err)
					} else if !ready {
						if idle++; idle == 50 {
							st, _ := s.Stats()
							t.Fatalf("%d of %d packets after 5s of silence; stats %+v", got, n, st)
						}
					}
					continue
				}
				idle = 0
				for _, d := range descs[:k] {
					pkt = append(pkt, s.Frame(d)...)
					frags++
					if d.Options&xdp.PktContd != 0 {
						continue
					}
					_, pl, err := udpframe.Parse(pkt)
					if err != nil {
						t.Fatalf("packet %d (%d bytes in %d descriptors) does not parse: %v", got, len(pkt), frags, err)
					}
					if !bytes.Equal(pl, sent[got]) {
						t.Fatalf("packet %d: %d payload bytes differ from the %d sent", got, len(pl), len(sent[got]))
					}
					// 9 042 bytes after 256 of headroom in 4 KiB frames: three.
					if frags < 3 {
						t.Fatalf("packet %d arrived in %d descriptors", got, frags)
					}
					got, pkt, frags = got+1, pkt[:0], 0
				}
				if err := s.Release(descs[:k]); err != nil {
					t.Fatal(err)
				}
			}
			for _, s := range append(a.socks, b.socks...) {
				st, err := s.Stats()
				if err != nil {
					t.Fatal(err)
				}
				if st.RxDropped != 0 || st.RxInvalidDescs != 0 || st.TxInvalidDescs != 0 || st.RxRingFull != 0 {
					t.Errorf("kernel counted losses: %+v", st)
				}
			}
		})
	}
}

// sendChained transmits each payload as one datagram split over as many TX
// frames as it needs, all but the last marked PktContd, a few packets a
// Transmit.
func sendChained(t *testing.T, s *xdp.Socket, h *udpframe.Header, payloads [][]byte) {
	t.Helper()
	var frame []byte
	descs := make([]xdp.Desc, 0, 64)
	for len(payloads) > 0 {
		descs = descs[:0]
		for len(payloads) > 0 {
			var err error
			if frame, err = udpframe.Append(frame[:0], h, payloads[0]); err != nil {
				t.Fatal(err)
			}
			need := (len(frame) + 4095) / 4096
			if len(descs)+need > cap(descs) {
				break
			}
			free := make([]xdp.Desc, need)
			if s.NextTx(free) != need {
				t.Fatal("TX pool ran dry with every frame completed")
			}
			for i := range free {
				chunk := frame[i*4096 : min(len(frame), (i+1)*4096)]
				free[i].Len = uint32(copy(s.Frame(free[i])[:len(chunk)], chunk))
				if i < need-1 {
					free[i].Options = xdp.PktContd
				}
			}
			descs = append(descs, free...)
			payloads = payloads[1:]
		}
		if k, err := s.Transmit(descs); err != nil || k != len(descs) {
			t.Fatalf("Transmit took %d of %d: %v", k, len(descs), err)
		}
		for s.Outstanding() > 0 {
			s.Complete() // in copy mode completions follow the kick
		}
	}
}
