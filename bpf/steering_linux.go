package bpf

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// Steering is the steering program attached to one device.
type Steering struct {
	objs    steerObjects
	link    link.Link
	mode    AttachMode
	ifindex int
	owner   uint32
}

// Attach loads the program and attaches it to the device ifindex (in the
// calling thread's network namespace).
func Attach(ifindex int, o Options) (*Steering, error) {
	if o.Owner >= MaxOwners {
		return nil, fmt.Errorf("bpf: owner %d out of range", o.Owner)
	}
	s := &Steering{ifindex: ifindex, owner: o.Owner}
	spec, err := loadSteer()
	if err != nil {
		return nil, fmt.Errorf("bpf: loading the steering program: %w", err)
	}
	if o.Frags {
		spec.Programs["steer"].Flags |= unix.BPF_F_XDP_HAS_FRAGS
	}
	if err := spec.LoadAndAssign(&s.objs, nil); err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			return nil, fmt.Errorf("bpf: loading the steering program: %+v", ve)
		}
		return nil, fmt.Errorf("bpf: loading the steering program: %w", err)
	}
	lk, mode, err := attachXDP(s.objs.Steer, ifindex, o.Mode)
	if err != nil {
		s.objs.Close()
		return nil, fmt.Errorf("bpf: attaching to device %d: %w", ifindex, err)
	}
	s.link, s.mode = lk, mode
	return s, nil
}

// attachXDP attaches prog to the device ifindex through a BPF link, in
// mode, or natively first and generically second for AttachAuto. An error
// from a device or kernel without XDP wraps ErrNotSupported.
func attachXDP(prog *ebpf.Program, ifindex int, mode AttachMode) (link.Link, AttachMode, error) {
	tries := []AttachMode{AttachNative, AttachGeneric}
	if mode == AttachNative || mode == AttachGeneric {
		tries = []AttachMode{mode}
	}
	var errs []error
	for _, m := range tries {
		flags := link.XDPDriverMode
		if m == AttachGeneric {
			flags = link.XDPGenericMode
		}
		l, err := link.AttachXDP(link.XDPOptions{Program: prog, Interface: ifindex, Flags: flags})
		if err == nil {
			return l, m, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", m, err))
	}
	err := errors.Join(errs...)
	if errors.Is(err, ebpf.ErrNotSupported) {
		err = fmt.Errorf("%w: %w", ErrNotSupported, err)
	}
	return nil, 0, err
}

// Mode is the attach mode in use: AttachNative or AttachGeneric.
func (s *Steering) Mode() AttachMode { return s.mode }

// ProgramID is the kernel's id of the attached program.
func (s *Steering) ProgramID() (uint32, error) {
	info, err := s.objs.Steer.Info()
	if err != nil {
		return 0, err
	}
	id, _ := info.ID()
	return uint32(id), nil
}

func portKey(port uint16) [2]byte { return [2]byte{byte(port >> 8), byte(port)} }

// RegisterPort steers UDP datagrams to port into this owner's sockets.
// Registering a port twice is not an error; a port another owner holds is.
// The insert is BPF_NOEXIST, so two owners racing for a port cannot both
// win.
func (s *Steering) RegisterPort(port uint16) error {
	err := s.objs.Ports.Update(portKey(port), s.owner, ebpf.UpdateNoExist)
	if err == nil {
		return nil
	}
	if !errors.Is(err, ebpf.ErrKeyExist) {
		return fmt.Errorf("bpf: registering UDP port %d: %w", port, err)
	}
	var cur uint32
	if err := s.objs.Ports.Lookup(portKey(port), &cur); err != nil {
		return fmt.Errorf("bpf: registering UDP port %d: %w", port, err)
	}
	if cur != s.owner {
		return fmt.Errorf("bpf: UDP port %d is steered for owner %d", port, cur)
	}
	return nil
}

// ReleasePort stops steering port; datagrams to it reach the kernel again.
func (s *Steering) ReleasePort(port uint16) error {
	var cur uint32
	if err := s.objs.Ports.Lookup(portKey(port), &cur); err != nil || cur != s.owner {
		return fmt.Errorf("bpf: UDP port %d is not registered by this owner", port)
	}
	if err := s.objs.Ports.Delete(portKey(port)); err != nil {
		return fmt.Errorf("bpf: releasing UDP port %d: %w", port, err)
	}
	return nil
}

func (s *Steering) slot(queue int) (uint32, error) {
	if queue < 0 || queue >= MaxQueues {
		return 0, fmt.Errorf("bpf: queue %d out of range", queue)
	}
	return s.owner*MaxQueues + uint32(queue), nil
}

// RegisterSocket makes the AF_XDP socket xskFD receive this owner's
// datagrams arriving on queue.
func (s *Steering) RegisterSocket(queue, xskFD int) error {
	k, err := s.slot(queue)
	if err != nil {
		return err
	}
	if err := s.objs.Xsks.Put(k, uint32(xskFD)); err != nil {
		return fmt.Errorf("bpf: registering socket for queue %d: %w", queue, err)
	}
	return nil
}

// ReleaseSocket empties queue's slot: its datagrams reach the kernel.
func (s *Steering) ReleaseSocket(queue int) error {
	k, err := s.slot(queue)
	if err != nil {
		return err
	}
	if err := s.objs.Xsks.Delete(k); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
		return fmt.Errorf("bpf: releasing socket for queue %d: %w", queue, err)
	}
	return nil
}

// Counters sums the program's per-CPU counters.
func (s *Steering) Counters() (Counters, error) {
	var c Counters
	for i, dst := range []*uint64{&c.Steered, &c.Passed, &c.Malformed} {
		var per []uint64
		if err := s.objs.Counters.Lookup(uint32(i), &per); err != nil {
			return c, fmt.Errorf("bpf: reading counters: %w", err)
		}
		for _, v := range per {
			*dst += v
		}
	}
	return c, nil
}

// Close detaches the program (first, so nothing more is redirected) and
// frees it and its maps.
func (s *Steering) Close() error {
	err := s.link.Close()
	return errors.Join(err, s.objs.Close())
}
