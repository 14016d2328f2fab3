package bpf

import (
	"fmt"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
)

// ProbeAttach attaches a program that passes every frame to the device
// ifindex in mode (AttachNative or AttachGeneric) and detaches it at once:
// the way to learn whether a mode works is to try it.
func ProbeAttach(ifindex int, mode AttachMode) error {
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Name:         "zmqx_probe",
		Type:         ebpf.XDP,
		License:      "MIT",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 2), asm.Return()}, // XDP_PASS
	})
	if err != nil {
		return fmt.Errorf("bpf: loading a probe program: %w", err)
	}
	defer prog.Close()
	flags := link.XDPDriverMode
	if mode == AttachGeneric {
		flags = link.XDPGenericMode
	}
	l, err := link.AttachXDP(link.XDPOptions{Program: prog, Interface: ifindex, Flags: flags})
	if err != nil {
		return err
	}
	return l.Close()
}
