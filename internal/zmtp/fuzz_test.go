package zmtp

import (
	"bytes"
	"testing"
)

// FuzzFrame checks that any header that parses re-encodes to one that parses
// the same, and that the limit is always enforced.
func FuzzFrame(f *testing.F) {
	f.Add([]byte{0, 0})
	f.Add([]byte{FlagLong | FlagMore, 0, 0, 0, 0, 0, 0, 1, 0})
	f.Add([]byte{FlagLong, 0x40, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		const max = 1 << 20
		h, err := ParseHeader(b, max)
		if err != nil {
			return
		}
		if h.Size > max || h.Len > len(b) {
			t.Fatalf("header %+v escapes its bounds", h)
		}
		again, err := ParseHeader(AppendHeader(nil, h.Flags, int(h.Size)), max)
		if err != nil || again.Size != h.Size || again.Flags&^FlagLong != h.Flags&^FlagLong {
			t.Fatalf("round trip %+v -> %+v (%v)", h, again, err)
		}
	})
}

// FuzzCommand checks command and metadata parsing round-trips.
func FuzzCommand(f *testing.F) {
	f.Add(AppendCommand(nil, CmdReady, AppendMetadata(nil, Metadata{{"Socket-Type", []byte("PUB")}}))[2:])
	f.Add([]byte{4, 'P', 'I', 'N', 'G', 0, 10})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCommand(b)
		if err != nil {
			return
		}
		w := AppendCommand(nil, c.Name, c.Data)
		h, err := ParseHeader(w, 0)
		if err != nil {
			t.Fatal(err)
		}
		c2, err := ParseCommand(w[h.Len:])
		if err != nil || c2.Name != c.Name || !bytes.Equal(c2.Data, c.Data) {
			t.Fatalf("round trip %q -> %q", c.Name, c2.Name)
		}
		if m, err := ParseMetadata(c.Data); err == nil {
			m2, err := ParseMetadata(AppendMetadata(nil, m))
			if err != nil || len(m2) != len(m) {
				t.Fatalf("metadata round trip: %v", err)
			}
		}
		_, _ = ParsePing(c.Data)
		_, _ = ParseError(c.Data)
	})
}

// FuzzHandshake feeds arbitrary greeting and command bytes to each role.
func FuzzHandshake(f *testing.F) {
	f.Add(AppendGreeting(nil, Greeting{Major: 3, Minor: 1, Mechanism: MechNull}), AppendCommand(nil, CmdReady, AppendMetadata(nil, Metadata{{"Socket-Type", []byte("REQ")}})))
	f.Add(AppendGreeting(nil, Greeting{Major: 3, Minor: 0, Mechanism: MechPlain}), AppendCommand(nil, CmdHello, []byte{1, 'a', 1, 'b'}))
	f.Fuzz(func(t *testing.T, greeting, frames []byte) {
		g, err := ParseGreeting(greeting)
		if err != nil {
			return
		}
		for _, cfg := range []HandshakeConfig{
			{SocketType: "REP"},
			{SocketType: "REP", Mechanism: MechPlain, AsServer: true, Authenticate: func(u, p string) error { return nil }},
			{SocketType: "REQ", Mechanism: MechPlain, Username: "u", Password: "p"},
		} {
			h := NewHandshake(cfg)
			if _, err := h.Start(g); err != nil {
				continue
			}
			rest := frames
			for len(rest) > 0 && !h.Done() {
				hd, err := ParseHeader(rest, 1<<16)
				if err != nil || uint64(len(rest)-hd.Len) < hd.Size {
					break
				}
				body := rest[hd.Len : hd.Len+int(hd.Size)]
				rest = rest[hd.Len+int(hd.Size):]
				c, err := ParseCommand(body)
				if err != nil {
					break
				}
				if _, _, err := h.OnCommand(c); err != nil {
					break
				}
			}
			if h.Done() && !Compatible(cfg.SocketType, h.PeerType) {
				t.Fatalf("accepted incompatible peer %q", h.PeerType)
			}
		}
	})
}
