//go:build linux

package afxdp

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/zmqx/zmqx/internal/udpframe"
	"github.com/zmqx/zmqx/internal/vethtest"
	"github.com/zmqx/zmqx/xdp"
)

// TestSparseSendsReuseTxFrame: once the kernel has completed a datagram,
// the queue writes the next one into the same TX frame (the last one used,
// still in cache), not into the next of the batch of free frames it took
// from the socket earlier. A real socket on a veth (copy mode) transmits to
// a kernel UDP socket on the other side.
func TestSparseSendsReuseTxFrame(t *testing.T) {
	const port = 7200
	p := vethtest.New(t, 1)
	rx := p.B.ListenUDP(t, port)
	xsk := vethtest.OpenXSK(t, p.A.NS, p.A.Index, 256, xdp.SocketOptions{RxFrames: 128, TxFrames: 128})
	h := &host{t: New(Config{})}
	q := &queue{h: h, xsk: xsk, txFree: make([]xdp.Desc, 0, batch), txOut: make([]xdp.Desc, 0, batch)}
	hdr := udpframe.Header{
		DstMAC: [6]byte(p.B.MAC), SrcMAC: [6]byte(p.A.MAC),
		Src: netip.AddrPortFrom(p.A.Addr, port), Dst: netip.AddrPortFrom(p.B.Addr, port),
	}
	buf := make([]byte, 64)
	var first uint64
	for i := range 5 {
		payload, ok := q.nextPayload()
		if !ok {
			t.Fatalf("datagram %d: no TX frame free", i)
		}
		addr := q.txFree[len(q.txFree)-1].Addr
		if i == 0 {
			first = addr
		} else if addr != first {
			t.Fatalf("datagram %d is written into frame %#x, the last one used was %#x", i, addr, first)
		}
		msg := fmt.Sprintf("datagram %d", i)
		q.queueFrame(&hdr, nil, copy(payload, msg))
		q.flush()
		rx.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, _, err := rx.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("datagram %d: %v", i, err)
		}
		if string(buf[:n]) != msg {
			t.Fatalf("received %q, want %q", buf[:n], msg)
		}
		// Received and freed on the other side: the kernel completes the
		// frame (the completion is collected here, as a round does).
		deadline := time.Now().Add(10 * time.Second)
		for xsk.Outstanding() > 0 {
			if xsk.Complete() == 0 && time.Now().After(deadline) {
				t.Fatalf("datagram %d: not completed", i)
			}
		}
	}
}
