//go:build !linux

package xdp

// Umem is not available outside Linux; its methods report ErrNotSupported.
type Umem struct{}

// Socket has the Linux method set so portable callers compile; it cannot
// be obtained outside Linux.
type Socket struct{ queue }

// NewUmem returns ErrNotSupported outside Linux.
func NewUmem(o UmemOptions) (*Umem, error) { return nil, ErrNotSupported }

// Open returns ErrNotSupported outside Linux.
func (u *Umem) Open(ifindex, queue int, o SocketOptions) (*Socket, error) {
	return nil, ErrNotSupported
}

// Hugepages reports false outside Linux.
func (u *Umem) Hugepages() bool { return false }

// FrameSize reports 0 outside Linux.
func (u *Umem) FrameSize() int { return 0 }

// Frames reports 0 outside Linux.
func (u *Umem) Frames() int { return 0 }

// Close returns ErrNotSupported outside Linux.
func (u *Umem) Close() error { return ErrNotSupported }

// FD reports -1 outside Linux.
func (s *Socket) FD() int { return -1 }

// Mode reports ModeAuto outside Linux.
func (s *Socket) Mode() Mode { return ModeAuto }

// Queue reports -1 outside Linux.
func (s *Socket) Queue() int { return -1 }

// Ifindex reports 0 outside Linux.
func (s *Socket) Ifindex() int { return 0 }

// Wait returns ErrNotSupported outside Linux.
func (s *Socket) Wait(timeoutMs int) (bool, error) { return false, ErrNotSupported }

// Stats returns ErrNotSupported outside Linux.
func (s *Socket) Stats() (Stats, error) { return Stats{}, ErrNotSupported }

// Close returns ErrNotSupported outside Linux.
func (s *Socket) Close() error { return ErrNotSupported }
