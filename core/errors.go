package core

import "errors"

// Errors returned by sockets. They are wrapped with detail where there is any;
// test with errors.Is.
var (
	// ErrClosed: the socket or runtime has been closed.
	ErrClosed = errors.New("zmqx: socket closed")
	// ErrState: the operation is not allowed in the socket's current state,
	// such as a REQ sending twice without receiving the reply.
	ErrState = errors.New("zmqx: operation not valid in the current state")
	// ErrNotSupported: the socket type does not support the operation.
	ErrNotSupported = errors.New("zmqx: operation not supported by this socket type")
	// ErrHostUnreachable: a ROUTER in mandatory mode has no peer with that id.
	ErrHostUnreachable = errors.New("zmqx: host unreachable")
	// ErrEndpoint: a malformed endpoint or unknown transport.
	ErrEndpoint = errors.New("zmqx: invalid endpoint")
	// ErrAddrInUse: an inproc name (or address) is bound already.
	ErrAddrInUse = errors.New("zmqx: address in use")
	// ErrEmptyMessage: a message needs at least one frame.
	ErrEmptyMessage = errors.New("zmqx: message has no frames")
	// ErrWouldBlock: a non-blocking attempt (a context that was already
	// done when Send or Recv was called) could not complete at once:
	// libzmq's EAGAIN. The error also matches the context's own error, so
	// code that only checks for the deadline keeps working; a context that
	// ends while the call waits gives the context's error alone, so the two
	// can be told apart.
	ErrWouldBlock = errors.New("zmqx: operation would block")
)

// wouldBlock is ErrWouldBlock for a context that was done at the call.
type wouldBlock struct{ ctxErr error }

func (e wouldBlock) Error() string        { return ErrWouldBlock.Error() + " (" + e.ctxErr.Error() + ")" }
func (e wouldBlock) Is(target error) bool { return target == ErrWouldBlock }
func (e wouldBlock) Unwrap() error        { return e.ctxErr }
