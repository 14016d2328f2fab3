package core

import "fmt"

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
)

var eventNames = [...]string{"", "listening", "accepted", "connected", "handshaken", "handshake-failed", "disconnected", "connect-retry", "closed"}

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
}

func (e Event) String() string {
	s := e.Type.String() + " " + e.Endpoint
	if e.Remote != "" {
		s += " peer=" + e.Remote
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}
