//go:build !linux

package xdp

// Umem is not available outside Linux.
type Umem struct{}

// Socket is not available outside Linux.
type Socket struct{}

// NewUmem returns ErrNotSupported outside Linux.
func NewUmem(o UmemOptions) (*Umem, error) { return nil, ErrNotSupported }

// Open returns ErrNotSupported outside Linux.
func (u *Umem) Open(ifindex, queue int, o SocketOptions) (*Socket, error) {
	return nil, ErrNotSupported
}

// Close returns ErrNotSupported outside Linux.
func (u *Umem) Close() error { return ErrNotSupported }

// Close returns ErrNotSupported outside Linux.
func (s *Socket) Close() error { return ErrNotSupported }
