package core

import (
	"context"
	"net"
)

// Transport makes byte-stream connections for one endpoint scheme. addr is
// the endpoint without its "scheme://" prefix.
type Transport interface {
	// Listen binds addr; o are the socket's options, for a transport that
	// applies connection options (buffers, keepalive, ...).
	Listen(addr string, o *Options) (Listener, error)
	Dial(ctx context.Context, addr string, o *Options) (net.Conn, error)
	// CheckDial reports an address Dial could never use, so Connect can
	// fail at once instead of retrying forever in the background.
	CheckDial(addr string) error
}

// OptionChecker is implemented by transports that cannot apply some
// options on this system: Bind and Connect fail at once with the reason.
type OptionChecker interface {
	CheckOptions(o *Options) error
}

// Poller is a transport whose connections a goroutine can drive by
// polling (AF_XDP's rings). An invoker that has no connection to drive yet
// calls PollIdle while it waits, so that a connection being made (its
// handshake's datagrams, a peer's SYN) is taken in by the waiting
// goroutine, as an established one is, and not only by the transport's own
// worker, which may not get a processor for a while: parked in the
// netpoller, with one processor (GOMAXPROCS=1) and a spinning caller it
// runs only when the scheduler's monitor polls the network, every ~10 ms.
// PollIdle must return at once when there is nothing to take in.
type Poller interface {
	PollIdle()
}

// Listener accepts connections for a bound endpoint.
type Listener interface {
	Accept() (net.Conn, error)
	Close() error
	// Endpoint is the bound address with wildcards and port 0 resolved,
	// without the scheme ("127.0.0.1:40123").
	Endpoint() string
}

// Engine runs the wire protocol over one connection for a session: the
// handshake, then messages between conn and the pipe the host attaches. It
// owns conn and closes it before returning; it returns when the connection
// fails or ctx is cancelled, with the reason.
type Engine interface {
	Serve(ctx context.Context, conn net.Conn, h *Host) error
}
