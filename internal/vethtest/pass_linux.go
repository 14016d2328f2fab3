package vethtest

import (
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"

	"github.com/zmqx/zmqx/internal/netns"
)

// AttachPass attaches an XDP program that passes every frame to s's device
// in native mode, through a BPF link held until the test ends.
//
// The veth driver accepts frames redirected into a device by XDP
// (XDP_REDIRECT through a devmap or bpf_redirect, the ndo_xdp_xmit path)
// only when the device's peer has its receive side on NAPI, which a
// native-mode XDP program on the peer provides: call AttachPass on the
// peer of a device such traffic is redirected into. Frames an AF_XDP
// socket transmits do not need it (they take the ordinary transmit path;
// TestRoutedAFXDP crosses the router both with and without it).
func (s *Side) AttachPass(t testing.TB) {
	t.Helper()
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Name:         "zmqx_pass",
		Type:         ebpf.XDP,
		License:      "MIT",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 2), asm.Return()}, // XDP_PASS
	})
	if err != nil {
		t.Fatalf("loading an XDP_PASS program: %v", err)
	}
	var l link.Link
	err = netns.Do(s.NS, func() error {
		var err error
		l, err = link.AttachXDP(link.XDPOptions{Program: prog, Interface: s.Index, Flags: link.XDPDriverMode})
		return err
	})
	if err != nil {
		prog.Close()
		t.Fatalf("attaching XDP_PASS to %s in %s: %v", s.Link, s.NS, err)
	}
	t.Cleanup(func() {
		l.Close()
		prog.Close()
	})
}
