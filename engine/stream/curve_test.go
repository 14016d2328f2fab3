package stream

import (
	"bytes"
	"testing"

	"github.com/zmqx/zmqx/internal/zmtp"
)

// TestCurveSealSplit: seal turns a stream of plain frames into one MESSAGE
// per frame whatever the pieces it is handed (down to single bytes, a
// header split between two), with the flags carried in the box.
func TestCurveSealSplit(t *testing.T) {
	var stream []byte
	type frame struct {
		flags byte
		body  []byte
	}
	frames := []frame{
		{zmtp.FlagMore, []byte("topic")},
		{0, bytes.Repeat([]byte("y"), 300)}, // long header
		{zmtp.FlagCommand, []byte("\x04PING\x00\x0a")},
		{0, nil},
	}
	for _, f := range frames {
		stream = zmtp.AppendFrame(stream, f.flags, f.body)
	}
	for _, piece := range []int{1, 2, 3, 7, 9, 64, len(stream)} {
		var key [32]byte
		key[3] = 9
		cli, srv := zmtp.NewCurveCodecForTest(key)
		x := &curveIO{codec: cli, left: -1}
		for b := stream; len(b) > 0; {
			k := min(piece, len(b))
			x.seal(b[:k])
			b = b[k:]
		}
		out := x.out
		for i, f := range frames {
			h, err := zmtp.ParseHeader(out, 0)
			if err != nil || h.Command() || h.More() {
				t.Fatalf("piece %d frame %d: header %+v %v", piece, i, h, err)
			}
			c, err := zmtp.ParseCommand(out[h.Len : h.Len+int(h.Size)])
			if err != nil || c.Name != zmtp.CmdMessage {
				t.Fatalf("piece %d frame %d: %q %v", piece, i, c.Name, err)
			}
			plain, err := srv.Open(nil, c.Data)
			if err != nil {
				t.Fatal(err)
			}
			if zmtp.FromCurveFlags(plain[0]) != f.flags || !bytes.Equal(plain[1:], f.body) {
				t.Fatalf("piece %d frame %d: flags %x body %q", piece, i, plain[0], plain[1:])
			}
			out = out[h.Len+int(h.Size):]
		}
		if len(out) != 0 || x.left != -1 || x.hdrN != 0 {
			t.Fatalf("piece %d: %d bytes left, state %d/%d", piece, len(out), x.left, x.hdrN)
		}
	}
}
