package zmtp

import (
	"bytes"
	"errors"
	"testing"
)

func TestFrameBoundaries(t *testing.T) {
	for _, size := range []int{0, 1, 254, 255, 256, 65536, 4 << 20} {
		body := bytes.Repeat([]byte{'x'}, size)
		wire := AppendFrame(nil, FlagMore, body)
		h, err := ParseHeader(wire, 0)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		wantLen := 2
		if size > 255 {
			wantLen = 9
		}
		if h.Len != wantLen || h.Size != uint64(size) || !h.More() || h.Command() {
			t.Fatalf("size %d: header %+v", size, h)
		}
		if HeaderLen(size) != wantLen || len(wire) != wantLen+size {
			t.Fatalf("size %d: wire length %d", size, len(wire))
		}
	}
}

func TestParseHeaderErrors(t *testing.T) {
	if _, err := ParseHeader([]byte{FlagLong, 0, 0}, 0); err != ErrShort {
		t.Fatalf("truncated long header: %v", err)
	}
	huge := []byte{FlagLong, 0x40, 0, 0, 0, 0, 0, 0, 0} // 2^62
	if _, err := ParseHeader(huge, 1<<20); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("2^62 frame: %v", err)
	}
	if _, err := ParseHeader([]byte{0x80, 1}, 0); err == nil {
		t.Fatal("reserved bits accepted")
	}
	if _, err := ParseHeader([]byte{FlagCommand | FlagMore, 1}, 0); err == nil {
		t.Fatal("command with MORE accepted")
	}
}

func TestGreeting(t *testing.T) {
	g := Greeting{Major: 3, Minor: 1, Mechanism: MechPlain, AsServer: true}
	b := AppendGreeting(nil, g)
	if len(b) != GreetingLen {
		t.Fatalf("greeting is %d bytes", len(b))
	}
	got, err := ParseGreeting(b)
	if err != nil || got != g {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	if err := CheckSignature([]byte("GET / HTTP/1.1\r\n")); err != ErrBadSignature {
		t.Fatalf("HTTP accepted as greeting: %v", err)
	}
	old := AppendGreeting(nil, Greeting{Major: 2, Mechanism: MechNull})
	if _, err := ParseGreeting(old); err == nil {
		t.Fatal("ZMTP 2 greeting accepted")
	}
	if !(Greeting{Major: 3, Minor: 0}).Downgraded() || (Greeting{Major: 3, Minor: 1}).Downgraded() {
		t.Fatal("Downgraded is wrong")
	}
}

func TestMetadataAndCommands(t *testing.T) {
	m := Metadata{{"Socket-Type", []byte("DEALER")}, {"Identity", []byte("id-1")}}
	wire := AppendCommand(nil, CmdReady, AppendMetadata(nil, m))
	h, err := ParseHeader(wire, 0)
	if err != nil || !h.Command() {
		t.Fatalf("header %+v %v", h, err)
	}
	c, err := ParseCommand(wire[h.Len:])
	if err != nil || c.Name != CmdReady {
		t.Fatalf("command %+v %v", c, err)
	}
	got, err := ParseMetadata(c.Data)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := got.Get("socket-type"); string(v) != "DEALER" {
		t.Fatalf("Socket-Type = %q", v)
	}
	// A value length that overruns the command.
	bad := AppendMetadata(nil, Metadata{{"X", []byte("abc")}})
	bad[5] = 0xFF
	if _, err := ParseMetadata(bad); err == nil {
		t.Fatal("overrunning metadata accepted")
	}
	p := AppendPing(nil, 30, []byte("ctx"))
	h, _ = ParseHeader(p, 0)
	c, _ = ParseCommand(p[h.Len:])
	ping, err := ParsePing(c.Data)
	if err != nil || ping.TTL != 30 || string(ping.Context) != "ctx" {
		t.Fatalf("ping %+v %v", ping, err)
	}
}

// run drives two handshakes against each other in memory.
func run(t *testing.T, a, b HandshakeConfig) (*Handshake, *Handshake, error) {
	t.Helper()
	ha, hb := NewHandshake(a), NewHandshake(b)
	outA, errA := ha.Start(b.Greeting())
	outB, errB := hb.Start(a.Greeting())
	if errA != nil || errB != nil {
		return ha, hb, errors.Join(errA, errB)
	}
	deliver := func(h *Handshake, wire []byte) ([]byte, error) {
		var out []byte
		for len(wire) > 0 {
			hd, err := ParseHeader(wire, 0)
			if err != nil {
				return nil, err
			}
			c, err := ParseCommand(wire[hd.Len : hd.Len+int(hd.Size)])
			if err != nil {
				return nil, err
			}
			o, _, err := h.OnCommand(c)
			if err != nil {
				return o, err
			}
			out = append(out, o...)
			wire = wire[hd.Len+int(hd.Size):]
		}
		return out, nil
	}
	for i := 0; i < 4 && (len(outA) > 0 || len(outB) > 0); i++ {
		nb, err := deliver(hb, outA)
		if err != nil {
			return ha, hb, err
		}
		na, err := deliver(ha, outB)
		if err != nil {
			return ha, hb, err
		}
		outA, outB = na, nb
	}
	return ha, hb, nil
}

func TestHandshakeNull(t *testing.T) {
	ha, hb, err := run(t, HandshakeConfig{SocketType: "DEALER", Identity: []byte("me")}, HandshakeConfig{SocketType: "ROUTER"})
	if err != nil || !ha.Done() || !hb.Done() {
		t.Fatalf("err %v done %v %v", err, ha.Done(), hb.Done())
	}
	if string(hb.PeerIdentity) != "me" || hb.PeerType != "DEALER" || ha.PeerType != "ROUTER" {
		t.Fatalf("metadata: %q %q %q", hb.PeerIdentity, hb.PeerType, ha.PeerType)
	}
	if _, _, err := run(t, HandshakeConfig{SocketType: "PUB"}, HandshakeConfig{SocketType: "PUSH"}); !errors.Is(err, ErrIncompatible) {
		t.Fatalf("PUB-PUSH: %v", err)
	}
}

func TestHandshakePlain(t *testing.T) {
	check := func(u, p string) error {
		if u == "admin" && p == "secret" {
			return nil
		}
		return errors.New("bad credentials")
	}
	server := HandshakeConfig{SocketType: "REP", Mechanism: MechPlain, AsServer: true, Authenticate: check}
	_, hs, err := run(t, HandshakeConfig{SocketType: "REQ", Mechanism: MechPlain, Username: "admin", Password: "secret"}, server)
	if err != nil || !hs.Done() || hs.User != "admin" {
		t.Fatalf("accepted case: %v", err)
	}
	_, _, err = run(t, HandshakeConfig{SocketType: "REQ", Mechanism: MechPlain, Username: "admin", Password: "nope"}, server)
	if !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("refused case: %v", err)
	}
	_, _, err = run(t, HandshakeConfig{SocketType: "REQ"}, server)
	if err == nil {
		t.Fatal("NULL client accepted by PLAIN server")
	}
	bad := HandshakeConfig{SocketType: "REP", Mechanism: MechPlain, AsServer: true}
	if bad.Validate() == nil {
		t.Fatal("PLAIN server without a check validated")
	}
}

// TestLibzmqErrorQuirk: libzmq 4.3's ERROR command arrives as 0x5E "RROR"
// (a C hex escape that swallowed the E); it is read as ERROR with its
// reason.
func TestLibzmqErrorQuirk(t *testing.T) {
	body := append([]byte{0x5E, 'R', 'R', 'O', 'R', 6}, "denied"...)
	c, err := ParseCommand(body)
	if err != nil || c.Name != CmdError {
		t.Fatalf("got %q %v", c.Name, err)
	}
	if reason, err := ParseError(c.Data); err != nil || reason != "denied" {
		t.Fatalf("reason %q %v", reason, err)
	}
}
