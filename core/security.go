package core

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"

	"github.com/zmqx/zmqx/internal/zmtp"
)

// CurveKey is a CURVE key (RFC 26): 32 bytes, written as 40 characters of
// Z85 (RFC 32) in configuration and by String.
type CurveKey [32]byte

// ParseCurveKey decodes a 40-character Z85 key.
func ParseCurveKey(z85 string) (CurveKey, error) {
	k, err := zmtp.Z85Key(z85)
	return CurveKey(k), err
}

// String is the key in Z85.
func (k CurveKey) String() string {
	s, _ := zmtp.Z85Encode(k[:])
	return s
}

// IsZero reports an unset key.
func (k CurveKey) IsZero() bool { return k == CurveKey{} }

// NewCurveKeyPair makes a CURVE long-term key pair (zmq_curve_keypair).
func NewCurveKeyPair() (public, secret CurveKey, err error) {
	p, s, err := zmtp.NewCurveKeyPair()
	return CurveKey(p), CurveKey(s), err
}

// CurvePublicKey derives the public key of a secret key (zmq_curve_public).
func CurvePublicKey(secret CurveKey) CurveKey { return CurveKey(zmtp.CurvePublic(secret)) }

// checkSecurity reports mechanism options that cannot work together.
func (o *Options) checkSecurity() error {
	curve := o.CurveServer || !o.CurveSecretKey.IsZero() || !o.CurvePublicKey.IsZero() || !o.CurveServerKey.IsZero()
	plain := o.PlainServer || o.PlainAuth != nil || o.PlainUsername != "" || o.PlainPassword != ""
	switch {
	case curve && plain:
		return errors.New("zmqx: a socket uses one security mechanism: CURVE or PLAIN, not both")
	case o.PlainServer && (o.PlainUsername != "" || o.PlainPassword != ""):
		return errors.New("zmqx: a socket is either a PLAIN server (PlainServer) or a PLAIN client (PlainUsername), not both")
	case !curve:
		return nil
	case o.CurveSecretKey.IsZero():
		return errors.New("zmqx: CURVE needs CurveSecretKey (this side's secret key)")
	case o.CurveServer && !o.CurveServerKey.IsZero():
		return errors.New("zmqx: a CURVE server takes no CurveServerKey (that is the client's setting: the server's public key)")
	case !o.CurveServer && o.CurveServerKey.IsZero():
		return errors.New("zmqx: a CURVE client needs CurveServerKey, the server's public key (or set CurveServer for the server role)")
	case !o.CurveServer && o.CurvePublicKey.IsZero():
		return errors.New("zmqx: a CURVE client needs CurvePublicKey, its own public key")
	case !o.CurvePublicKey.IsZero() && CurvePublicKey(o.CurveSecretKey) != o.CurvePublicKey:
		return errors.New("zmqx: CurvePublicKey is not the public half of CurveSecretKey")
	}
	return nil
}

// ZAPRequest is a ZAP request (RFC 27): what a handshake knows about a
// peer when it asks the runtime's Authenticator.
type ZAPRequest struct {
	Version   string // "1.0"
	RequestID string // unique within the runtime
	Domain    string // the socket's ZAPDomain
	Address   string // the peer's IP address (the path for ipc)
	// Identity is the socket's own routing id, as libzmq sends it.
	Identity []byte
	// Mechanism is "NULL", "PLAIN" or "CURVE".
	Mechanism string
	// Credentials: none for NULL; username and password for PLAIN; the
	// client's 32-byte long-term public key for CURVE.
	Credentials [][]byte
}

// ZAPReply is an Authenticator's answer (RFC 27).
type ZAPReply struct {
	// StatusCode is "200" (accept), "300" (temporary error), "400"
	// (authentication failure) or "500" (internal error).
	StatusCode string
	StatusText string
	// UserID is delivered as the User-Id property of the peer's messages.
	UserID string
	// Metadata is added to the connection's properties (ZAP metadata).
	Metadata map[string]string
}

// Authenticator decides on peers during the security handshake: the ZAP
// handler (RFC 27) of a runtime. It is asked about every client of a CURVE
// or PLAIN server socket (a PLAIN server with PlainAuth asks PlainAuth
// instead) and, on sockets with a ZAPDomain, about NULL peers. It is
// called on the connection's own goroutine, under the handshake timeout
// (ctx ends with it), and may be called concurrently.
type Authenticator interface {
	Authenticate(ctx context.Context, req *ZAPRequest) ZAPReply
}

var zapRequests atomic.Uint64

// Authorizer returns the ZAP hook of a connection's handshake for mech, or
// nil when the runtime's authenticator is not to be asked (see
// Authenticator).
func (h *Host) Authorizer(ctx context.Context, mech string) func(zmtp.AuthRequest) zmtp.AuthResult {
	s := h.ss.sock
	a := s.rt.auth
	if a == nil || mech == zmtp.MechNull && s.opts.ZAPDomain == "" {
		return nil
	}
	return func(r zmtp.AuthRequest) zmtp.AuthResult {
		req := &ZAPRequest{
			Version:     "1.0",
			RequestID:   uitoa(zapRequests.Add(1)),
			Domain:      s.opts.ZAPDomain,
			Address:     peerAddress(h.remote),
			Identity:    s.opts.RoutingID,
			Mechanism:   r.Mechanism,
			Credentials: r.Credentials,
		}
		rep := a.Authenticate(ctx, req)
		res := zmtp.AuthResult{StatusCode: rep.StatusCode, StatusText: rep.StatusText, UserID: rep.UserID}
		for k, v := range rep.Metadata {
			res.Metadata = append(res.Metadata, zmtp.Property{Name: k, Value: []byte(v)})
		}
		return res
	}
}

func uitoa(v uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		if v /= 10; v == 0 {
			return string(b[i:])
		}
	}
}

// peerAddress is the address part of a remote address, as libzmq's
// Peer-Address property and ZAP address have it.
func peerAddress(remote string) string {
	if host, _, err := net.SplitHostPort(remote); err == nil {
		return host
	}
	return remote
}

// Metadata is the set of properties of a connection (libzmq's message
// properties): Socket-Type, Identity, User-Id, Peer-Address and whatever
// else the peer or the authenticator sent. One immutable value is shared
// by every message received on the connection.
type Metadata struct {
	props []metaProp
}

type metaProp struct{ name, value string }

// Get returns the value of a property; names compare case-insensitively.
func (m *Metadata) Get(name string) (string, bool) {
	if m == nil {
		return "", false
	}
	for _, p := range m.props {
		if strings.EqualFold(p.name, name) {
			return p.value, true
		}
	}
	return "", false
}

// Each calls f with every property, in order.
func (m *Metadata) Each(f func(name, value string)) {
	if m == nil {
		return
	}
	for _, p := range m.props {
		f(p.name, p.value)
	}
}

// NewMetadata builds a connection's metadata: the peer's properties, then
// the authenticator's, then User-Id and Peer-Address; a name set twice
// keeps its first value, so the peer cannot forge User-Id or Peer-Address.
func NewMetadata(peer, auth zmtp.Metadata, userID, remote string) *Metadata {
	m := &Metadata{}
	add := func(name, value string) {
		if _, ok := m.Get(name); !ok {
			m.props = append(m.props, metaProp{name, value})
		}
	}
	if userID != "" {
		add("User-Id", userID)
	}
	if remote != "" {
		add("Peer-Address", peerAddress(remote))
	}
	for _, p := range auth {
		add(p.Name, string(p.Value))
	}
	for _, p := range peer {
		if strings.EqualFold(p.Name, "User-Id") || strings.EqualFold(p.Name, "Peer-Address") {
			continue
		}
		add(p.Name, string(p.Value))
	}
	return m
}

// Metadata returns a property of the connection the message came in on
// (Socket-Type, Identity, User-Id, Peer-Address, ...); messages that did
// not come from a stream connection have none.
func (m *Msg) Metadata(name string) (string, bool) { return m.meta.Get(name) }

// Properties returns all the properties of the connection the message came
// in on (nil for none).
func (m *Msg) Properties() *Metadata { return m.meta }
