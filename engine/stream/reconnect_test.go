package stream_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/zmqx/zmqx/core"
)

// TestCutMessageIsDroppedOnReconnect: when a connection ends in the middle
// of a multi-frame message, the rest of that message is dropped; the next
// connection starts with a whole message. Before the byte path kept the
// position of the cut, a PULL restarted under a fast PUSH got the tail
// frames of the cut message as a message of their own (libzmq drops them:
// session_base_t::clean_pipes).
func TestCutMessageIsDroppedOnReconnect(t *testing.T) {
	for _, tc := range []struct {
		typ  core.Type
		peer string
	}{{core.PUSH, "PULL"}, {core.DEALER, "ROUTER"}, {core.PAIR, "PAIR"}} {
		t.Run(tc.typ.String(), func(t *testing.T) {
			ctx := testCtx(t)
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			gate := &gateTransport{}
			rt := runtime(t, nil, gate)
			s := socket(t, rt, tc.typ, core.Options{SendHWM: -1, ReconnectInterval: 5 * time.Millisecond, Linger: -1})
			if err := s.Connect("tcp://" + l.Addr().String()); err != nil {
				t.Fatal(err)
			}
			c1, err := l.Accept()
			if err != nil {
				t.Fatal(err)
			}
			p1 := &rawPeer{t: t, c: c1}
			c1.SetDeadline(time.Now().Add(20 * time.Second))
			p1.handshake(tc.peer)

			// Five frames of 1000 bytes, 20 MB of them queued behind a held
			// write: more than the kernel's buffers take, so the writer is
			// in the middle of a batch, and batches end inside messages
			// (64 KiB segments), when the connection is reset.
			const frames, size, count = 5, 1000, 4000
			send := func(seq int) {
				msg := make([]core.Msg, frames)
				for i := range msg {
					b := bytes.Repeat([]byte{'.'}, size)
					copy(b, fmt.Sprintf("seq %08d frame %d", seq, i))
					msg[i] = core.NewMsg(b)
				}
				if err := s.Send(ctx, msg); err != nil {
					t.Fatal(err)
				}
			}
			gate.mu.Lock()
			gate.armed, gate.entered, gate.release = true, make(chan struct{}), make(chan struct{})
			gate.mu.Unlock()
			send(0)
			<-gate.entered
			for seq := 1; seq < count; seq++ {
				send(seq)
			}
			close(gate.release)
			// Take some, then reset the connection.
			if _, err := io.CopyN(io.Discard, c1, 100_000); err != nil {
				t.Fatal(err)
			}
			c1.(*net.TCPConn).SetLinger(0)
			c1.Close()

			c2, err := l.Accept()
			if err != nil {
				t.Fatal(err)
			}
			defer c2.Close()
			c2.SetDeadline(time.Now().Add(20 * time.Second))
			p2 := &rawPeer{t: t, c: c2}
			p2.handshake(tc.peer)
			for n := 0; n < 3; n++ {
				var got [][]byte
				for {
					h, body := p2.frame()
					if h.Command() {
						continue
					}
					got = append(got, body)
					if !h.More() {
						break
					}
				}
				t.Logf("msg %d: %d frames, first %.20q", n, len(got), got[0])
				if len(got) != frames {
					t.Fatalf("message %d on the new connection has %d frames, want %d; first: %.20q", n, len(got), frames, got[0])
				}
				var seq int
				for i, f := range got {
					var s, fi int
					if _, err := fmt.Sscanf(string(f[:20]), "seq %08d frame %d", &s, &fi); err != nil || fi != i || i > 0 && s != seq {
						t.Fatalf("message %d on the new connection, frame %d is %.20q", n, i, f)
					}
					seq = s
				}
			}
		})
	}
}
