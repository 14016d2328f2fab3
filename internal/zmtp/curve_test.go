package zmtp

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestZ85Vector(t *testing.T) {
	// RFC 32's test vector.
	raw := []byte{0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B}
	s, err := Z85Encode(raw)
	if err != nil || s != "HelloWorld" {
		t.Fatalf("encode: %q %v", s, err)
	}
	b, err := Z85Decode("HelloWorld")
	if err != nil || !bytes.Equal(b, raw) {
		t.Fatalf("decode: %x %v", b, err)
	}
	for _, bad := range []string{"Hell", "HelloWorl", "Hello World", "%%%%%"} {
		if _, err := Z85Decode(bad); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
	if _, err := Z85Encode([]byte{1, 2, 3}); err == nil {
		t.Error("3 bytes encoded")
	}
}

func TestCurveKeys(t *testing.T) {
	// The example key pair from libzmq's zmq_curve(7) manual page: deriving
	// the public key from the secret one checks the Z85 and the curve.
	pub, err := Z85Key("Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID")
	if err != nil {
		t.Fatal(err)
	}
	sec, err := Z85Key("D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs")
	if err != nil {
		t.Fatal(err)
	}
	if CurvePublic(sec) != pub {
		t.Fatal("public key does not derive from the secret key")
	}
	p, s, err := NewCurveKeyPair()
	if err != nil || CurvePublic(s) != p {
		t.Fatalf("key pair: %v", err)
	}
	if _, err := Z85Key("short"); err == nil {
		t.Fatal("short key accepted")
	}
}

type curveKeys struct{ pub, sec [32]byte }

func newKeys(t testing.TB) curveKeys {
	p, s, err := NewCurveKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return curveKeys{p, s}
}

func curvePair(t testing.TB, server, client curveKeys, serverKey [32]byte) (HandshakeConfig, HandshakeConfig) {
	return HandshakeConfig{SocketType: "REP", Mechanism: MechCurve, AsServer: true, CurveSecretKey: server.sec},
		HandshakeConfig{SocketType: "REQ", Mechanism: MechCurve, Identity: []byte("me"), CurveSecretKey: client.sec, CurvePublicKey: client.pub, CurveServerKey: serverKey}
}

func TestHandshakeCurve(t *testing.T) {
	srv, cli := newKeys(t), newKeys(t)
	sc, cc := curvePair(t, srv, cli, srv.pub)
	var asked AuthRequest
	sc.Authorize = func(r AuthRequest) AuthResult {
		asked = r
		return AuthResult{StatusCode: "200", UserID: "alice", Metadata: Metadata{{"X-Desk", []byte("fx")}}}
	}
	hs, hc, err := run(t, sc, cc)
	if err != nil || !hs.Done() || !hc.Done() {
		t.Fatalf("err %v done %v %v", err, hs.Done(), hc.Done())
	}
	if asked.Mechanism != MechCurve || len(asked.Credentials) != 1 || !bytes.Equal(asked.Credentials[0], cli.pub[:]) {
		t.Fatalf("ZAP request %+v", asked)
	}
	if hs.User != "alice" || hs.ClientKey != cli.pub || string(hs.PeerIdentity) != "me" || hc.PeerType != "REP" {
		t.Fatalf("server saw user %q key %x id %q; client saw %q", hs.User, hs.ClientKey, hs.PeerIdentity, hc.PeerType)
	}
	if cc.Greeting().AsServer || !sc.Greeting().AsServer {
		t.Fatal("as-server bits")
	}
	// Messages both ways, with replay and tampering refused.
	cs, ss := hc.Codec(), hs.Codec()
	if cs == nil || ss == nil {
		t.Fatal("no codec")
	}
	roundTrip := func(from, to *CurveCodec, payload []byte, flags byte) []byte {
		t.Helper()
		frame := from.Seal(nil, append([]byte{flags}, payload...))
		if len(frame) != SealedLen(1+len(payload)) {
			t.Fatalf("sealed %d bytes, SealedLen says %d", len(frame), SealedLen(1+len(payload)))
		}
		hd, err := ParseHeader(frame, 0)
		if err != nil || hd.Command() || hd.More() {
			t.Fatal(hd, err)
		}
		c, err := ParseCommand(frame[hd.Len:])
		if err != nil || c.Name != CmdMessage {
			t.Fatal(c.Name, err)
		}
		plain, err := to.Open(nil, c.Data)
		if err != nil || plain[0] != flags || !bytes.Equal(plain[1:], payload) {
			t.Fatalf("open: %v %x", err, plain)
		}
		return c.Data
	}
	roundTrip(cs, ss, []byte("hello"), CurveMore)
	data := roundTrip(ss, cs, bytes.Repeat([]byte{7}, 300), 0)
	if _, err := cs.Open(nil, data); !errors.Is(err, ErrReplay) {
		t.Fatalf("replay: %v", err)
	}
	data = roundTrip(cs, ss, []byte("x"), CurveCommand)
	data = append([]byte(nil), data...)
	data[7]++ // a later nonce, but the box was sealed under another
	if _, err := ss.Open(nil, data); !errors.Is(err, ErrCurveCrypto) {
		t.Fatalf("tampered nonce: %v", err)
	}
	data2 := cs.Seal(nil, []byte{0, 'a', 'b'})
	c, _ := ParseCommand(data2[2:])
	c.Data[len(c.Data)-1] ^= 1
	if _, err := ss.Open(nil, c.Data); !errors.Is(err, ErrCurveCrypto) {
		t.Fatalf("tampered box: %v", err)
	}
}

func TestHandshakeCurveRefusals(t *testing.T) {
	srv, cli, other := newKeys(t), newKeys(t), newKeys(t)
	// The client has the wrong server key: the server cannot open HELLO
	// and says so; the client reports the ERROR.
	sc, cc := curvePair(t, srv, cli, other.pub)
	hs, hc := NewHandshake(sc), NewHandshake(cc)
	hello, err := hc.Start(sc.Greeting())
	if err != nil {
		t.Fatal(err)
	}
	hs.Start(cc.Greeting())
	hd, _ := ParseHeader(hello, 0)
	c, _ := ParseCommand(hello[hd.Len:])
	out, _, err := hs.OnCommand(c)
	if !errors.Is(err, ErrAuthFailed) || len(out) == 0 {
		t.Fatalf("server: %v, %d bytes out", err, len(out))
	}
	hd, _ = ParseHeader(out, 0)
	c, _ = ParseCommand(out[hd.Len:])
	if _, _, err := hc.OnCommand(c); !errors.Is(err, ErrPeerError) || !strings.Contains(err.Error(), "wrong server key") {
		t.Fatalf("client: %v", err)
	}
	// The authorizer refuses the client: ERROR "400".
	sc, cc = curvePair(t, srv, cli, srv.pub)
	sc.Authorize = func(AuthRequest) AuthResult { return AuthResult{StatusCode: "400", StatusText: "unknown key"} }
	_, _, err = run(t, sc, cc)
	if !errors.Is(err, ErrAuthFailed) || !strings.Contains(err.Error(), "unknown key") {
		t.Fatalf("refused: %v", err)
	}
	if err := (&HandshakeConfig{Mechanism: MechCurve, CurveSecretKey: cli.sec, CurvePublicKey: cli.pub}).Validate(); err == nil {
		t.Fatal("client without a server key validated")
	}
	if err := (&HandshakeConfig{Mechanism: MechCurve, CurveSecretKey: cli.sec, CurvePublicKey: other.pub, CurveServerKey: srv.pub}).Validate(); err == nil {
		t.Fatal("mismatched key pair validated")
	}
}

func TestHandshakeNullZAP(t *testing.T) {
	deny := HandshakeConfig{SocketType: "PULL", Authorize: func(r AuthRequest) AuthResult {
		return AuthResult{StatusCode: "400", StatusText: "address denied"}
	}}
	if _, _, err := run(t, deny, HandshakeConfig{SocketType: "PUSH"}); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("NULL refused: %v", err)
	}
}
