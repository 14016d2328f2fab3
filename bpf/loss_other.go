//go:build !linux

package bpf

// Loss has the Linux method set so portable callers compile; it cannot be
// obtained outside Linux.
type Loss struct{}

// AttachLoss returns ErrNotSupported outside Linux.
func AttachLoss(ifindex int, o LossOptions) (*Loss, error) { return nil, ErrNotSupported }

// Mode reports AttachAuto outside Linux.
func (l *Loss) Mode() AttachMode { return AttachAuto }

// SetRate returns ErrNotSupported outside Linux.
func (l *Loss) SetRate(perMillion uint32) error { return ErrNotSupported }

// SetBurst returns ErrNotSupported outside Linux.
func (l *Loss) SetBurst(k uint32) error { return ErrNotSupported }

// Counters returns ErrNotSupported outside Linux.
func (l *Loss) Counters() (LossCounters, error) { return LossCounters{}, ErrNotSupported }

// Close returns ErrNotSupported outside Linux.
func (l *Loss) Close() error { return ErrNotSupported }
