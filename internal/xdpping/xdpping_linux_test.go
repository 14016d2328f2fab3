package xdpping

import (
	"net"
	"net/netip"
	"testing"

	"github.com/zmqx/zmqx/bpf"
	"github.com/zmqx/zmqx/internal/netns"
	"github.com/zmqx/zmqx/internal/udpframe"
	"github.com/zmqx/zmqx/internal/vethtest"
	"github.com/zmqx/zmqx/internal/ztest"
)

func TestMain(m *testing.M) { ztest.Main(m) }

// TestRecvClocked: RecvClocked reads the clock before its first look at
// the ring and every clockSpins looks after, and returns the last reading
// before the datagram was seen with the datagram's payload. A kernel UDP
// socket on A sends to an End on B.
func TestRecvClocked(t *testing.T) {
	vethtest.Skip(t)
	const aPort, bPort = 7320, 7321
	p := vethtest.New(t, 1)
	p.Neigh(t)
	a := p.A.ListenUDP(t, aPort)
	var e *End
	err := netns.Do(p.B.NS, func() error {
		ifc, err := net.InterfaceByIndex(p.B.Index)
		if err != nil {
			return err
		}
		e, err = Open(ifc, bpf.AttachGeneric, udpframe.Header{SrcMAC: [6]byte(p.B.MAC), DstMAC: [6]byte(p.A.MAC),
			Src: netip.AddrPortFrom(p.B.Addr, bPort), Dst: netip.AddrPortFrom(p.A.Addr, aPort)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	to := netip.AddrPortFrom(p.B.Addr, bPort)

	// Waiting already: one reading, before the look that finds it.
	if _, err := a.WriteToUDPAddrPort([]byte("one"), to); err != nil {
		t.Fatal(err)
	}
	calls := int64(0)
	clock := func() int64 { calls++; return calls }
	buf := make([]byte, 64)
	n, at, err := e.RecvClocked(buf, clock)
	if err != nil || string(buf[:n]) != "one" || at != 1 || calls != 1 {
		t.Fatalf("got %q, %v, reading %d of %d; want \"one\", the first of 1", buf[:n], err, at, calls)
	}

	// Sent while it spins (once it has read the clock three times): the
	// readings go on while it waits, and the last is returned.
	sent := make(chan error, 1)
	calls = 0
	clock = func() int64 {
		calls++
		if calls == 3 {
			go func() {
				_, err := a.WriteToUDPAddrPort([]byte("two"), to)
				sent <- err
			}()
		}
		return calls
	}
	n, at, err = e.RecvClocked(buf, clock)
	if err != nil || string(buf[:n]) != "two" || at != calls || calls < 3 {
		t.Fatalf("got %q, %v, reading %d of %d; want \"two\", the last of at least 3", buf[:n], err, at, calls)
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
}
