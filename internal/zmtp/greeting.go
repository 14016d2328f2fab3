package zmtp

import (
	"errors"
	"fmt"
)

// GreetingLen is the size of a ZMTP 3.x greeting.
const GreetingLen = 64

// SignatureLen is the size of the greeting's signature; libzmq sends it alone
// first and a peer can be judged (and refused) on it before the rest arrives.
const SignatureLen = 10

// Mechanism names as they appear on the wire.
const (
	MechNull  = "NULL"
	MechPlain = "PLAIN"
	MechCurve = "CURVE"
)

// ErrBadSignature reports a peer whose first bytes are not a ZMTP signature.
var ErrBadSignature = errors.New("zmtp: bad greeting signature")

// Greeting is the fixed-size exchange that opens every connection.
type Greeting struct {
	Major, Minor byte
	Mechanism    string // at most 20 bytes
	AsServer     bool
}

// CheckSignature validates the first SignatureLen bytes of a peer's greeting.
func CheckSignature(b []byte) error {
	if len(b) < SignatureLen {
		return ErrShort
	}
	// Byte 0 is 0xFF and byte 9 has bit 0 set (0x7F); 1..8 are padding that
	// ZMTP 1.0 used for a length and which 3.x peers send as zero.
	if b[0] != 0xFF || b[9]&1 != 1 {
		return ErrBadSignature
	}
	return nil
}

// AppendGreeting appends g in wire form to b.
func AppendGreeting(b []byte, g Greeting) []byte {
	b = append(b, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F, g.Major, g.Minor)
	var mech [20]byte
	copy(mech[:], g.Mechanism)
	b = append(b, mech[:]...)
	as := byte(0)
	if g.AsServer {
		as = 1
	}
	b = append(b, as)
	var filler [31]byte
	return append(b, filler[:]...)
}

// ParseGreeting decodes a full 64-byte greeting. It refuses peers older than
// ZMTP 3.0, which zmqx does not speak.
func ParseGreeting(b []byte) (Greeting, error) {
	if len(b) < GreetingLen {
		return Greeting{}, ErrShort
	}
	if err := CheckSignature(b); err != nil {
		return Greeting{}, err
	}
	g := Greeting{Major: b[10], Minor: b[11], AsServer: b[32] == 1}
	if g.Major < 3 {
		return g, fmt.Errorf("zmtp: peer speaks ZMTP %d.%d, need 3.0 or later", g.Major, g.Minor)
	}
	mech := b[12:32]
	n := 0
	for n < len(mech) && mech[n] != 0 {
		n++
	}
	for _, c := range mech[n:] {
		if c != 0 {
			return g, errors.New("zmtp: mechanism name not zero-padded")
		}
	}
	g.Mechanism = string(mech[:n])
	return g, nil
}

// Downgraded reports whether a peer's greeting asks for ZMTP 3.0 behaviour, in
// which subscriptions travel as messages rather than SUBSCRIBE/CANCEL commands.
func (g Greeting) Downgraded() bool { return g.Major == 3 && g.Minor == 0 }
