package zmqx

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zmqx/zmqx/core"
	"github.com/zmqx/zmqx/engine/afxdp"
	"github.com/zmqx/zmqx/engine/afxdp/rel"
	"github.com/zmqx/zmqx/engine/stream"
	"github.com/zmqx/zmqx/engine/tcp"
)

// SocketType selects a messaging pattern role.
type SocketType = core.Type

// Socket types (see the ZeroMQ RFCs 28, 29, 30 and 31).
const (
	PAIR   = core.PAIR
	PUB    = core.PUB
	SUB    = core.SUB
	XPUB   = core.XPUB
	XSUB   = core.XSUB
	REQ    = core.REQ
	REP    = core.REP
	DEALER = core.DEALER
	ROUTER = core.ROUTER
	PUSH   = core.PUSH
	PULL   = core.PULL
	// STREAM exchanges raw bytes with TCP (or ipc) peers that do not speak
	// ZMTP, as libzmq's ZMQ_STREAM: Recv gives [routing id, bytes read],
	// and [routing id, empty] when a peer connects or disconnects; Send
	// takes [routing id, bytes] (an unknown id is ErrHostUnreachable), and
	// [routing id, empty] closes that peer's connection. Bind and Connect
	// both work; Options.ConnectRoutingID names the peer of a Connect.
	STREAM = core.STREAM
)

// SocketOptions configure a socket; the zero value is the defaults. Each
// field is documented in core.Options.
type SocketOptions = core.Options

// Option names a socket option for Socket.SetOption and GetOption; each
// is the SocketOptions field of the same name, with its value type.
type Option = core.Option

// Options for SetOption and GetOption. Live ones (Option.Live) can change
// on a socket in use, as libzmq allows: Linger; SendHWM and RecvHWM (for
// pipes made afterwards); RouterMandatory, RouterHandover, ProbeRouter,
// ConnectRoutingID (for the next Connect); ReqRelaxed, ReqCorrelate;
// XPubVerbose, XPubVerboser, XPubNoDrop, XPubManual, XPubWelcomeMsg;
// InvertMatching; Conflate (until the first Bind or Connect); Immediate
// (next Connect); the TCP options, MaxMsgSize, HandshakeTimeout, the
// heartbeats and ConnectTimeout (connections made afterwards);
// ReconnectInterval and ReconnectIntervalMax; RoutingID and BatchSize (new
// connections). PlainUsername and PlainPassword can only be read; Events,
// Logger and PlainAuth are set at creation only. Subscriptions change
// through Subscribe and Unsubscribe.
const (
	Linger               = core.OptLinger               // time.Duration
	SendHWM              = core.OptSendHWM              // int
	RecvHWM              = core.OptRecvHWM              // int
	RoutingID            = core.OptRoutingID            // []byte (or string)
	RouterMandatory      = core.OptRouterMandatory      // bool
	RouterHandover       = core.OptRouterHandover       // bool
	ProbeRouter          = core.OptProbeRouter          // bool
	ConnectRoutingID     = core.OptConnectRoutingID     // []byte (or string)
	ReqRelaxed           = core.OptReqRelaxed           // bool
	ReqCorrelate         = core.OptReqCorrelate         // bool
	XPubVerbose          = core.OptXPubVerbose          // bool
	XPubVerboser         = core.OptXPubVerboser         // bool
	XPubNoDrop           = core.OptXPubNoDrop           // bool
	XPubManual           = core.OptXPubManual           // bool
	XPubWelcomeMsg       = core.OptXPubWelcomeMsg       // []byte (or string)
	InvertMatching       = core.OptInvertMatching       // bool
	Conflate             = core.OptConflate             // bool
	Immediate            = core.OptImmediate            // bool
	TCPKeepAlive         = core.OptTCPKeepAlive         // int
	TCPKeepAliveIdle     = core.OptTCPKeepAliveIdle     // time.Duration
	TCPKeepAliveInterval = core.OptTCPKeepAliveInterval // time.Duration
	TCPKeepAliveCount    = core.OptTCPKeepAliveCount    // int
	SendBuffer           = core.OptSendBuffer           // int
	RecvBuffer           = core.OptRecvBuffer           // int
	TOS                  = core.OptTOS                  // int
	BindToDevice         = core.OptBindToDevice         // string
	ConnectTimeout       = core.OptConnectTimeout       // time.Duration
	TCPMaxRT             = core.OptTCPMaxRT             // time.Duration
	MaxMsgSize           = core.OptMaxMsgSize           // int64 (or int)
	HandshakeTimeout     = core.OptHandshakeTimeout     // time.Duration
	HeartbeatInterval    = core.OptHeartbeatInterval    // time.Duration
	HeartbeatTTL         = core.OptHeartbeatTTL         // time.Duration
	HeartbeatTimeout     = core.OptHeartbeatTimeout     // time.Duration
	ReconnectInterval    = core.OptReconnectInterval    // time.Duration
	ReconnectIntervalMax = core.OptReconnectIntervalMax // time.Duration
	BatchSize            = core.OptBatchSize            // int
	PlainUsername        = core.OptPlainUsername        // string, read only
	PlainPassword        = core.OptPlainPassword        // string, read only
)

// Event is a connection event delivered to SocketOptions.Events.
type Event = core.Event

// EventType names an Event.
type EventType = core.EventType

// Event types.
const (
	EventListening       = core.EventListening       // Bind succeeded
	EventAccepted        = core.EventAccepted        // a peer connected to a bound endpoint
	EventConnected       = core.EventConnected       // a connect reached its peer (the handshake follows)
	EventHandshaken      = core.EventHandshaken      // the ZMTP handshake succeeded: messages flow
	EventHandshakeFailed = core.EventHandshakeFailed // the handshake failed; Err says why
	EventDisconnected    = core.EventDisconnected    // a connection ended; Err says why
	EventConnectRetry    = core.EventConnectRetry    // a connect attempt failed; another follows
	EventClosed          = core.EventClosed          // a listener closed
	EventBindFailed      = core.EventBindFailed      // Bind could not listen; Err says why
	EventAcceptFailed    = core.EventAcceptFailed    // accepting a connection failed; Err says why
	EventConnectDelayed  = core.EventConnectDelayed  // a connect attempt started
	EventMonitorStopped  = core.EventMonitorStopped  // the last event a Monitor delivers
	EventFallback        = core.EventFallback        // an xdp:// endpoint is carried over TCP; Err says why
)

// HandshakeFailure classifies an EventHandshakeFailed (Event.Failure).
type HandshakeFailure = core.HandshakeFailure

// Why a handshake failed.
const (
	HandshakeNoDetail = core.HandshakeNoDetail // the connection ended or timed out
	HandshakeProtocol = core.HandshakeProtocol // the peer broke the protocol
	HandshakeAuth     = core.HandshakeAuth     // authentication failed
)

// Msg is one frame for zero-copy sending (see NewZeroCopyMsg).
type Msg = core.Msg

// Errors; test with errors.Is.
var (
	ErrClosed          = core.ErrClosed
	ErrState           = core.ErrState
	ErrNotSupported    = core.ErrNotSupported
	ErrHostUnreachable = core.ErrHostUnreachable
	ErrEndpoint        = core.ErrEndpoint
	ErrAddrInUse       = core.ErrAddrInUse
	ErrEmptyMessage    = core.ErrEmptyMessage
	ErrWouldBlock      = core.ErrWouldBlock
	ErrInvalidOption   = core.ErrInvalidOption
)

// NoWait is a context that is already done: Send or Recv with it returns
// ErrWouldBlock instead of waiting, like libzmq's ZMQ_DONTWAIT.
var NoWait = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// ParseSocketType maps "PUB", "REQ", ... to a SocketType.
func ParseSocketType(s string) (SocketType, error) { return core.ParseType(s) }

// NewZeroCopyMsg wraps b without copying; release is called once zmqx no
// longer needs b (after the last peer's write, or when dropped).
func NewZeroCopyMsg(b []byte, release func()) Msg { return core.NewZeroCopyMsg(b, release) }

// NewMsgSize makes a message of n bytes to fill in place through Bytes,
// like zmq_msg_init_size; its initial contents are unspecified. SendMsg
// sends it without another copy.
func NewMsgSize(n int) Msg { return core.NewMsgSize(n) }

// NewMsg copies b into a message.
func NewMsg(b []byte) Msg { return core.NewMsg(b) }

// Idle is how connections wait for work; see IdleBlock, IdleBackoff and
// IdleSpin.
type Idle = core.Idle

// Idle strategies.
const (
	// IdleBlock parks in the network poller while there is nothing to do:
	// no CPU burnt, a wake-up's latency. The default.
	IdleBlock = core.IdleBlock
	// IdleBackoff spins, then yields, then sleeps up to 1 ms at a time.
	IdleBackoff = core.IdleBackoff
	// IdleSpin never gives its CPU up: the lowest latency, a core per loop.
	IdleSpin = core.IdleSpin
)

// ParseIdle maps "block", "backoff" and "spin" to an Idle.
func ParseIdle(s string) (Idle, error) { return core.ParseIdle(s) }

// Config configures a Runtime; the zero value is the defaults.
type Config struct {
	// Logger receives connection problems (dropped peers, failed
	// handshakes). nil discards them; use SocketOptions.Events to watch
	// them programmatically.
	Logger *slog.Logger
	// Idle is how connections wait for work. IdleBlock (the default) uses
	// the network poller, two goroutines per connection. IdleSpin and
	// IdleBackoff poll non-blocking sockets with raw system calls, from
	// Workers I/O workers (each a goroutine locked to an OS thread, pinned
	// to CPUs when given) or, with Invoker, from the caller's goroutine.
	// They are available on Unix systems only.
	Idle Idle
	// Invoker makes the goroutine that calls Send or Recv do the system
	// calls of the socket's connections itself, with no hand-off (Aeron's
	// invoker mode): the lowest latency. Needs IdleSpin or IdleBackoff.
	// Connections then progress only while the program calls Send, Recv
	// or Invoke on their socket; Invoke now and then keeps heartbeats
	// answered on an otherwise idle socket. A new connection comes up
	// more slowly than with IdleBlock: the dial, accept and handshake run
	// on goroutines that wait on Go's network poller, which a caller
	// spinning in Send or Recv leaves to the runtime's background poll
	// (every 10 ms), so the first round trip on tcp loopback takes 7-35 ms
	// against under 1 ms. Connect before the part that counts. (Parking
	// the caller instead brought it under 1 ms but made the steady state's
	// p99 worse, measured in bench/RESULTS.md.) Over xdp:// a caller with
	// no connection to drive yet runs the AF_XDP queues itself, so the
	// handshake's datagrams do not wait for that poll; the engine's start
	// on an interface, at its first endpoint there, takes 20-30 ms here.
	Invoker bool
	// Workers is the number of I/O workers for IdleSpin and IdleBackoff
	// without Invoker (0 means 1). A spinning worker wants a CPU of its own:
	// GOMAXPROCS must leave room for it and for the program's goroutines.
	// Where it does not (a process pinned to one CPU, say), spinning
	// workers (IdleSpin, and IdleBackoff before it parks) yield the
	// processor whenever they find nothing to do, and
	// the runtime logs a warning: they still work, but Invoker is the
	// better choice there. Invoker and the spinning strategies are for
	// latency; streaming throughput is highest with IdleBlock, whose
	// writer goroutine batches what accumulates (with Invoker each Send
	// is one write).
	Workers int
	// CPUs pins the I/O workers to these CPUs, in turn (Linux only). Empty
	// means automatic: the CPUs of the NUMA node of the network interface
	// the first connection goes through, and no pinning where the system
	// has no NUMA information for it (loopback, virtual NICs). The AF_XDP
	// engine's queue workers are pinned the same way.
	CPUs []int
	// Auth checks the peers of the runtime's sockets during the security
	// handshake (the ZAP handler, RFC 27): every client of a CURVE server
	// or of a PLAIN server without PlainAuth, and NULL peers of sockets
	// with a ZAPDomain. nil: CURVE servers admit every client. NewAuth
	// makes a ready-made one.
	Auth Authenticator
	// XDP configures the AF_XDP engine behind xdp:// endpoints.
	XDP XDPConfig
}

// XDPConfig configures the kernel-bypass engine behind xdp:// endpoints
// (Linux; see package engine/afxdp). The zero value means the defaults:
// fall back to TCP where AF_XDP cannot be used, listen on TCP beside every
// xdp:// bind, use every queue of the interface, attach the steering
// program natively where the driver can and generically otherwise, and
// turn interrupt coalescing off while the engine runs. The queue workers
// wait as Config.Idle says.
type XDPConfig struct {
	// NoFallback makes an xdp:// endpoint fail when AF_XDP cannot be used
	// instead of carrying it over TCP.
	NoFallback bool
	// NoTCPListen stops a bind on xdp://…:PORT from also listening on
	// TCP PORT.
	NoTCPListen bool
	// Queues caps the NIC queues used per interface (0: all).
	Queues int
	// Attach is the steering program's attach mode: "auto" (or ""),
	// "native" or "generic".
	Attach string
	// LeaveCoalescing leaves the NIC's interrupt coalescing alone.
	LeaveCoalescing bool
	// Loss, when set, is asked about every datagram about to be sent and
	// drops it when it returns true: loss injection for tests and
	// experiments. It is called from the queue workers.
	Loss func() bool
	// OnRecovered, when set, is given the recovery time of every lost
	// datagram: from its first transmission to its acknowledgement. It is
	// called from the queue workers.
	OnRecovered func(time.Duration)
	// OnRepair, when set, is given where the recovery time of every lost
	// datagram went: when its loss was reported, when it was resent, the
	// round trip at the time (rel.Repair). It is called from the queue
	// workers.
	OnRepair func(rel.Repair)
	// OnHole, when set, is given how long every hole in a received
	// sequence held back in-order delivery: from the arrival of the first
	// datagram beyond a loss to the arrival of its repair. It is called
	// from the queue workers.
	OnHole func(time.Duration)
}

// Runtime owns sockets and everything they share: what libzmq calls a
// context. There is no global state; several runtimes are independent.
type Runtime struct {
	rt *core.Runtime
}

// NewRuntime makes a runtime with the tcp://, ipc:// and xdp:// transports.
func NewRuntime(c Config) *Runtime {
	cc := core.Config{
		Logger: c.Logger,
		Engine: stream.Engine{},
		Transports: map[string]core.Transport{
			"tcp": tcp.TCP{},
			"ipc": tcp.IPC{},
			"xdp": afxdp.New(afxdp.Config{
				NoFallback: c.XDP.NoFallback, NoTCPListen: c.XDP.NoTCPListen,
				Queues: c.XDP.Queues, Attach: c.XDP.Attach, LeaveCoalescing: c.XDP.LeaveCoalescing,
				Loss: c.XDP.Loss, OnRecovered: c.XDP.OnRecovered, OnRepair: c.XDP.OnRepair, OnHole: c.XDP.OnHole,
				CPUs: c.CPUs, Place: placeIface, Pin: pinThread(),
				Logger: c.Logger,
				// The queue workers park: with IdleSpin, IdleBackoff or
				// Invoker the connections' drivers (I/O workers, or the
				// goroutines calling Send and Recv) take what arrives off
				// the rings themselves; a queue worker wakes for timers,
				// new connections and traffic nobody is polling for.
				Idle:        core.IdleBlock,
				DriversPoll: c.Idle != core.IdleBlock,
			}),
		},
		Idle:      c.Idle,
		Invoker:   c.Invoker,
		Workers:   c.Workers,
		CPUs:      c.CPUs,
		PinThread: pinThread(),
		Place:     placeNearNIC,
		Auth:      c.Auth,
	}
	return &Runtime{rt: core.NewRuntime(cc)}
}

// Socket makes a socket. At most one SocketOptions may be given.
func (r *Runtime) Socket(t SocketType, opts ...SocketOptions) (*Socket, error) {
	if len(opts) > 1 {
		return nil, errors.New("zmqx: Socket takes at most one SocketOptions")
	}
	var o SocketOptions
	if len(opts) == 1 {
		o = opts[0]
	}
	s, err := r.rt.Socket(t, o)
	if err != nil {
		return nil, err
	}
	return &Socket{s: s}, nil
}

// Close closes every socket (each waits up to its Linger for queued output)
// and returns when everything the runtime started has stopped.
func (r *Runtime) Close() error { return r.rt.Close() }

// Socket is a ØMQ socket. It is safe for concurrent use.
type Socket struct {
	s    *core.Socket
	mu   sync.Mutex
	last string
	// frames is a frame slice for Send and Recv to borrow: one atomic swap
	// instead of a sync.Pool round trip; concurrent callers that find it
	// taken use the pool.
	frames atomic.Pointer[[]core.Msg]
}

func (s *Socket) getFrames() *[]core.Msg {
	if sp := s.frames.Swap(nil); sp != nil {
		return sp
	}
	return scratch.Get().(*[]core.Msg)
}

func (s *Socket) putFrames(sp *[]core.Msg) {
	if !s.frames.CompareAndSwap(nil, sp) {
		scratch.Put(sp)
	}
}

// Type returns the socket type.
func (s *Socket) Type() SocketType { return s.s.Type() }

// Bind listens on an endpoint: "tcp://127.0.0.1:5555", "tcp://*:0",
// "tcp://[::1]:*", "tcp://eth0:5555" (an interface: its first IPv4
// address, else its first IPv6 one; as in libzmq, no DNS names),
// "ipc:///path", "inproc://name". The endpoint as bound (address and port
// resolved) is available from LastEndpoint.
func (s *Socket) Bind(endpoint string) error {
	ep, err := s.s.Bind(endpoint)
	if err == nil {
		s.mu.Lock()
		s.last = ep
		s.mu.Unlock()
	}
	return err
}

// LastEndpoint is the endpoint the last successful Bind resolved to.
func (s *Socket) LastEndpoint() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// Connect connects to an endpoint in the background and keeps reconnecting.
// It may be called before the peer has bound. A tcp endpoint may name the
// local address to connect from before a semicolon, an IP address or an
// interface with an optional port: "tcp://127.0.0.2;10.0.0.1:5555",
// "tcp://eth0:6000;10.0.0.1:5555".
func (s *Socket) Connect(endpoint string) error { return s.s.Connect(endpoint) }

// Unbind stops listening on an endpoint given to (or returned by) Bind.
func (s *Socket) Unbind(endpoint string) error { return s.s.Unbind(endpoint) }

// Disconnect stops connecting to an endpoint given to Connect.
func (s *Socket) Disconnect(endpoint string) error { return s.s.Disconnect(endpoint) }

// scratch recycles the frame slices Send and Recv need for one call, so
// neither allocates one per message.
var scratch = sync.Pool{New: func() any { return new([]core.Msg) }}

// Send sends one message made of the given frames, copied before Send
// returns (into the connection's outbound bytes, or for inproc into the
// message), so the caller may reuse them at once. It blocks only where the
// pattern must wait for a peer, until ctx is done. In the default blocking
// mode, a last frame of 256 KiB or more is written to a TCP or IPC
// connection straight from the caller's slice when the connection has
// nothing else to write, and only what the kernel did not take is copied;
// for that Send may wait up to about 2 ms (for the connection's writer to
// finish what is queued, and for room in the socket buffer), never once
// ctx is done, and never on PUB, XPUB and ROUTER sockets (whose Send does
// not block).
func (s *Socket) Send(ctx context.Context, frames ...[]byte) error {
	return s.s.SendBytes(ctx, frames)
}

// SendMsg sends one message of prepared frames (for zero-copy payloads).
// The frames are consumed whatever the outcome.
func (s *Socket) SendMsg(ctx context.Context, frames ...Msg) error {
	return s.s.Send(ctx, frames)
}

// Recv receives one whole message, its frames in order. The slices belong
// to the caller. RecvMsg avoids the copies this makes.
func (s *Socket) Recv(ctx context.Context) ([][]byte, error) {
	sp := s.getFrames()
	defer s.putFrames(sp)
	msg, err := s.s.Recv(ctx, (*sp)[:0])
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(msg))
	for i := range msg {
		out[i] = msg[i].Detach()
	}
	clear(msg)
	*sp = msg[:0]
	return out, nil
}

// RecvMsg receives one whole message without copying it: its frames are
// appended to dst (nil, or the slice from the last call, to reuse it). Read
// each frame with Bytes and Close it when done. Payloads over 85 bytes
// point into the connection's receive buffer, which is reused only once
// every frame in it is closed: close frames promptly (or copy what you
// keep) so the buffer recycles and steady-state receiving allocates nothing.
func (s *Socket) RecvMsg(ctx context.Context, dst []Msg) ([]Msg, error) {
	return s.s.Recv(ctx, dst)
}

// Subscribe adds a topic prefix on a SUB or XSUB socket ("" for all). On
// an XPUB with XPubManual it subscribes the subscriber whose subscription
// message Recv returned last (libzmq's ZMQ_SUBSCRIBE on XPUB).
func (s *Socket) Subscribe(topic string) error { return s.s.Subscribe([]byte(topic)) }

// Unsubscribe removes one Subscribe of the same topic.
func (s *Socket) Unsubscribe(topic string) error { return s.s.Unsubscribe([]byte(topic)) }

// SetOption changes an option of the socket while it is in use, safely
// with respect to concurrent Send and Recv: sock.SetOption(zmqx.Linger,
// time.Second). The value has the type of the SocketOptions field of the
// same name (a []byte option takes a string too) and its meaning: 0 is the
// default. An option that cannot change now (Option.Live), one of another
// socket type, or a value of the wrong type or out of range, gives an
// error matching ErrInvalidOption.
func (s *Socket) SetOption(opt Option, value any) error { return s.s.SetOption(opt, value) }

// GetOption returns an option's current value, defaults resolved (an
// unlimited HWM is -1), with the type SetOption takes.
func (s *Socket) GetOption(opt Option) (any, error) { return s.s.GetOption(opt) }

// Monitor sends the socket's events to ch, from now until stop is called,
// like zmq_socket_monitor; any number of monitors may watch a socket, and
// they can come and go at any time. Sending never blocks the socket: a full
// channel misses events. stop sends EventMonitorStopped last.
func (s *Socket) Monitor(ch chan<- Event) (stop func()) { return s.s.Monitor(ch) }

// Invoke drives the socket's connections once in invoker mode (reads,
// writes, heartbeats) and returns how much it did; 0 in other modes.
func (s *Socket) Invoke() int { return s.s.Invoke() }

// Close closes the socket: pending output gets up to Linger to leave, then
// connections and listeners are closed. Close returns when they are.
func (s *Socket) Close() error { return s.s.Close() }
