package udpframe

import (
	"bytes"
	"net/netip"
	"testing"
)

func testHeader() Header {
	return Header{
		DstMAC: [6]byte{2, 0, 0, 0, 0, 2},
		SrcMAC: [6]byte{2, 0, 0, 0, 0, 1},
		Src:    netip.MustParseAddrPort("10.77.0.1:4000"),
		Dst:    netip.MustParseAddrPort("10.77.0.2:7777"),
		TTL:    64,
	}
}

func TestRoundTrip(t *testing.T) {
	h := testHeader()
	frame, err := Append(nil, &h, []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if len(frame) != HeaderLen+5 {
		t.Fatalf("frame length %d", len(frame))
	}
	// A correct header checksums to zero.
	if c := Checksum(frame[14:34]); c != 0 {
		t.Fatalf("IPv4 header checksum does not verify: %#04x", c)
	}
	got, p, err := Parse(frame)
	if err != nil {
		t.Fatal(err)
	}
	if got != h || string(p) != "hello" {
		t.Fatalf("Parse = %+v %q, want %+v hello", got, p, h)
	}
}

func TestChecksumKnownValue(t *testing.T) {
	// The worked example of RFC 1071 section 3: sum 0xddf2, checksum 0x220d.
	if c := Checksum([]byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}); c != 0x220d {
		t.Fatalf("Checksum = %#04x, want 0x220d", c)
	}
}

func TestParseRejects(t *testing.T) {
	h := testHeader()
	frame, _ := Append(nil, &h, []byte("xy"))
	for name, mutate := range map[string]func(b []byte) []byte{
		"short":      func(b []byte) []byte { return b[:HeaderLen-1] },
		"arp":        func(b []byte) []byte { b[12], b[13] = 0x08, 0x06; return b },
		"tcp":        func(b []byte) []byte { b[14+9] = 6; return b },
		"ihl<5":      func(b []byte) []byte { b[14] = 0x44; return b },
		"total>have": func(b []byte) []byte { b[14+3] = 0xff; return b },
		"udplen<8":   func(b []byte) []byte { b[34+5] = 4; return b },
	} {
		b := mutate(bytes.Clone(frame))
		if _, _, err := Parse(b); err == nil {
			t.Errorf("%s: Parse accepted a bad frame", name)
		}
		if _, _, err := Source(b); err == nil {
			t.Errorf("%s: Source accepted a bad frame", name)
		}
	}
}

// TestSource: Source finds what Parse does, and EndpointOf refuses what a
// frame cannot carry.
func TestSource(t *testing.T) {
	h := testHeader()
	frame, _ := Append(nil, &h, []byte("payload"))
	src, p, err := Source(frame)
	if err != nil || string(p) != "payload" {
		t.Fatalf("Source: %q, %v", p, err)
	}
	if want, ok := EndpointOf(h.Src); !ok || src != want {
		t.Fatalf("Source's endpoint %v, want %v", src, want)
	}
	if dst, _ := EndpointOf(h.Dst); dst == src {
		t.Fatal("the test header's source and destination must differ")
	}
	if _, ok := EndpointOf(netip.MustParseAddrPort("[::1]:5")); ok {
		t.Fatal("EndpointOf took an IPv6 address")
	}
}

func FuzzParse(f *testing.F) {
	h := testHeader()
	frame, _ := Append(nil, &h, []byte("seed"))
	f.Add(frame)
	f.Fuzz(func(t *testing.T, b []byte) {
		h, p, err := Parse(b)
		// Source makes the same checks and finds the same payload and
		// source without building a Header.
		src, sp, serr := Source(b)
		if (serr == nil) != (err == nil) || !bytes.Equal(sp, p) {
			t.Fatalf("Source: %q, %v; Parse: %q, %v", sp, serr, p, err)
		}
		if err != nil {
			return
		}
		if want, ok := EndpointOf(h.Src); !ok || src != want {
			t.Fatalf("Source's endpoint %v, Parse's source %v (%v)", src, h.Src, want)
		}
		// Whatever parses must re-encode to a frame that parses the same
		// (TTL 0 is Append's "default", so it comes back as 64).
		if h.TTL == 0 {
			h.TTL = 64
		}
		again, err := Append(nil, &h, p)
		if err != nil {
			t.Fatal(err)
		}
		h2, p2, err := Parse(again)
		if err != nil || h2 != h || !bytes.Equal(p2, p) {
			t.Fatalf("round trip changed the frame: %+v %q -> %+v %q (%v)", h, p, h2, p2, err)
		}
	})
}

// TestPrefix: Put writes exactly what Append does, for every payload size
// (the checksum's folding included) and addresses whose sums carry.
func TestPrefix(t *testing.T) {
	for _, h := range []Header{testHeader(), {
		DstMAC: [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, SrcMAC: [6]byte{0xfe, 1, 2, 3, 4, 5},
		Src: netip.MustParseAddrPort("255.255.255.254:65535"), Dst: netip.MustParseAddrPort("255.254.255.255:1"), TTL: 255,
	}} {
		p, err := NewPrefix(&h)
		if err != nil {
			t.Fatal(err)
		}
		payload := make([]byte, 0xffff-28)
		for i := range payload {
			payload[i] = byte(i * 7)
		}
		frame := make([]byte, HeaderLen+len(payload))
		for n := 0; n <= len(payload); n++ {
			want, err := Append(nil, &h, payload[:n])
			if err != nil {
				t.Fatal(err)
			}
			p.Put(frame, n)
			copy(frame[HeaderLen:], payload[:n])
			if !bytes.Equal(frame[:HeaderLen+n], want) {
				t.Fatalf("%v, %d bytes: Put wrote % x, Append % x", h, n, frame[:HeaderLen], want[:HeaderLen])
			}
		}
	}
	h := testHeader()
	h.Src = netip.MustParseAddrPort("[::1]:1")
	if _, err := NewPrefix(&h); err == nil {
		t.Fatal("NewPrefix took an IPv6 address")
	}
}

func BenchmarkAppend(b *testing.B) {
	h := testHeader()
	frame := make([]byte, 2048)
	for b.Loop() {
		Append(frame[:0], &h, frame[HeaderLen:HeaderLen+98])
	}
}

func BenchmarkPrefix(b *testing.B) {
	h := testHeader()
	p, _ := NewPrefix(&h)
	frame := make([]byte, 2048)
	for b.Loop() {
		p.Put(frame, 98)
	}
}
