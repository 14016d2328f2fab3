package vethtest

import (
	"testing"

	"github.com/zmqx/zmqx/internal/netns"
	"github.com/zmqx/zmqx/xdp"
)

// OpenXSK opens an AF_XDP socket on queue 0 of device ifindex in namespace
// ns, over a Umem of frames frames, and closes both when the test ends (the
// socket first).
func OpenXSK(t testing.TB, ns string, ifindex, frames int, opts xdp.SocketOptions) *xdp.Socket {
	t.Helper()
	var (
		umem *xdp.Umem
		xsk  *xdp.Socket
	)
	t.Cleanup(func() {
		if xsk != nil {
			xsk.Close()
		}
		if umem != nil {
			umem.Close()
		}
	})
	err := netns.Do(ns, func() error {
		var err error
		if umem, err = xdp.NewUmem(xdp.UmemOptions{FrameCount: frames}); err != nil {
			return err
		}
		xsk, err = umem.Open(ifindex, 0, opts)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return xsk
}
