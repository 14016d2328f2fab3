package zmtp

import (
	"errors"
	"fmt"
	"slices"
)

// ErrPeerError wraps the reason of an ERROR command received from the peer.
var ErrPeerError = errors.New("zmtp: peer sent ERROR")

// ErrAuthFailed reports PLAIN credentials the server's check refused.
var ErrAuthFailed = errors.New("zmtp: authentication failed")

// ErrIncompatible reports a peer whose socket type cannot talk to ours.
var ErrIncompatible = errors.New("zmtp: incompatible socket types")

// HandshakeConfig is what one side brings to the security handshake.
type HandshakeConfig struct {
	// SocketType is our type as sent in READY ("REQ", "PUB", ...).
	SocketType string
	// Identity is sent as the Identity property when non-empty.
	Identity []byte
	// Mechanism is MechNull, MechPlain or MechCurve; empty means NULL.
	Mechanism string
	// AsServer selects the PLAIN or CURVE server role (it checks
	// credentials).
	AsServer bool
	// Username and Password are the PLAIN client's credentials.
	Username, Password string
	// Authenticate is the PLAIN server's credential check; it must be set
	// for a PLAIN server. A non-nil error refuses the client.
	Authenticate func(username, password string) error
	// CurveSecretKey is our long-term CURVE secret key (both roles);
	// CurvePublicKey (client) is its public half; CurveServerKey (client)
	// is the server's long-term public key.
	CurveSecretKey, CurvePublicKey, CurveServerKey [32]byte
	// Authorize, when set, decides on a peer once its credentials are
	// known (the ZAP hook, RFC 27): for a PLAIN server instead of
	// Authenticate, for a CURVE server, and for NULL on both sides.
	Authorize func(AuthRequest) AuthResult
}

// AuthRequest is what a handshake knows about a peer when it asks
// Authorize: the mechanism and its credentials (PLAIN: username and
// password; CURVE: the client's long-term public key; NULL: none).
type AuthRequest struct {
	Mechanism   string
	Credentials [][]byte
}

// AuthResult is Authorize's answer. StatusCode "200" accepts; "300",
// "400" and "500" refuse (temporary error, refused, internal error).
type AuthResult struct {
	StatusCode string
	StatusText string
	UserID     string
	// Metadata is added to the connection's properties.
	Metadata Metadata
}

var zeroKey [32]byte

// Validate reports configuration mistakes before any connection is made.
func (c *HandshakeConfig) Validate() error {
	switch c.Mechanism {
	case "", MechNull:
	case MechPlain:
		if c.AsServer && c.Authenticate == nil && c.Authorize == nil {
			return errors.New("zmtp: PLAIN server needs a credential check")
		}
		if !c.AsServer && (len(c.Username) > 255 || len(c.Password) > 255) {
			return errors.New("zmtp: PLAIN username and password are limited to 255 bytes")
		}
	case MechCurve:
		if c.CurveSecretKey == zeroKey {
			return errors.New("zmtp: CURVE needs a secret key")
		}
		if !c.AsServer {
			if c.CurveServerKey == zeroKey {
				return errors.New("zmtp: a CURVE client needs the server's public key")
			}
			if CurvePublic(c.CurveSecretKey) != c.CurvePublicKey {
				return errors.New("zmtp: the CURVE public key is not the secret key's")
			}
		}
	default:
		return fmt.Errorf("zmtp: mechanism %q is not supported", c.Mechanism)
	}
	if len(c.Identity) > 255 {
		return errors.New("zmtp: routing id is limited to 255 bytes")
	}
	return nil
}

func (c *HandshakeConfig) mechanism() string {
	if c.Mechanism == "" {
		return MechNull
	}
	return c.Mechanism
}

// Greeting returns the greeting this side sends.
func (c *HandshakeConfig) Greeting() Greeting {
	return Greeting{Major: 3, Minor: 1, Mechanism: c.mechanism(), AsServer: c.Mechanism != MechNull && c.Mechanism != "" && c.AsServer}
}

type hsState uint8

const (
	hsGreeting hsState = iota
	hsReady            // waiting for READY
	hsHello            // PLAIN server waiting for HELLO
	hsWelcome          // PLAIN client waiting for WELCOME
	hsInitiate         // PLAIN server waiting for INITIATE
	hsDone
)

// Handshake runs the mechanism's command exchange after the greetings. It is a
// pure state machine: feed it the peer's greeting and then each command frame
// body, and send what it returns. When it returns an error together with
// bytes, those bytes are an ERROR command to send before closing.
type Handshake struct {
	cfg   HandshakeConfig
	state hsState
	// Peer is the peer's greeting, valid after Start.
	Peer Greeting
	// PeerMeta is the peer's READY or INITIATE metadata, valid when done.
	PeerMeta Metadata
	// PeerType is the peer's Socket-Type, valid when done.
	PeerType string
	// PeerIdentity is the peer's Identity property (may be empty).
	PeerIdentity []byte
	// User is the user id of an accepted peer: the one Authorize gave, or
	// the PLAIN username Authenticate accepted.
	User string
	// AuthMeta is the metadata Authorize added.
	AuthMeta Metadata
	// ClientKey is the long-term public key of a CURVE server's client.
	ClientKey [32]byte

	cv    *curveState
	codec *CurveCodec
}

// NewHandshake starts a handshake for cfg, which must have passed Validate.
func NewHandshake(cfg HandshakeConfig) *Handshake { return &Handshake{cfg: cfg} }

// Done reports whether the handshake has completed.
func (h *Handshake) Done() bool { return h.state == hsDone }

func (h *Handshake) metadata(b []byte) []byte {
	m := Metadata{{Name: "Socket-Type", Value: []byte(h.cfg.SocketType)}}
	if len(h.cfg.Identity) > 0 {
		m = append(m, Property{Name: "Identity", Value: h.cfg.Identity})
	}
	return AppendMetadata(b, m)
}

func (h *Handshake) fail(format string, args ...any) ([]byte, error) {
	err := fmt.Errorf(format, args...)
	return AppendError(nil, err.Error()), err
}

// Start takes the peer's greeting and returns the first command to send.
func (h *Handshake) Start(peer Greeting) ([]byte, error) {
	if h.state != hsGreeting {
		return nil, errors.New("zmtp: handshake already started")
	}
	h.Peer = peer
	mech := h.cfg.mechanism()
	if peer.Mechanism != mech {
		return h.fail("zmtp: mechanism mismatch: we use %s, peer uses %q", mech, peer.Mechanism)
	}
	switch mech {
	case MechNull:
		if out, err := h.authorize(MechNull, nil); err != nil {
			return out, err
		}
		h.state = hsReady
		return AppendCommand(nil, CmdReady, h.metadata(nil)), nil
	case MechCurve:
		return h.curveStart()
	default: // PLAIN
		// The roles come from our configuration alone: libzmq sends
		// as-server=0 whatever its role, so the peer's bit proves nothing.
		// Two clients or two servers simply time out on the wrong command.
		if h.cfg.AsServer {
			h.state = hsHello
			return nil, nil
		}
		h.state = hsWelcome
		hello := make([]byte, 0, 2+len(h.cfg.Username)+len(h.cfg.Password))
		hello = append(append(hello, byte(len(h.cfg.Username))), h.cfg.Username...)
		hello = append(append(hello, byte(len(h.cfg.Password))), h.cfg.Password...)
		return AppendCommand(nil, CmdHello, hello), nil
	}
}

// OnCommand takes one command received during the handshake. It returns the
// bytes to send and, once the peer is accepted, done == true.
func (h *Handshake) OnCommand(c Command) (out []byte, done bool, err error) {
	if c.Name == CmdError {
		reason, perr := ParseError(c.Data)
		if perr != nil {
			return nil, false, perr
		}
		return nil, false, fmt.Errorf("%w: %q%s", ErrPeerError, reason, statusMeaning(reason))
	}
	var want string
	switch h.state {
	case hsReady:
		want = CmdReady
	case hsHello:
		want = CmdHello
	case hsWelcome:
		want = CmdWelcome
	case hsInitiate:
		want = CmdInitiate
	}
	if want == "" || c.Name != want {
		out, err = h.fail("zmtp: unexpected command %q during handshake (want %s)", c.Name, want)
		return out, false, err
	}
	if h.cv != nil {
		switch h.state {
		case hsHello:
			out, err = h.curveOnHello(c.Data)
		case hsWelcome:
			out, err = h.curveOnWelcome(c.Data)
		case hsInitiate:
			out, err = h.curveOnInitiate(c.Data)
		default:
			out, err = h.curveOnReady(c.Data)
		}
		return out, err == nil && h.state == hsDone, err
	}
	switch h.state {
	case hsReady, hsInitiate:
		if out, err = h.acceptMetadata(c.Data); err != nil {
			return out, false, err
		}
		if h.state == hsInitiate {
			out = AppendCommand(nil, CmdReady, h.metadata(nil))
		}
		h.state = hsDone
		return out, true, nil
	case hsHello:
		user, pass, perr := parseHello(c.Data)
		if perr != nil {
			out, err = h.fail("%v", perr)
			return out, false, err
		}
		if h.cfg.Authorize != nil {
			if out, err := h.authorize(MechPlain, [][]byte{[]byte(user), []byte(pass)}); err != nil {
				return out, false, err
			}
		} else {
			if aerr := h.cfg.Authenticate(user, pass); aerr != nil {
				// Do not echo the checker's reason to an unauthenticated peer.
				return AppendError(nil, "authentication failed"), false, fmt.Errorf("%w for user %q: %v", ErrAuthFailed, user, aerr)
			}
			h.User = user
		}
		h.state = hsInitiate
		return AppendCommand(nil, CmdWelcome), false, nil
	default: // hsWelcome
		if len(c.Data) != 0 {
			out, err = h.fail("zmtp: WELCOME with data")
			return out, false, err
		}
		h.state = hsReady
		return AppendCommand(nil, CmdInitiate, h.metadata(nil)), false, nil
	}
}

func (h *Handshake) acceptMetadata(data []byte) ([]byte, error) {
	m, err := ParseMetadata(data)
	if err != nil {
		return h.fail("%v", err)
	}
	st, ok := m.Get("Socket-Type")
	if !ok {
		return h.fail("zmtp: peer metadata has no Socket-Type")
	}
	if !Compatible(h.cfg.SocketType, string(st)) {
		out := AppendError(nil, "Invalid socket type")
		return out, fmt.Errorf("%w: %s cannot talk to %q", ErrIncompatible, h.cfg.SocketType, st)
	}
	h.PeerMeta, h.PeerType = m, string(st)
	if id, ok := m.Get("Identity"); ok {
		h.PeerIdentity = id
	}
	return nil, nil
}

// authorize asks the Authorize hook about the peer; a refusal returns an
// ERROR command carrying the status code, as libzmq sends it (a libzmq
// peer reports a 3-digit code as an authentication failure).
func (h *Handshake) authorize(mech string, creds [][]byte) ([]byte, error) {
	if h.cfg.Authorize == nil {
		return nil, nil
	}
	r := h.cfg.Authorize(AuthRequest{Mechanism: mech, Credentials: creds})
	if r.StatusCode != "200" {
		code := r.StatusCode
		if len(code) != 3 {
			code = "500"
		}
		return AppendError(nil, code), fmt.Errorf("%w: %s %s: %s", ErrAuthFailed, mech, code, r.StatusText)
	}
	h.User, h.AuthMeta = r.UserID, r.Metadata
	return nil, nil
}

// statusMeaning explains a ZAP status code sent as an ERROR reason.
func statusMeaning(reason string) string {
	switch reason {
	case "300":
		return " (authentication: temporary error)"
	case "400":
		return " (authentication refused)"
	case "500":
		return " (authentication: server error)"
	}
	return ""
}

func parseHello(d []byte) (user, pass string, err error) {
	if len(d) < 1 {
		return "", "", errors.New("zmtp: malformed HELLO")
	}
	ul := int(d[0])
	if 1+ul+1 > len(d) {
		return "", "", errors.New("zmtp: malformed HELLO")
	}
	user = string(d[1 : 1+ul])
	d = d[1+ul:]
	pl := int(d[0])
	if 1+pl != len(d) {
		return "", "", errors.New("zmtp: malformed HELLO")
	}
	return user, string(d[1:]), nil
}

// compatible lists, per socket type, the peer types RFC 23 allows.
var compatible = map[string][]string{
	"REQ":    {"REP", "ROUTER"},
	"REP":    {"REQ", "DEALER"},
	"DEALER": {"REP", "DEALER", "ROUTER"},
	"ROUTER": {"REQ", "DEALER", "ROUTER"},
	"PUB":    {"SUB", "XSUB"},
	"XPUB":   {"SUB", "XSUB"},
	"SUB":    {"PUB", "XPUB"},
	"XSUB":   {"PUB", "XPUB"},
	"PUSH":   {"PULL"},
	"PULL":   {"PUSH"},
	"PAIR":   {"PAIR"},
}

// Compatible reports whether socket types a and b may be connected
// (RFC 23, "The Socket-Type property").
func Compatible(a, b string) bool {
	return slices.Contains(compatible[a], b)
}
