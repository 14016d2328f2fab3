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
// received whole (all frames at once). Transports: tcp://, ipc://, inproc://.
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
