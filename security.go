package zmqx

import (
	"context"
	"net"
	"strings"
	"sync"

	"github.com/zmqx/zmqx/core"
	"github.com/zmqx/zmqx/internal/zmtp"
)

// CurveKey is a CURVE key: 32 bytes, 40 characters of Z85 as text.
type CurveKey = core.CurveKey

// ParseCurveKey decodes a key written in Z85 (40 characters).
func ParseCurveKey(z85 string) (CurveKey, error) { return core.ParseCurveKey(z85) }

// NewCurveKeyPair makes a CURVE long-term key pair (zmq_curve_keypair).
func NewCurveKeyPair() (public, secret CurveKey, err error) { return core.NewCurveKeyPair() }

// CurvePublicKey derives a secret key's public key (zmq_curve_public).
func CurvePublicKey(secret CurveKey) CurveKey { return core.CurvePublicKey(secret) }

// Z85Encode encodes b (a multiple of 4 bytes) as Z85 text (RFC 32).
func Z85Encode(b []byte) (string, error) { return zmtp.Z85Encode(b) }

// Z85Decode decodes Z85 text (a multiple of 5 characters).
func Z85Decode(s string) ([]byte, error) { return zmtp.Z85Decode(s) }

// ZAPRequest, ZAPReply and Authenticator are the ZAP handler's contract
// (RFC 27); install an Authenticator with Config.Auth.
type (
	ZAPRequest    = core.ZAPRequest
	ZAPReply      = core.ZAPReply
	Authenticator = core.Authenticator
	// Metadata is a connection's properties, shared by its messages.
	Metadata = core.Metadata
)

// Auth is a ready-made Authenticator, in the manner of CZMQ's zauth:
// addresses are checked first (a deny list, or an allow list that, when
// not empty, admits only its addresses), then credentials by mechanism:
// NULL passes, PLAIN needs a known user and password (the user name is the
// User-Id), CURVE needs an allowed public key or AllowAnyCurve (the key in
// Z85 is the User-Id). Domains, when given, restrict the ZAP domains it
// accepts. It is safe for concurrent use and may change while in use.
type Auth struct {
	mu       sync.RWMutex
	allow    map[string]bool
	deny     map[string]bool
	users    map[string]string
	keys     map[CurveKey]bool
	anyCurve bool
	domains  map[string]bool
}

// NewAuth makes an Auth that admits NULL peers from any address and no
// PLAIN or CURVE client yet.
func NewAuth() *Auth {
	return &Auth{allow: map[string]bool{}, deny: map[string]bool{}, users: map[string]string{}, keys: map[CurveKey]bool{}, domains: map[string]bool{}}
}

// Allow admits only these peer addresses (and those of other Allow calls).
func (a *Auth) Allow(addrs ...string) *Auth {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range addrs {
		a.allow[normAddr(s)] = true
	}
	return a
}

// Deny refuses these peer addresses.
func (a *Auth) Deny(addrs ...string) *Auth {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range addrs {
		a.deny[normAddr(s)] = true
	}
	return a
}

// AllowPlain admits a PLAIN user with this password.
func (a *Auth) AllowPlain(user, password string) *Auth {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.users[user] = password
	return a
}

// AllowCurve admits CURVE clients with these public keys.
func (a *Auth) AllowCurve(keys ...CurveKey) *Auth {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, k := range keys {
		a.keys[k] = true
	}
	return a
}

// AllowAnyCurve admits every CURVE client (the connection is still
// encrypted; what is checked is only the address).
func (a *Auth) AllowAnyCurve() *Auth {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.anyCurve = true
	return a
}

// Domains restricts the ZAP domains admitted (none given: any domain).
func (a *Auth) Domains(domains ...string) *Auth {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, d := range domains {
		a.domains[d] = true
	}
	return a
}

func normAddr(s string) string {
	if ip := net.ParseIP(strings.Trim(s, "[]")); ip != nil {
		return ip.String()
	}
	return s
}

// Authenticate implements Authenticator.
func (a *Auth) Authenticate(_ context.Context, r *ZAPRequest) ZAPReply {
	a.mu.RLock()
	defer a.mu.RUnlock()
	no := func(text string) ZAPReply { return ZAPReply{StatusCode: "400", StatusText: text} }
	if len(a.domains) > 0 && !a.domains[r.Domain] {
		return no("domain " + r.Domain + " not admitted")
	}
	addr := normAddr(r.Address)
	switch {
	case a.deny[addr]:
		return no("address " + addr + " denied")
	case len(a.allow) > 0 && !a.allow[addr]:
		return no("address " + addr + " not allowed")
	}
	switch r.Mechanism {
	case zmtp.MechNull:
		return ZAPReply{StatusCode: "200", StatusText: "OK"}
	case zmtp.MechPlain:
		if len(r.Credentials) == 2 {
			if pw, ok := a.users[string(r.Credentials[0])]; ok && pw == string(r.Credentials[1]) {
				return ZAPReply{StatusCode: "200", StatusText: "OK", UserID: string(r.Credentials[0])}
			}
		}
		return no("invalid username or password")
	case zmtp.MechCurve:
		if len(r.Credentials) == 1 && len(r.Credentials[0]) == 32 {
			k := CurveKey(r.Credentials[0])
			if a.anyCurve || a.keys[k] {
				return ZAPReply{StatusCode: "200", StatusText: "OK", UserID: k.String()}
			}
		}
		return no("unknown CURVE key")
	}
	return no("mechanism " + r.Mechanism + " not supported")
}
