// Package zmqx is ØMQ (ZeroMQ) in Go: brokerless messaging with
// BSD-socket-style sockets and the ZeroMQ patterns, wire-compatible with
// libzmq (ZMTP 3.1, with 3.0 peers too).
//
// A Runtime holds everything that would otherwise be global — what libzmq
// calls a context. It is not called Context because every blocking call
// here takes a context.Context for deadlines and cancellation, and two
// different things named "context" in one call would be a trap:
//
//	rt := zmqx.NewRuntime(zmqx.Config{})
//	defer rt.Close()
//	pub, _ := rt.Socket(zmqx.PUB)
//	pub.Bind("tcp://127.0.0.1:5556")
//	pub.Send(ctx, []byte("quotes.EURUSD 1.0842"))
//
// Sockets are safe for use from several goroutines; messages are sent and
// received whole (all frames at once). Transports: tcp://, ipc://, inproc://,
// and on Linux xdp:// (the AF_XDP engine, package engine/afxdp; TCP where it
// cannot be used).
// A tcp bind takes "*", an IP address or an interface name
// ("tcp://eth0:5555"); a tcp connect may name the address to connect from
// ("tcp://127.0.0.2;10.0.0.1:5555").
//
// # Socket types
//
// PAIR, PUB, SUB, XPUB, XSUB, REQ, REP, DEALER, ROUTER, PUSH and PULL speak
// ZMTP; STREAM (libzmq's ZMQ_STREAM) exchanges raw bytes with TCP peers
// that do not: messages are [routing id, data], with [routing id, empty]
// when a peer connects or goes, and sending [routing id, empty] closes it.
//
// # Options
//
// SocketOptions configures a socket when it is made; SetOption and
// GetOption change and read options on a socket in use, with the Option
// constants (Linger, SendHWM, ...), as zmq_setsockopt does. The options and
// their libzmq names:
//
//	SendHWM, RecvHWM              ZMQ_SNDHWM, ZMQ_RCVHWM (live: new pipes)
//	Linger                        ZMQ_LINGER (live)
//	RoutingID                     ZMQ_ROUTING_ID (live: new connections)
//	ConnectRoutingID              ZMQ_CONNECT_ROUTING_ID (live: the next Connect uses it up)
//	RouterMandatory               ZMQ_ROUTER_MANDATORY (live)
//	RouterHandover                ZMQ_ROUTER_HANDOVER (live)
//	ProbeRouter                   ZMQ_PROBE_ROUTER (live: new peers)
//	ReqRelaxed, ReqCorrelate      ZMQ_REQ_RELAXED, ZMQ_REQ_CORRELATE (live)
//	XPubVerbose, XPubVerboser     ZMQ_XPUB_VERBOSE, ZMQ_XPUB_VERBOSER (live)
//	XPubNoDrop                    ZMQ_XPUB_NODROP (live)
//	XPubManual                    ZMQ_XPUB_MANUAL (live; Subscribe on the XPUB)
//	XPubWelcomeMsg                ZMQ_XPUB_WELCOME_MSG (live: new subscribers)
//	InvertMatching                ZMQ_INVERT_MATCHING (live)
//	Conflate                      ZMQ_CONFLATE (live until the first Bind or Connect)
//	Immediate                     ZMQ_IMMEDIATE (live: next Connect)
//	MaxMsgSize                    ZMQ_MAXMSGSIZE (live: new connections)
//	HandshakeTimeout              ZMQ_HANDSHAKE_IVL (live: new connections)
//	HeartbeatInterval, -TTL, -Timeout  ZMQ_HEARTBEAT_IVL, _TTL, _TIMEOUT (live: new connections)
//	ReconnectInterval, -Max       ZMQ_RECONNECT_IVL, ZMQ_RECONNECT_IVL_MAX (live)
//	ConnectTimeout                ZMQ_CONNECT_TIMEOUT (live)
//	TCPKeepAlive, -Idle, -Interval, -Count  ZMQ_TCP_KEEPALIVE, _IDLE, _INTVL, _CNT (live: new connections)
//	SendBuffer, RecvBuffer        ZMQ_SNDBUF, ZMQ_RCVBUF (live: new connections)
//	TOS                           ZMQ_TOS (live: new connections)
//	BindToDevice                  ZMQ_BINDTODEVICE (live: new connections)
//	TCPMaxRT                      ZMQ_TCP_MAXRT (live: new connections)
//	PlainUsername, -Password, PlainAuth  ZMQ_PLAIN_* (with a Go callback for ZAP; fixed at creation)
//	BatchSize                     zmqx's own (live: new connections)
//	Events, Logger                zmqx's own (fixed at creation)
//
// "Live: new connections" means a change applies to the connections, binds
// and connects made after it, as in libzmq. Subscriptions change through
// Subscribe and Unsubscribe. An option of one socket type given to another
// (ReqRelaxed to a DEALER, RouterMandatory to a DEALER) is refused with
// ErrInvalidOption, at creation and by SetOption, where libzmq refuses it:
// RouterMandatory and RouterHandover are ROUTER's and REP's, ProbeRouter
// also REQ's and DEALER's, ConnectRoutingID ROUTER's, REP's and STREAM's,
// ReqRelaxed and ReqCorrelate REQ's, the XPub options PUB's and XPUB's
// (XPubManual XPUB's alone).
//
// Security mechanisms: NULL, PLAIN and CURVE (CurveZMQ, RFC 26; keys as
// CurveKey, written in Z85: NewCurveKeyPair, ParseCurveKey). A CURVE server
// sets SocketOptions.CurveServer and CurveSecretKey; a client sets its own
// CurveSecretKey and CurvePublicKey and the server's CurveServerKey.
// Config.Auth installs an Authenticator, the ZAP handler (RFC 27) that
// admits or refuses peers during the handshake; Auth is a ready-made one
// (addresses, PLAIN users, CURVE keys, domains). A refused peer gets an
// ERROR and the socket an EventHandshakeFailed with HandshakeAuth. Every
// received message carries its connection's properties (Msg.Metadata:
// Socket-Type, Identity, User-Id, Peer-Address and what the peer sent).
package zmqx
