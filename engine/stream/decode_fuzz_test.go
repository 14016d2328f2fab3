package stream

import (
	"bytes"
	"testing"

	"github.com/zmqx/zmqx/core"
	"github.com/zmqx/zmqx/internal/zmtp"
)

// FuzzDecode feeds arbitrary peer bytes to the engine's frame reader: it
// must never panic, never hand out a body beyond the limits, and never
// allocate for a frame it refuses.
func FuzzDecode(f *testing.F) {
	f.Add(zmtp.AppendFrame(zmtp.AppendFrame(nil, zmtp.FlagMore, []byte("topic")), 0, bytes.Repeat([]byte("x"), 300)))
	f.Add([]byte{zmtp.FlagLong, 0x40, 0, 0, 0, 0, 0, 0, 0})
	f.Add(zmtp.AppendCommand(nil, zmtp.CmdSubscribe, []byte("abc")))
	f.Fuzz(func(t *testing.T, in []byte) {
		const max = 4096
		c := &conn{o: &core.Options{MaxMsgSize: max}}
		c.r.init(bytes.NewReader(in))
		var used int64
		for {
			h, body, _, err := c.readFrame(used)
			if err != nil {
				return
			}
			if h.Command() {
				if len(body) > max+256 {
					t.Fatalf("command body %d bytes", len(body))
				}
				_, _ = zmtp.ParseCommand(body)
				continue
			}
			used += int64(len(body))
			if used > max {
				t.Fatalf("message grew to %d bytes, limit %d", used, max)
			}
			if !h.More() {
				used = 0
			}
		}
	})
}
