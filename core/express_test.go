package core

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/zmqx/zmqx/internal/zmtp"
)

// decodeUsual is what the usual receive path makes of b, one read's bytes:
// the frames an Inbound publishes and the socket decodes (Fill, next), the
// number of whole messages published, and Fill's error.
func decodeUsual(b []byte, maxMsg int64) ([]Msg, int, error) {
	in := newInbound(0, maxMsg, newSignal())
	in.serial = true
	n := copy(in.Space(), b)
	if n < len(b) {
		panic("test input larger than a segment")
	}
	if _, err := in.Fill(n); err != nil {
		return nil, 0, err
	}
	var out []Msg
	msgs := 0
	for {
		var m Msg
		if !in.next(&m) {
			break
		}
		if !m.More {
			msgs++
		}
		out = append(out, m)
	}
	return out, msgs, nil
}

// expressShape makes one message of the shape REQ and REP exchange (an
// empty delimiter, then frames) with frame sizes from sizes.
func expressShape(sizes ...int) []byte {
	b := zmtp.AppendFrame(nil, zmtp.FlagMore, nil)
	for i, n := range sizes {
		var f byte
		if i < len(sizes)-1 {
			f = zmtp.FlagMore
		}
		b = zmtp.AppendFrame(b, f, bytes.Repeat([]byte{byte('a' + i)}, n))
	}
	return b
}

// TestExpressMsgTakesTheExchangeShape: expressMsg decodes the messages REQ
// and REP exchange with one peer, and refuses, leaving dst as it was, the
// bytes that are anything else: so a read of them goes the usual way.
func TestExpressMsgTakesTheExchangeShape(t *testing.T) {
	meta := &Metadata{}
	for _, sizes := range [][]int{{0}, {1}, {64}, {InlineMax}, {3, 0, InlineMax}, {10, 20}} {
		b := expressShape(sizes...)
		dst := []Msg{NewMsg([]byte("kept"))}
		got, ok := expressMsg(b, 1<<20, meta, dst)
		if !ok {
			t.Fatalf("%v: refused", sizes)
		}
		if len(got) != 1+len(sizes) || string(got[0].Bytes()) != "kept" {
			t.Fatalf("%v: %d frames", sizes, len(got))
		}
		for i, n := range sizes {
			m := got[1+i]
			if m.Len() != n || !m.Inline() || m.More != (i < len(sizes)-1) || m.meta != meta ||
				!bytes.Equal(m.Bytes(), bytes.Repeat([]byte{byte('a' + i)}, n)) {
				t.Fatalf("%v: frame %d is %q more=%v", sizes, i, m.Bytes(), m.More)
			}
		}
	}
	ping := zmtp.AppendPing(nil, 0, nil)
	for name, b := range map[string][]byte{
		"empty":                {},
		"delimiter only":       zmtp.AppendFrame(nil, zmtp.FlagMore, nil),
		"no delimiter":         zmtp.AppendFrame(nil, 0, []byte("x")),
		"delimiter not empty":  zmtp.AppendFrame(zmtp.AppendFrame(nil, zmtp.FlagMore, []byte("id")), 0, []byte("x")),
		"delimiter last":       zmtp.AppendFrame(nil, 0, nil),
		"framelike delimiter":  {zmtp.FlagMore, 2, 0, 1, 'x'}, // a 2-byte first frame whose body reads as a frame header
		"frame over InlineMax": expressShape(InlineMax + 1),
		"long frame":           expressShape(300),
		"long header":          append(zmtp.AppendFrame(nil, zmtp.FlagMore, nil), zmtp.FlagLong, 0, 0, 0, 0, 0, 0, 0, 1, 'x'),
		"command after":        append(expressShape(4), ping...),
		"command before":       append(ping, expressShape(4)...),
		"two messages":         append(expressShape(4), expressShape(5)...),
		"partial header":       expressShape(4)[:2+1],
		"partial body":         expressShape(4)[:2+2+3],
		"unfinished message":   zmtp.AppendFrame(zmtp.AppendFrame(nil, zmtp.FlagMore, nil), zmtp.FlagMore, []byte("x")),
		"over the limit":       expressShape(60, 60),
	} {
		dst := []Msg{NewMsg([]byte("kept"))}
		got, ok := expressMsg(b, 100, meta, dst)
		if ok || len(got) != 1 || string(got[0].Bytes()) != "kept" || cap(got) < 2 && len(got) > 1 {
			t.Fatalf("%s: taken (ok %v, %d frames)", name, ok, len(got))
		}
		if c := got[:cap(got)]; len(c) > 1 && (c[1].Len() != 0 || c[1].More) {
			t.Fatalf("%s: a frame left behind in dst's spare capacity", name)
		}
	}
}

// TestExpressMsgMatchesTheUsualPath: for random bytes near the exchange's
// shape (random flags, sizes, truncation and trailing bytes), whenever
// expressMsg takes them the usual path publishes exactly one message of
// the same frames from them, with no error: the express path never
// decodes what the usual path would refuse, split or decode otherwise.
func TestExpressMsgMatchesTheUsualPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	taken := 0
	for i := 0; i < 20000; i++ {
		var b []byte
		nf := 1 + rng.IntN(4)
		for f := 0; f < nf; f++ {
			flags := byte(0)
			if f < nf-1 || rng.IntN(8) == 0 {
				flags = zmtp.FlagMore
			}
			if rng.IntN(16) == 0 {
				flags |= byte(rng.IntN(8)) // a command or long flag, at times
			}
			n := rng.IntN(InlineMax + 8)
			if f == 0 && rng.IntN(4) != 0 {
				n = 0
			}
			if flags&zmtp.FlagLong != 0 {
				b = append(b, flags, 0, 0, 0, 0, 0, 0, 0, byte(n))
			} else {
				b = append(b, flags, byte(n))
			}
			b = append(b, bytes.Repeat([]byte{byte(i + f)}, n)...)
		}
		switch rng.IntN(8) {
		case 0:
			b = b[:rng.IntN(len(b)+1)]
		case 1:
			b = append(b, byte(rng.IntN(3)))
		}
		maxMsg := int64(1 << 20)
		if rng.IntN(4) == 0 {
			maxMsg = int64(rng.IntN(200))
		}
		got, ok := expressMsg(b, maxMsg, nil, nil)
		if !ok {
			continue
		}
		taken++
		usual, msgs, err := decodeUsual(b, maxMsg)
		if err != nil || msgs != 1 || len(usual) != 1+len(got) || usual[0].Len() != 0 || !usual[0].More {
			t.Fatalf("% x: express took %d frames; the usual path: %d frames, %d messages, %v", b, len(got), len(usual), msgs, err)
		}
		for k, m := range got {
			u := usual[1+k]
			if !bytes.Equal(m.Bytes(), u.Bytes()) || m.More != u.More || !m.Inline() {
				t.Fatalf("% x: frame %d: express %q more=%v, usual %q more=%v", b, k, m.Bytes(), m.More, u.Bytes(), u.More)
			}
		}
	}
	if taken < 1000 {
		t.Fatalf("only %d of the inputs were the exchange's shape: the test checks too little", taken)
	}
}
