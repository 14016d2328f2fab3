package zmtp

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/crypto/curve25519"
	"golang.org/x/crypto/nacl/box"
	"golang.org/x/crypto/nacl/secretbox"
)

// CURVE (RFC 26 CurveZMQ, carried as ZMTP-CURVE): the command layouts
// below are libzmq 4.3's, byte for byte. Sizes are of the command data,
// after the command name.
const (
	CmdMessage = "MESSAGE"

	helloData   = 194 // version 2, padding 72, C' 32, nonce 8, box 80
	welcomeData = 160 // nonce 16, box 144 (S' 32, cookie 96)
	initiateMin = 248 // cookie 96, nonce 8, box 144+ (C 32, vouch nonce 16, vouch 80, metadata)
	readyMin    = 24  // nonce 8, box 16+ (metadata)
	messageMin  = 25  // nonce 8, box 16+ (flags 1, payload)
	cookieLen   = 96  // nonce 16, secretbox 80 (C' 32, s' 32)
)

// MessageOverhead is what a CURVE MESSAGE adds to a frame's payload: the
// command name (8 with its length byte), the short nonce (8), the box's
// authenticator (16) and the flags byte (1).
const MessageOverhead = 8 + 8 + box.Overhead + 1

// Nonce prefixes (RFC 26).
var (
	nonceHello    = []byte("CurveZMQHELLO---")
	nonceWelcome  = []byte("WELCOME-")
	nonceCookie   = []byte("COOKIE--")
	nonceVouch    = []byte("VOUCH---")
	nonceInitiate = []byte("CurveZMQINITIATE")
	nonceReady    = []byte("CurveZMQREADY---")
	nonceMessageC = "CurveZMQMESSAGEC"
	nonceMessageS = "CurveZMQMESSAGES"
)

// CURVE message flags: the first byte of a MESSAGE's plaintext.
const (
	CurveMore    = 0x01
	CurveCommand = 0x02
)

// ErrCurveCrypto reports a CURVE box that does not open: wrong keys, or
// bytes changed on the way.
var ErrCurveCrypto = errors.New("zmtp: CURVE box does not open")

// ErrReplay reports a CURVE MESSAGE whose nonce does not increase.
var ErrReplay = errors.New("zmtp: CURVE nonce not increasing (replayed or reordered message)")

// NewCurveKeyPair makes a CURVE long-term key pair.
func NewCurveKeyPair() (public, secret [32]byte, err error) {
	pub, sec, err := box.GenerateKey(rand.Reader)
	if err != nil {
		return public, secret, err
	}
	return *pub, *sec, nil
}

// CurvePublic derives the public key of secret.
func CurvePublic(secret [32]byte) [32]byte {
	var pub [32]byte
	curve25519.ScalarBaseMult(&pub, &secret)
	return pub
}

func nonce24(prefix []byte, tail []byte) *[24]byte {
	var n [24]byte
	copy(n[copy(n[:], prefix):], tail)
	return &n
}

func shortNonce(prefix []byte, v uint64) *[24]byte {
	var n [24]byte
	copy(n[:], prefix)
	binary.BigEndian.PutUint64(n[16:], v)
	return &n
}

// CurveCodec encrypts and decrypts the MESSAGEs of an established
// CURVE connection. One side seals, the other opens, so one goroutine
// may seal while another opens.
type CurveCodec struct {
	key       [32]byte // precomputed from the short-term keys
	sendNonce [24]byte // prefix and the next short nonce
	recvNonce [24]byte
	next      uint64 // next short nonce to send
	peer      uint64 // last short nonce received
}

func newCurveCodec(key *[32]byte, server bool, next, peer uint64) *CurveCodec {
	c := &CurveCodec{key: *key, next: next, peer: peer}
	send, recv := nonceMessageC, nonceMessageS
	if server {
		send, recv = recv, send
	}
	copy(c.sendNonce[:], send)
	copy(c.recvNonce[:], recv)
	return c
}

// NewCurveCodecForTest makes a pair of codecs that talk to each other, as
// after a handshake (client first).
func NewCurveCodecForTest(key [32]byte) (client, server *CurveCodec) {
	return newCurveCodec(&key, false, 3, 1), newCurveCodec(&key, true, 2, 2)
}

// SealedLen is the size of the MESSAGE frame (header included)
// that carries a plaintext of n bytes (flags byte included).
func SealedLen(n int) int {
	size := 8 + 8 + box.Overhead + n
	if size > MaxShortFrame {
		return 9 + size
	}
	return 2 + size
}

// Seal appends to dst one MESSAGE frame carrying plain, which is the CURVE
// flags byte followed by the payload. It allocates nothing when dst has
// room (SealedLen).
//
// The frame is a final data frame (flags 0), not a command frame, as
// libzmq 4.3 sends it: libzmq marks the boxed message it frames with none
// of the original's flags, and on receipt it would keep a command flag on
// the opened message (so a command-flagged MESSAGE confuses it).
func (c *CurveCodec) Seal(dst []byte, plain []byte) []byte {
	size := 8 + 8 + box.Overhead + len(plain)
	dst = AppendHeader(dst, 0, size)
	dst = append(dst, 7, 'M', 'E', 'S', 'S', 'A', 'G', 'E')
	binary.BigEndian.PutUint64(c.sendNonce[16:], c.next)
	c.next++
	dst = append(dst, c.sendNonce[16:]...)
	return box.SealAfterPrecomputation(dst, plain, &c.sendNonce, &c.key)
}

// Open takes the body of a MESSAGE after its name, checks that
// its nonce is above every one seen before and appends the plaintext (the
// flags byte, then the payload) to dst.
func (c *CurveCodec) Open(dst []byte, data []byte) ([]byte, error) {
	if len(data) < messageMin {
		return nil, errors.New("zmtp: malformed CURVE MESSAGE")
	}
	n := binary.BigEndian.Uint64(data)
	if n <= c.peer {
		return nil, fmt.Errorf("%w: %d after %d", ErrReplay, n, c.peer)
	}
	copy(c.recvNonce[16:], data[:8])
	out, ok := box.OpenAfterPrecomputation(dst, data[8:], &c.recvNonce, &c.key)
	if !ok {
		return nil, fmt.Errorf("%w: MESSAGE %d", ErrCurveCrypto, n)
	}
	c.peer = n
	return out, nil
}

// ParseMessage checks a MESSAGE body (after the name) for shape only (no keys):
// the short nonce and the box.
func ParseMessage(data []byte) (nonce uint64, boxed []byte, err error) {
	if len(data) < messageMin {
		return 0, nil, errors.New("zmtp: malformed CURVE MESSAGE")
	}
	return binary.BigEndian.Uint64(data), data[8:], nil
}

// ToCurveFlags maps a ZMTP frame header's flags to a MESSAGE's flags byte.
func ToCurveFlags(f byte) byte {
	var c byte
	if f&FlagMore != 0 {
		c |= CurveMore
	}
	if f&FlagCommand != 0 {
		c |= CurveCommand
	}
	return c
}

// FromCurveFlags maps a MESSAGE's flags byte to ZMTP frame header flags
// (without FlagLong).
func FromCurveFlags(c byte) byte {
	var f byte
	if c&CurveMore != 0 {
		f |= FlagMore
	}
	if c&CurveCommand != 0 {
		f |= FlagCommand
	}
	return f
}

// curveState is one side's handshake state.
type curveState struct {
	cnPublic, cnSecret [32]byte // our short-term keys
	peerShort          [32]byte // the peer's short-term public key
	key                [32]byte // precomputed from the short-term keys
	cookie             [cookieLen]byte
	cookieKey          [32]byte // server: the cookie's short-lived key
	nonce              uint64   // our next short nonce
	peerNonce          uint64
	clientKey          [32]byte // server: the client's long-term key
}

func (h *Handshake) curveStart() ([]byte, error) {
	pub, sec, err := box.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	h.cv = &curveState{cnPublic: *pub, cnSecret: *sec, nonce: 1}
	if h.cfg.AsServer {
		h.state = hsHello
		return nil, nil
	}
	h.state = hsWelcome
	return AppendCommand(nil, CmdHello, h.curveHello()), nil
}

// curveHello is a HELLO's data: version 1.0, anti-amplification padding,
// C', the short nonce and Box[64 zero bytes](C'->S).
func (h *Handshake) curveHello() []byte {
	cv := h.cv
	d := make([]byte, 0, helloData)
	d = append(d, 1, 0)
	d = append(d, make([]byte, 72)...)
	d = append(d, cv.cnPublic[:]...)
	n := cv.nonce
	cv.nonce++
	d = binary.BigEndian.AppendUint64(d, n)
	return box.Seal(d, make([]byte, 64), shortNonce(nonceHello, n), &h.cfg.CurveServerKey, &cv.cnSecret)
}

// ParseHello checks a CURVE HELLO's shape: version 1.0 and its size.
func ParseHello(data []byte) (clientShort [32]byte, nonce uint64, boxed []byte, err error) {
	if len(data) != helloData {
		return clientShort, 0, nil, fmt.Errorf("zmtp: malformed CURVE HELLO (%d bytes)", len(data))
	}
	if data[0] != 1 || data[1] != 0 {
		return clientShort, 0, nil, fmt.Errorf("zmtp: CURVE HELLO version %d.%d, want 1.0", data[0], data[1])
	}
	copy(clientShort[:], data[74:106])
	return clientShort, binary.BigEndian.Uint64(data[106:114]), data[114:], nil
}

func (h *Handshake) curveOnHello(data []byte) ([]byte, error) {
	cv := h.cv
	short, n, boxed, err := ParseHello(data)
	if err != nil {
		return h.fail("%v", err)
	}
	if _, ok := box.Open(nil, boxed, shortNonce(nonceHello, n), &short, &h.cfg.CurveSecretKey); !ok {
		err := fmt.Errorf("%w: HELLO (the client has another server key)", ErrAuthFailed)
		return AppendError(nil, "CURVE HELLO does not open: wrong server key"), err
	}
	cv.peerShort, cv.peerNonce = short, n
	// The cookie: Box[C' + s'](K) under a key made for this handshake only.
	if _, err := rand.Read(cv.cookieKey[:]); err != nil {
		return nil, err
	}
	var cn [16]byte
	if _, err := rand.Read(cn[:]); err != nil {
		return nil, err
	}
	plain := make([]byte, 0, 64)
	plain = append(append(plain, short[:]...), cv.cnSecret[:]...)
	cookie := secretbox.Seal(cn[:16:16], plain, nonce24(nonceCookie, cn[:]), &cv.cookieKey)
	clear(plain)
	// WELCOME: a long nonce and Box[S' + cookie](S->C').
	var wn [16]byte
	if _, err := rand.Read(wn[:]); err != nil {
		return nil, err
	}
	wplain := append(append(make([]byte, 0, 128), cv.cnPublic[:]...), cookie...)
	d := box.Seal(append(make([]byte, 0, welcomeData), wn[:]...), wplain, nonce24(nonceWelcome, wn[:]), &short, &h.cfg.CurveSecretKey)
	h.state = hsInitiate
	return AppendCommand(nil, CmdWelcome, d), nil
}

// ParseWelcome checks a CURVE WELCOME's shape.
func ParseWelcome(data []byte) (nonce []byte, boxed []byte, err error) {
	if len(data) != welcomeData {
		return nil, nil, fmt.Errorf("zmtp: malformed CURVE WELCOME (%d bytes)", len(data))
	}
	return data[:16], data[16:], nil
}

func (h *Handshake) curveOnWelcome(data []byte) ([]byte, error) {
	cv := h.cv
	wn, boxed, err := ParseWelcome(data)
	if err != nil {
		return h.fail("%v", err)
	}
	plain, ok := box.Open(nil, boxed, nonce24(nonceWelcome, wn), &h.cfg.CurveServerKey, &cv.cnSecret)
	if !ok {
		return nil, fmt.Errorf("%w: WELCOME does not open (the server is not the one whose key we have)", ErrAuthFailed)
	}
	copy(cv.peerShort[:], plain[:32])
	copy(cv.cookie[:], plain[32:])
	box.Precompute(&cv.key, &cv.peerShort, &cv.cnSecret)

	// The vouch: Box[C' + S](C->S'), with a long nonce.
	var vn [16]byte
	if _, err := rand.Read(vn[:]); err != nil {
		return nil, err
	}
	vplain := append(append(make([]byte, 0, 64), cv.cnPublic[:]...), h.cfg.CurveServerKey[:]...)
	ipl := make([]byte, 0, 128+64)
	ipl = append(ipl, h.cfg.CurvePublicKey[:]...)
	ipl = append(ipl, vn[:]...)
	ipl = box.Seal(ipl, vplain, nonce24(nonceVouch, vn[:]), &cv.peerShort, &h.cfg.CurveSecretKey)
	ipl = h.metadata(ipl)
	n := cv.nonce
	cv.nonce++
	d := make([]byte, 0, cookieLen+8+box.Overhead+len(ipl))
	d = append(d, cv.cookie[:]...)
	d = binary.BigEndian.AppendUint64(d, n)
	d = box.SealAfterPrecomputation(d, ipl, shortNonce(nonceInitiate, n), &cv.key)
	h.state = hsReady
	return AppendCommand(nil, CmdInitiate, d), nil
}

// ParseInitiate checks a CURVE INITIATE's shape.
func ParseInitiate(data []byte) (cookie []byte, nonce uint64, boxed []byte, err error) {
	if len(data) < initiateMin {
		return nil, 0, nil, fmt.Errorf("zmtp: malformed CURVE INITIATE (%d bytes)", len(data))
	}
	return data[:cookieLen], binary.BigEndian.Uint64(data[cookieLen:]), data[cookieLen+8:], nil
}

func (h *Handshake) curveOnInitiate(data []byte) ([]byte, error) {
	cv := h.cv
	cookie, n, boxed, err := ParseInitiate(data)
	if err != nil {
		return h.fail("%v", err)
	}
	cplain, ok := secretbox.Open(nil, cookie[16:], nonce24(nonceCookie, cookie[:16]), &cv.cookieKey)
	clear(cv.cookieKey[:]) // one use
	if !ok || subtle.ConstantTimeCompare(cplain[:32], cv.peerShort[:]) != 1 ||
		subtle.ConstantTimeCompare(cplain[32:], cv.cnSecret[:]) != 1 {
		return h.fail("%v: INITIATE cookie", ErrCurveCrypto)
	}
	if n <= cv.peerNonce {
		return h.fail("%v: INITIATE nonce %d after %d", ErrReplay, n, cv.peerNonce)
	}
	box.Precompute(&cv.key, &cv.peerShort, &cv.cnSecret)
	plain, ok := box.OpenAfterPrecomputation(nil, boxed, shortNonce(nonceInitiate, n), &cv.key)
	if !ok || len(plain) < 128 {
		return h.fail("%v: INITIATE", ErrCurveCrypto)
	}
	cv.peerNonce = n
	copy(cv.clientKey[:], plain[:32])
	vouch, ok := box.Open(nil, plain[48:128], nonce24(nonceVouch, plain[32:48]), &cv.clientKey, &cv.cnSecret)
	if !ok || len(vouch) != 64 {
		return h.fail("%v: INITIATE vouch", ErrCurveCrypto)
	}
	ourPublic := CurvePublic(h.cfg.CurveSecretKey)
	if subtle.ConstantTimeCompare(vouch[:32], cv.peerShort[:]) != 1 || subtle.ConstantTimeCompare(vouch[32:], ourPublic[:]) != 1 {
		return h.fail("zmtp: CURVE INITIATE vouch does not match the connection's keys")
	}
	if out, err := h.authorize(MechCurve, [][]byte{cv.clientKey[:]}); err != nil {
		return out, err
	}
	if out, err := h.acceptMetadata(plain[128:]); err != nil {
		return out, err
	}
	rplain := h.metadata(nil)
	rn := cv.nonce
	cv.nonce++
	d := binary.BigEndian.AppendUint64(make([]byte, 0, 8+box.Overhead+len(rplain)), rn)
	d = box.SealAfterPrecomputation(d, rplain, shortNonce(nonceReady, rn), &cv.key)
	h.state = hsDone
	h.codec = newCurveCodec(&cv.key, true, cv.nonce, cv.peerNonce)
	h.ClientKey = cv.clientKey
	h.cv = nil
	return AppendCommand(nil, CmdReady, d), nil
}

// ParseCurveReady checks a CURVE READY's shape.
func ParseCurveReady(data []byte) (nonce uint64, boxed []byte, err error) {
	if len(data) < readyMin {
		return 0, nil, fmt.Errorf("zmtp: malformed CURVE READY (%d bytes)", len(data))
	}
	return binary.BigEndian.Uint64(data), data[8:], nil
}

func (h *Handshake) curveOnReady(data []byte) ([]byte, error) {
	cv := h.cv
	n, boxed, err := ParseCurveReady(data)
	if err != nil {
		return h.fail("%v", err)
	}
	plain, ok := box.OpenAfterPrecomputation(nil, boxed, shortNonce(nonceReady, n), &cv.key)
	if !ok {
		return h.fail("%v: READY", ErrCurveCrypto)
	}
	if out, err := h.acceptMetadata(plain); err != nil {
		return out, err
	}
	h.state = hsDone
	h.codec = newCurveCodec(&cv.key, false, cv.nonce, n)
	h.cv = nil
	return nil, nil
}

// Codec returns the CURVE codec of a completed CURVE handshake (nil for
// the other mechanisms, which send frames as they are).
func (h *Handshake) Codec() *CurveCodec {
	if h.state != hsDone {
		return nil
	}
	return h.codec
}
