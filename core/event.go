package core

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"

	"github.com/zmqx/zmqx/internal/zmtp"
)

// EventType names a connection event.
type EventType uint8

// Events reported to Options.Events.
const (
	EventListening EventType = iota + 1
	EventAccepted
	EventConnected  // TCP/IPC connection made (handshake follows)
	EventHandshaken // handshake completed; messages flow
	EventHandshakeFailed
	EventDisconnected
	EventConnectRetry // a connect attempt failed; another will follow
	EventClosed       // listener or session closed
	EventBindFailed   // Bind could not listen; Err says why
	EventAcceptFailed // accepting a connection failed; Err says why
	EventConnectDelayed
	EventMonitorStopped // the last event a monitor gets
	// EventFallback: an endpoint is carried by another transport than the
	// one it names (xdp:// over TCP where AF_XDP cannot be used); Err says
	// why.
	EventFallback
)

var eventNames = [...]string{"", "listening", "accepted", "connected", "handshaken", "handshake-failed", "disconnected", "connect-retry", "closed", "bind-failed", "accept-failed", "connect-delayed", "monitor-stopped", "fallback"}

// HandshakeFailure says why a handshake failed, as libzmq's three
// HANDSHAKE_FAILED events do.
type HandshakeFailure uint8

const (
	// HandshakeNoDetail: the connection ended or timed out.
	HandshakeNoDetail HandshakeFailure = iota
	// HandshakeProtocol: the peer broke the protocol (bad greeting,
	// incompatible socket type, malformed command, mechanism mismatch).
	HandshakeProtocol
	// HandshakeAuth: authentication failed, on either side.
	HandshakeAuth
)

func (f HandshakeFailure) String() string {
	return [...]string{"no-detail", "protocol", "auth"}[f]
}

// classifyHandshake sorts a handshake error into libzmq's three kinds.
func classifyHandshake(err error) HandshakeFailure {
	var ne net.Error
	switch {
	case errors.Is(err, zmtp.ErrAuthFailed), errors.Is(err, zmtp.ErrPeerError):
		return HandshakeAuth
	case err == nil, errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.As(err, &ne):
		return HandshakeNoDetail
	}
	return HandshakeProtocol
}

func (t EventType) String() string {
	if int(t) < len(eventNames) {
		return eventNames[t]
	}
	return fmt.Sprintf("EventType(%d)", uint8(t))
}

// Event reports something that happened to a connection of a socket.
type Event struct {
	Type     EventType
	Endpoint string // the endpoint as bound or connected
	Remote   string // the peer's address, when known
	Err      error  // the reason, for failures and disconnects
	// Failure classifies an EventHandshakeFailed.
	Failure HandshakeFailure
}

func (e Event) String() string {
	s := e.Type.String() + " " + e.Endpoint
	if e.Remote != "" {
		s += " peer=" + e.Remote
	}
	if e.Type == EventHandshakeFailed {
		s += " (" + e.Failure.String() + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// fallbackOf is the reason a listener or connection of one transport is
// carried by another (xdp:// over TCP), or nil.
func fallbackOf(v any) error {
	if f, ok := v.(interface{ Fallback() error }); ok {
		return f.Fallback()
	}
	return nil
}
