package bpf

import (
	"errors"
	"fmt"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
)

// Loss is the loss program (lossy.c) attached to one device: a test's way
// to lose forwarded datagrams, AF_XDP ones included, at a chosen rate.
type Loss struct {
	objs lossyObjects
	link link.Link
	mode AttachMode

	mu  sync.Mutex // orders configuration writes
	cfg lossyLossConfig
}

// AttachLoss loads the loss program, configures it with o and attaches it
// to the device ifindex (in the calling thread's network namespace)
// through a BPF link: native mode first, generic second, unless o.Mode
// says which.
func AttachLoss(ifindex int, o LossOptions) (*Loss, error) {
	l, err := loadLoss(o)
	if err != nil {
		return nil, err
	}
	lk, mode, err := attachXDP(l.objs.Lossy, ifindex, o.Mode)
	if err != nil {
		l.objs.Close()
		return nil, fmt.Errorf("bpf: attaching the loss program to device %d: %w", ifindex, err)
	}
	l.link, l.mode = lk, mode
	return l, nil
}

// loadLoss loads and configures the program without attaching it.
func loadLoss(o LossOptions) (*Loss, error) {
	if o.PerMillion > PerMillion {
		return nil, fmt.Errorf("bpf: loss rate %d per million is above %d", o.PerMillion, PerMillion)
	}
	if len(o.Ports) > MaxLossPorts {
		return nil, fmt.Errorf("bpf: %d loss ports, at most %d", len(o.Ports), MaxLossPorts)
	}
	l := &Loss{cfg: lossyLossConfig{PerMillion: o.PerMillion, Burst: o.Burst}}
	if len(o.Ports) == 0 {
		l.cfg.AllPorts = 1
	}
	if err := loadLossyObjects(&l.objs, nil); err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			return nil, fmt.Errorf("bpf: loading the loss program: %+v", ve)
		}
		return nil, fmt.Errorf("bpf: loading the loss program: %w", err)
	}
	for _, p := range o.Ports {
		if err := l.objs.LossPorts.Put(portKey(p), uint8(1)); err != nil {
			l.objs.Close()
			return nil, fmt.Errorf("bpf: selecting UDP port %d for loss: %w", p, err)
		}
	}
	if err := l.objs.LossConfig.Put(uint32(0), &l.cfg); err != nil {
		l.objs.Close()
		return nil, fmt.Errorf("bpf: configuring the loss program: %w", err)
	}
	return l, nil
}

// Mode is the attach mode in use: AttachNative or AttachGeneric.
func (l *Loss) Mode() AttachMode { return l.mode }

// SetRate sets the probability, in millionths, that a matched datagram is
// dropped; 0 stops all dropping at once, a running burst included.
func (l *Loss) SetRate(perMillion uint32) error {
	if perMillion > PerMillion {
		return fmt.Errorf("bpf: loss rate %d per million is above %d", perMillion, PerMillion)
	}
	return l.update(func(c *lossyLossConfig) { c.PerMillion = perMillion })
}

// SetBurst sets how many further matched datagrams are dropped after each
// random drop.
func (l *Loss) SetBurst(k uint32) error {
	return l.update(func(c *lossyLossConfig) { c.Burst = k })
}

func (l *Loss) update(fn func(*lossyLossConfig)) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.cfg
	fn(&c)
	if err := l.objs.LossConfig.Put(uint32(0), &c); err != nil {
		return fmt.Errorf("bpf: configuring the loss program: %w", err)
	}
	l.cfg = c
	return nil
}

// Counters sums the program's per-CPU counters. While traffic flows they
// are read in the reverse of the order the program moves them (see
// lossy.c), so Seen >= Dropped+Passed holds in every reading (equality at
// rest) and Dropped includes the drops of every frame Matched counts.
func (l *Loss) Counters() (LossCounters, error) {
	var c LossCounters
	for _, r := range []struct {
		index uint32
		dst   *uint64
	}{{3, &c.Passed}, {1, &c.Matched}, {2, &c.Dropped}, {0, &c.Seen}} {
		var per []uint64
		if err := l.objs.LossCounters.Lookup(r.index, &per); err != nil {
			return c, fmt.Errorf("bpf: reading loss counters: %w", err)
		}
		for _, v := range per {
			*r.dst += v
		}
	}
	return c, nil
}

// Close detaches the program, then frees it and its maps.
func (l *Loss) Close() error {
	var err error
	if l.link != nil {
		err = l.link.Close()
	}
	return errors.Join(err, l.objs.Close())
}
