//go:build !linux

package bpf

// Steering has the Linux method set so portable callers compile; it cannot
// be obtained outside Linux.
type Steering struct{}

// Attach returns ErrNotSupported outside Linux.
func Attach(ifindex int, o Options) (*Steering, error) { return nil, ErrNotSupported }

// ProbeAttach returns ErrNotSupported outside Linux.
func ProbeAttach(ifindex int, mode AttachMode) error { return ErrNotSupported }

// Mode reports AttachAuto outside Linux.
func (s *Steering) Mode() AttachMode { return AttachAuto }

// ProgramID returns ErrNotSupported outside Linux.
func (s *Steering) ProgramID() (uint32, error) { return 0, ErrNotSupported }

// RegisterPort returns ErrNotSupported outside Linux.
func (s *Steering) RegisterPort(port uint16) error { return ErrNotSupported }

// ReleasePort returns ErrNotSupported outside Linux.
func (s *Steering) ReleasePort(port uint16) error { return ErrNotSupported }

// RegisterSocket returns ErrNotSupported outside Linux.
func (s *Steering) RegisterSocket(queue, xskFD int) error { return ErrNotSupported }

// ReleaseSocket returns ErrNotSupported outside Linux.
func (s *Steering) ReleaseSocket(queue int) error { return ErrNotSupported }

// Counters returns ErrNotSupported outside Linux.
func (s *Steering) Counters() (Counters, error) { return Counters{}, ErrNotSupported }

// Close returns ErrNotSupported outside Linux.
func (s *Steering) Close() error { return ErrNotSupported }
