package nic

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotSupported is returned where the ethtool interface does not exist,
// and wrapped when a driver refuses an ethtool request.
var ErrNotSupported = errors.New("nic: not supported")

// Coalesce mirrors struct ethtool_coalesce after its cmd word: every field
// is kept so a restore writes back exactly what was read.
type Coalesce struct {
	RxUsecs, RxMaxFrames, RxUsecsIRQ, RxMaxFramesIRQ uint32
	TxUsecs, TxMaxFrames, TxUsecsIRQ, TxMaxFramesIRQ uint32
	StatsBlockUsecs                                  uint32
	AdaptiveRx, AdaptiveTx                           uint32
	PktRateLow                                       uint32
	RxUsecsLow, RxMaxFramesLow                       uint32
	TxUsecsLow, TxMaxFramesLow                       uint32
	PktRateHigh                                      uint32
	RxUsecsHigh, RxMaxFramesHigh                     uint32
	TxUsecsHigh, TxMaxFramesHigh                     uint32
	RateSampleInterval                               uint32
}

func (c *Coalesce) String() string {
	onOff := func(v uint32) string {
		if v != 0 {
			return "on"
		}
		return "off"
	}
	return fmt.Sprintf("rx-usecs %d, tx-usecs %d, rx-frames %d, tx-frames %d, adaptive-rx %s, adaptive-tx %s",
		c.RxUsecs, c.TxUsecs, c.RxMaxFrames, c.TxMaxFrames, onOff(c.AdaptiveRx), onOff(c.AdaptiveTx))
}

// lowLatency reports c with rx/tx usecs 0 and adaptive coalescing off.
func (c Coalesce) lowLatency() Coalesce {
	c.RxUsecs, c.TxUsecs, c.AdaptiveRx, c.AdaptiveTx = 0, 0, 0, 0
	return c
}

// CoalesceIoctl reads (set false) or writes (set true) iface's coalescing
// settings: ETHTOOL_GCOALESCE / ETHTOOL_SCOALESCE. EthtoolCoalesce is the
// real one.
type CoalesceIoctl func(iface string, set bool, c *Coalesce) error

// Coalescing is what LowLatencyCoalescing did to one interface, and how to
// undo it.
type Coalescing struct {
	iface    string
	ioctl    CoalesceIoctl
	saved    Coalesce
	applied  bool
	Action   string // one line saying what was done and why
	Previous Coalesce
	Current  Coalesce
}

// LowLatencyCoalescing sets iface's interrupt coalescing to rx/tx usecs 0
// with adaptive coalescing off, unless leave is set (the "leave the NIC
// alone" switch). A driver without coalescing support is not an error: the
// result says so and Restore does nothing. Errors are reported only when
// the settings could be read but not written.
func LowLatencyCoalescing(iface string, leave bool, ioctl CoalesceIoctl) (*Coalescing, error) {
	r := &Coalescing{iface: iface, ioctl: ioctl}
	if leave {
		r.Action = "left alone (configured not to touch the NIC)"
		return r, nil
	}
	var cur Coalesce
	if err := ioctl(iface, false, &cur); err != nil {
		if errors.Is(err, ErrNotSupported) {
			r.Action = "not supported by the driver: left as is"
			return r, nil
		}
		return nil, fmt.Errorf("nic: reading coalescing of %s: %w", iface, err)
	}
	r.Previous, r.Current = cur, cur
	want := cur.lowLatency()
	if want == cur {
		r.Action = "already lowest latency: " + cur.String()
		return r, nil
	}
	set := want
	if err := ioctl(iface, true, &set); err != nil {
		if errors.Is(err, ErrNotSupported) {
			r.Action = "driver refused lowest-latency coalescing: left at " + cur.String()
			return r, nil
		}
		return nil, fmt.Errorf("nic: setting coalescing of %s: %w", iface, err)
	}
	r.saved, r.applied, r.Current = cur, true, want
	r.Action = "set to lowest latency: " + diff(&cur, &want) + " (restored on close)"
	return r, nil
}

// Restore writes back the settings found, if LowLatencyCoalescing changed
// them; later calls do nothing.
func (r *Coalescing) Restore() error {
	if r == nil || !r.applied {
		return nil
	}
	saved := r.saved
	if err := r.ioctl(r.iface, true, &saved); err != nil {
		return fmt.Errorf("nic: restoring coalescing of %s: %w", r.iface, err)
	}
	r.applied, r.Current = false, r.saved
	return nil
}

func diff(a, b *Coalesce) string {
	var parts []string
	add := func(name string, x, y uint32) {
		if x != y {
			parts = append(parts, fmt.Sprintf("%s %d→%d", name, x, y))
		}
	}
	add("rx-usecs", a.RxUsecs, b.RxUsecs)
	add("tx-usecs", a.TxUsecs, b.TxUsecs)
	add("adaptive-rx", a.AdaptiveRx, b.AdaptiveRx)
	add("adaptive-tx", a.AdaptiveTx, b.AdaptiveTx)
	return strings.Join(parts, ", ")
}
