package core

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Type is a socket type.
type Type uint8

// Socket types, named as on the wire.
const (
	PAIR Type = iota
	PUB
	SUB
	REQ
	REP
	DEALER
	ROUTER
	PULL
	PUSH
	XPUB
	XSUB
	// STREAM talks to raw TCP peers, not ZMTP (see Socket for its
	// messages).
	STREAM
)

var typeNames = [...]string{"PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER", "PULL", "PUSH", "XPUB", "XSUB", "STREAM"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// ParseType maps a wire name ("PUB") to a Type.
func ParseType(s string) (Type, error) {
	for i, n := range typeNames {
		if n == s {
			return Type(i), nil
		}
	}
	return 0, fmt.Errorf("zmqx: unknown socket type %q", s)
}

// Defaults, chosen like libzmq's where libzmq has a finite one.
const (
	DefaultHWM               = 1000
	DefaultLinger            = time.Second
	DefaultMaxMsgSize        = 64 << 20
	DefaultHandshakeTimeout  = 30 * time.Second
	DefaultReconnectInterval = 100 * time.Millisecond
	DefaultBatchSize         = 1 << 20
)

// Options configure one socket. The zero value means "the defaults"; every
// field documents its own. Some can be changed on a live socket with
// Socket.SetOption (see Option); the others are fixed when it is made.
type Options struct {
	// SendHWM bounds the messages queued per peer for sending. 0 means
	// DefaultHWM; negative means unlimited. What happens at the mark depends
	// on the socket type: PUB and XPUB drop, the others block or fail.
	SendHWM int
	// RecvHWM bounds the messages queued per peer for receiving. 0 means
	// DefaultHWM; negative means unlimited.
	RecvHWM int
	// Linger is how long Close waits for queued messages to be written.
	// 0 means DefaultLinger; negative means discard them at once.
	Linger time.Duration
	// RoutingID is this socket's identity as a ROUTER peer sees it (1 to
	// 255 bytes, not starting with a zero byte). Empty: the peer picks one.
	RoutingID []byte
	// RouterMandatory makes a ROUTER fail a send to an unknown routing id
	// with ErrHostUnreachable instead of dropping it silently.
	RouterMandatory bool
	// ReqRelaxed lets a REQ send a new request before the reply to the
	// last one came (libzmq's ZMQ_REQ_RELAXED): the old request is given
	// up, and a late reply to it is dropped (reliably with ReqCorrelate).
	ReqRelaxed bool
	// ReqCorrelate makes a REQ put a request id frame before each request
	// and accept only the reply that carries it back (ZMQ_REQ_CORRELATE,
	// wire-compatible with libzmq).
	ReqCorrelate bool
	// XPubVerbose makes an XPUB hand every subscribe to Recv, not only the
	// first for a topic (ZMQ_XPUB_VERBOSE); XPubVerboser every unsubscribe
	// too (ZMQ_XPUB_VERBOSER).
	XPubVerbose, XPubVerboser bool
	// XPubNoDrop makes PUB and XPUB wait (or fail with ErrWouldBlock)
	// instead of dropping when a subscriber is at its HWM (ZMQ_XPUB_NODROP).
	XPubNoDrop bool
	// InvertMatching makes a PUB or XPUB send each message to the
	// subscribers that do not match it, and a SUB take the messages that
	// match none of its subscriptions (ZMQ_INVERT_MATCHING; both ends must
	// set it).
	InvertMatching bool
	// XPubManual makes an XPUB leave subscriptions to the application
	// (ZMQ_XPUB_MANUAL): every subscribe and unsubscribe a subscriber sends
	// is handed to Recv and applied to nothing; the application calls
	// Subscribe or Unsubscribe on the XPUB, which applies to the subscriber
	// whose subscription message Recv returned last.
	XPubManual bool
	// XPubWelcomeMsg, when not empty, is sent by an XPUB to each subscriber
	// as it attaches (ZMQ_XPUB_WELCOME_MSG); a SUB sees it only if it is
	// subscribed to a prefix of it.
	XPubWelcomeMsg []byte
	// Conflate keeps only the last message in each direction
	// (ZMQ_CONFLATE): a message waiting to be received is replaced by a
	// newer one, and so is one waiting for its connection to take it.
	// PUB, SUB, PUSH, PULL and DEALER only, single-part messages only.
	Conflate bool
	// Immediate queues messages only to connections that have completed
	// their handshake (ZMQ_IMMEDIATE): with none, Send blocks (or fails
	// with ErrWouldBlock) instead of queueing for a pending connect.
	Immediate bool
	// RouterHandover lets a ROUTER give a routing id that is in use to a
	// new connection that presents it, disconnecting the old one, instead
	// of refusing the new one (ZMQ_ROUTER_HANDOVER).
	RouterHandover bool
	// ProbeRouter makes a DEALER or ROUTER send an empty message to each
	// new peer as it attaches, so a ROUTER peer learns its routing id
	// (ZMQ_PROBE_ROUTER). REQ and REP take it too, as libzmq's do, but do
	// not probe.
	ProbeRouter bool
	// ConnectRoutingID is the routing id a ROUTER (or STREAM) gives the
	// peer of its next Connect, instead of the one the peer presents or a
	// generated one (ZMQ_CONNECT_ROUTING_ID). Connect uses it up.
	ConnectRoutingID []byte
	// TCP connection options (tcp:// only; zero leaves the system's
	// default). TCPKeepAlive turns keepalive probes on (1) or off (-1),
	// with the idle time before the first, the interval between them and
	// how many go unanswered before the connection is dropped.
	TCPKeepAlive                           int
	TCPKeepAliveIdle, TCPKeepAliveInterval time.Duration
	TCPKeepAliveCount                      int
	// SendBuffer and RecvBuffer set the kernel's socket buffers (SO_SNDBUF,
	// SO_RCVBUF), in bytes. Over xdp://, SendBuffer is the most each
	// channel's send ring grows to instead (bytes kept until acknowledged;
	// 4 MiB by default; the ring starts at 64 KiB).
	SendBuffer, RecvBuffer int
	// TOS sets the IP type-of-service (DSCP) byte of outgoing packets
	// (Linux).
	TOS int
	// BindToDevice binds connections to a network interface by name
	// (SO_BINDTODEVICE, Linux, needs CAP_NET_RAW).
	BindToDevice string
	// ConnectTimeout bounds one connection attempt; 0 leaves it to the
	// system.
	ConnectTimeout time.Duration
	// TCPMaxRT is how long sent data may stay unacknowledged before the
	// connection is dropped (TCP_USER_TIMEOUT, Linux; libzmq's TCP_MAXRT).
	TCPMaxRT time.Duration
	// MaxMsgSize bounds one incoming message (all its frames). 0 means
	// DefaultMaxMsgSize; negative means no limit. A peer that declares
	// more is disconnected before anything is allocated. It applies to
	// connections (tcp, ipc, xdp), not to inproc, whose messages are the
	// sender's own, as in libzmq.
	MaxMsgSize int64
	// HandshakeTimeout bounds the ZMTP greeting and security handshake.
	// 0 means DefaultHandshakeTimeout; negative means none.
	HandshakeTimeout time.Duration
	// HeartbeatInterval is the PING period on idle connections; 0 disables.
	HeartbeatInterval time.Duration
	// HeartbeatTTL is the time-to-live sent in PING for the peer to use
	// (rounded down to deciseconds, at most 6553.5 s); 0 sends none.
	HeartbeatTTL time.Duration
	// HeartbeatTimeout closes a connection that has been silent that long
	// after a PING was sent. 0 means HeartbeatInterval.
	HeartbeatTimeout time.Duration
	// ReconnectInterval is the wait before reconnecting a connected endpoint.
	// 0 means DefaultReconnectInterval; negative disables reconnection.
	ReconnectInterval time.Duration
	// ReconnectIntervalMax caps the exponential backoff of consecutive
	// failed attempts. 0 means no backoff: always ReconnectInterval.
	ReconnectIntervalMax time.Duration
	// BatchSize is the most bytes the encoder gathers into one write when
	// messages queue behind a write in progress (a lone message is always
	// written at once, alone). 0 means DefaultBatchSize, 1 MiB: measured
	// against 64 KiB on tcp loopback, it raised 64-byte throughput by a
	// quarter and 1 MiB messages by about a third (bench/RESULTS.md).
	BatchSize int
	// PlainUsername and PlainPassword make this socket a PLAIN client.
	PlainUsername, PlainPassword string
	// PlainAuth makes this socket a PLAIN server: it is called with each
	// client's credentials and refuses the client by returning an error.
	PlainAuth func(username, password string) error
	// PlainServer makes this socket a PLAIN server whose clients the
	// runtime's Authenticator checks (PlainAuth, when set, checks instead).
	PlainServer bool
	// CURVE security (RFC 26; libzmq's CURVE_SERVER, CURVE_SECRETKEY,
	// CURVE_PUBLICKEY, CURVE_SERVERKEY). A server sets CurveServer and its
	// CurveSecretKey; a client sets its CurveSecretKey and CurvePublicKey
	// and the server's public key, CurveServerKey. A CURVE server accepts
	// every client unless the runtime has an Authenticator.
	CurveServer                                    bool
	CurveSecretKey, CurvePublicKey, CurveServerKey CurveKey
	// ZAPDomain is the ZAP domain sent to the runtime's Authenticator; on
	// a NULL socket, setting it makes the Authenticator check its peers.
	ZAPDomain string
	// Events, when set, receives connection events. Sends never block: if
	// the channel is full the event is dropped.
	Events chan<- Event
	// Logger receives connection errors and dropped peers. nil means the
	// runtime's logger (which discards by default).
	Logger *slog.Logger
}

// resolved returns o with the defaults filled in and checks it.
func (o Options) resolved() (Options, error) {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.SendHWM, DefaultHWM)
	def(&o.RecvHWM, DefaultHWM)
	def(&o.BatchSize, DefaultBatchSize)
	if o.Linger == 0 {
		o.Linger = DefaultLinger
	}
	if o.MaxMsgSize == 0 {
		o.MaxMsgSize = DefaultMaxMsgSize
	}
	if o.HandshakeTimeout == 0 {
		o.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if o.ReconnectInterval == 0 {
		o.ReconnectInterval = DefaultReconnectInterval
	}
	if o.HeartbeatTimeout == 0 {
		o.HeartbeatTimeout = o.HeartbeatInterval
	}
	switch {
	case len(o.RoutingID) > 255:
		return o, errors.New("zmqx: RoutingID is longer than 255 bytes")
	case len(o.RoutingID) > 0 && o.RoutingID[0] == 0:
		return o, errors.New("zmqx: RoutingID must not start with a zero byte (reserved for generated ids)")
	case o.PlainAuth != nil && (o.PlainUsername != "" || o.PlainPassword != ""):
		return o, errors.New("zmqx: a socket is either a PLAIN server (PlainAuth) or a PLAIN client (PlainUsername), not both")
	case len(o.PlainUsername) > 255 || len(o.PlainPassword) > 255:
		return o, errors.New("zmqx: PLAIN username and password are limited to 255 bytes")
	case o.BatchSize < 0:
		return o, errors.New("zmqx: BatchSize must not be negative")
	case o.HeartbeatInterval < 0 || o.HeartbeatTTL < 0 || o.HeartbeatTimeout < 0:
		return o, errors.New("zmqx: heartbeat durations must not be negative")
	case o.HeartbeatTTL > 6553500*time.Millisecond:
		return o, errors.New("zmqx: HeartbeatTTL is at most 6553.5s")
	case o.SendBuffer < 0 || o.RecvBuffer < 0 || o.TOS < 0 || o.TOS > 255 || o.TCPKeepAliveCount < 0 ||
		o.TCPKeepAliveIdle < 0 || o.TCPKeepAliveInterval < 0 || o.ConnectTimeout < 0 || o.TCPMaxRT < 0:
		return o, errors.New("zmqx: TCP options must not be negative (and TOS at most 255)")
	case o.TCPKeepAlive < -1 || o.TCPKeepAlive > 1:
		return o, errors.New("zmqx: TCPKeepAlive is -1 (off), 0 (system default) or 1 (on)")
	case o.ReconnectIntervalMax < 0:
		return o, errors.New("zmqx: ReconnectIntervalMax must not be negative")
	}
	if err := o.checkMore(); err != nil {
		return o, err
	}
	if err := o.checkSecurity(); err != nil {
		return o, err
	}
	if o.SendHWM < 0 {
		o.SendHWM = 0 // unlimited inside
	}
	if o.RecvHWM < 0 {
		o.RecvHWM = 0
	}
	return o, nil
}
