//go:build !linux

package bpf

// Steering is not available outside Linux.
type Steering struct{}

// Attach returns ErrNotSupported outside Linux.
func Attach(ifindex int, o Options) (*Steering, error) { return nil, ErrNotSupported }

// Close returns ErrNotSupported outside Linux.
func (s *Steering) Close() error { return ErrNotSupported }

// ProbeAttach returns ErrNotSupported outside Linux.
func ProbeAttach(ifindex int, mode AttachMode) error { return ErrNotSupported }
