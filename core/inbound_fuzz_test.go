package core

import (
	"bytes"
	"testing"

	"github.com/zmqx/zmqx/internal/zmtp"
)

// FuzzInbound feeds arbitrary peer bytes, in arbitrary read sizes, through
// the receive path (the engine's Fill, the socket's decoding): it must never
// panic, never deliver a message over MaxMsgSize, never make a segment much
// larger than the limit asks for, and never publish half a message.
func FuzzInbound(f *testing.F) {
	f.Add(zmtp.AppendFrame(zmtp.AppendFrame(nil, zmtp.FlagMore, []byte("topic")), 0, bytes.Repeat([]byte("x"), 300)), uint16(7))
	f.Add([]byte{zmtp.FlagLong, 0x40, 0, 0, 0, 0, 0, 0, 0}, uint16(1))
	f.Add(zmtp.AppendCommand(nil, zmtp.CmdSubscribe, []byte("abc")), uint16(3))
	f.Add(zmtp.AppendFrame(nil, 0, bytes.Repeat([]byte("y"), 5000)), uint16(4096))
	f.Fuzz(func(t *testing.T, in []byte, chunk uint16) {
		const max = 100 << 10 // more than a segment, so big frames are reachable
		ib := newInbound(0, max, newSignal())
		ib.subIn = chunk&1 == 1
		ib.SetCommandHandler(func(body []byte) error {
			_, err := zmtp.ParseCommand(body)
			return err
		})
		step := int(chunk%9000) + 1
		var used int64
		for len(in) > 0 {
			sp := ib.Space()
			if len(sp) > max+inSegSize {
				t.Fatalf("segment of %d bytes for a %d-byte limit", len(sp), max)
			}
			k := copy(sp, in[:min(len(in), step)])
			in = in[k:]
			if _, err := ib.Fill(k); err != nil {
				return
			}
			var m Msg
			for ib.next(&m) {
				if !m.Inline() && m.ref == nil && m.ext == nil {
					t.Fatal("empty non-inline message")
				}
				used += int64(m.Len())
				if used > max {
					t.Fatalf("message grew to %d bytes, limit %d", used, max)
				}
				if !m.More {
					used = 0
				}
				m.Close()
				m = Msg{}
			}
			// Published messages are whole: the last one taken ended.
			if used != 0 {
				t.Fatalf("a message was published without its last frame")
			}
		}
	})
}
