package rel

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestSendIsWriteAndPoll runs the same exchange twice over a lossy,
// reordering, duplicating link with the same seed: once writing with Write
// (the datagrams made by Poll), once with Send where it takes a message
// (Write and Poll where it does not), each write followed by the Polls
// that send what else is due, as the engine's writer does. Each side
// writes messages of random sizes at random times, alone or in bursts, so
// that they meet every state Send must refuse: unsent data, full windows,
// queued retransmissions, pending NAKs, expired timers. Both runs must put
// the very same datagrams on the wire in the same order, and deliver every
// byte.
func TestSendIsWriteAndPoll(t *testing.T) {
	seed := testSeed(t)
	m := lossModel{Delay: 3 * us, Loss: 0.05, ReorderP: 0.05, Jitter: 5 * us, DupP: 0.02, BurstP: 0.005, BurstLen: 4}
	cfg := Config{SendBuffer: 16 << 10, RecvWindow: 8 << 10}
	wire := func(useSend bool) (out [][]byte, sent, refused int) {
		s := newSim(t, seed, cfg, cfg, m, m)
		s.onSend = func(s *sim, from int, d []byte) {
			out = append(out, append([]byte{byte(from)}, d...))
		}
		const perSide = 3000
		rng := rand.New(rand.NewPCG(seed, 7))
		st := [2]*stream{newStream(0, 1<<62, 0, 0), newStream(1, 1<<62, 0, 0)}
		s.readers[1], s.readers[0] = st[0], st[1]
		var count [2]int
		next := [2]int64{s.now, s.now}
		var arrived [2]bool
		s.onRecv = func(s *sim, to int, d []byte) { arrived[to] = true }
		buf := make([]byte, HeaderLen+1400)
		s.app = func(s *sim) {
			s.wake = 0
			for i, c := range s.c {
				if c == nil || c.State() != Established || count[i] == perSide {
					continue
				}
				// Often write right when something came in or a timer is
				// due: where Send must see what Poll would send first.
				if (arrived[i] || c.Deadline() <= s.now) && rng.IntN(2) == 0 {
					next[i] = min(next[i], s.now)
				}
				arrived[i] = false
				for s.now >= next[i] && count[i] < perSide {
					n := 1 + rng.IntN(1200)
					if rng.IntN(10) == 0 {
						n += 1400 // more than a datagram: Send refuses it
					}
					if c.Writable() < n {
						next[i] = s.now + us
						break
					}
					w := st[i]
					msg := make([]byte, n)
					for k := range msg {
						msg[k] = pattern(i, w.written+uint64(k))
					}
					took := 0
					if useSend {
						var dn int
						if took, dn = c.Send(msg, buf, s.now); took > 0 {
							s.held[i] = append(s.held[i], append([]byte(nil), buf[:dn]...))
							sent++
						} else if n <= c.mss {
							refused++ // for the Conn's state, not the size
						}
					}
					if took == 0 && c.Write(msg, s.now) != n {
						t.Fatalf("Write took less than %d with %d writable", n, c.Writable())
					}
					// Then whatever else the Conn has to send, as the
					// engine's writer polls after its write.
					for {
						dn := c.Poll(buf, s.now)
						if dn == 0 {
							break
						}
						s.held[i] = append(s.held[i], append([]byte(nil), buf[:dn]...))
					}
					w.written += uint64(n)
					count[i]++
					switch rng.IntN(8) {
					case 0, 1, 2: // at once: a burst
					case 3, 4:
						next[i] = s.now + rng.Int64N(5*us)
					default:
						next[i] = s.now + rng.Int64N(60*us)
					}
				}
				if count[i] < perSide && (s.wake == 0 || next[i] < s.wake) {
					s.wake = max(next[i], s.now+1)
				}
			}
		}
		s.run(60e9, func() bool {
			return count[0] == perSide && count[1] == perSide && st[0].read == st[0].written && st[1].read == st[1].written
		})
		for _, w := range st {
			w.total = w.written
			w.check(t)
		}
		return out, sent, refused
	}
	want, _, _ := wire(false)
	got, sent, refused := wire(true)
	for i := range min(len(got), len(want)) {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("datagram %d of %d differs: by %d %s with Send, by %d %s with Write and Poll",
				i, len(want), got[i][0], dumpDgram(got[i][1:]), want[i][0], dumpDgram(want[i][1:]))
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d datagrams with Send, %d with Write and Poll", len(got), len(want))
	}
	// Both ways must have been taken.
	if sent < 1000 || refused < 100 {
		t.Fatalf("Send took %d messages and refused %d: the exchange does not exercise both", sent, refused)
	}
	t.Logf("%d datagrams alike; Send took %d messages, refused %d that fit a datagram", len(want), sent, refused)
}

// TestSendRefuses: Send takes nothing, and changes nothing, wherever Write
// and Poll would not send the message at once as the next datagram; and
// where they would, it makes the same datagram.
func TestSendRefuses(t *testing.T) {
	msg := bytes.Repeat([]byte{7}, 100)
	for _, tc := range []struct {
		name  string
		setup func(a *Conn, now int64) (int64, []byte) // the time and message to Send
	}{
		{"unsent data", func(a *Conn, now int64) (int64, []byte) { a.Write(msg, now); return now, msg }},
		{"congestion window", func(a *Conn, now int64) (int64, []byte) {
			a.Write(msg, now)
			drain(a, now)
			a.cwnd = a.inFlight()
			return now, msg
		}},
		{"peer's window", func(a *Conn, now int64) (int64, []byte) {
			a.sndLimit = a.sndNxtOff + uint64(len(msg)) - 1
			return now, msg
		}},
		{"send buffer", func(a *Conn, now int64) (int64, []byte) {
			a.Write(msg, now)
			drain(a, now)
			a.cfg.sendBuf = 2*len(msg) - 1
			return now, msg
		}},
		{"retransmission due", func(a *Conn, now int64) (int64, []byte) {
			a.Write(msg, now)
			drain(a, now)
			a.tlpAt = never
			return a.rtoAt, msg
		}},
		{"tail-loss probe due", func(a *Conn, now int64) (int64, []byte) {
			a.Write(msg, now)
			drain(a, now)
			a.tlpAt = now + 1
			return now + 1, msg
		}},
		{"window probe armed", func(a *Conn, now int64) (int64, []byte) { a.probeAt = now + ms; return now, msg }},
		{"keepalive due", func(a *Conn, now int64) (int64, []byte) {
			now += a.cfg.ka
			a.lastHeard = now
			return now, msg
		}},
		{"peer dead", func(a *Conn, now int64) (int64, []byte) {
			now += a.cfg.dead
			a.lastSent = now // (no keepalive due)
			return now, msg
		}},
		{"closing", func(a *Conn, now int64) (int64, []byte) { a.Close(now); return now, msg }},
		{"larger than a datagram", func(a *Conn, now int64) (int64, []byte) { return now, make([]byte, a.mss+1) }},
		{"empty", func(a *Conn, now int64) (int64, []byte) { return now, nil }},
		{"buffer too small", func(a *Conn, now int64) (int64, []byte) { return now, msg }},
		{"PING pending", func(a *Conn, now int64) (int64, []byte) { a.pingPending = true; return now, msg }},
		{"RST pending", func(a *Conn, now int64) (int64, []byte) { a.rstPending = true; return now, msg }},
		{"FIN pending", func(a *Conn, now int64) (int64, []byte) { a.finPending = true; return now, msg }},
		{"closed", func(a *Conn, now int64) (int64, []byte) { a.closed = true; return now, msg }},
		{"failed", func(a *Conn, now int64) (int64, []byte) { a.failed = true; return now, msg }},
		{"SYNACK pending", func(a *Conn, now int64) (int64, []byte) { a.hsPending = true; return now, msg }},
		{"not established", func(a *Conn, now int64) (int64, []byte) { a.est = false; return now, msg }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, _, now := pair(t, Config{}, Config{})
			at, p := tc.setup(a, now)
			before := a.debug()
			buf := make([]byte, HeaderLen+a.mss+100)
			if tc.name == "buffer too small" {
				buf = buf[:HeaderLen+len(p)-1]
			}
			if n, dn := a.Send(p, buf, at); n != 0 || dn != 0 {
				t.Fatalf("Send took %d bytes (%d-byte datagram)", n, dn)
			}
			if after := a.debug(); after != before {
				t.Fatalf("Send changed the Conn:\n%s\n%s", before, after)
			}
		})
	}
	t.Run("takes", func(t *testing.T) {
		a, _, now := pair(t, Config{}, Config{})
		b, _, _ := pair(t, Config{}, Config{})
		buf := make([]byte, HeaderLen+1400)
		n, dn := a.Send(msg, buf, now+us)
		b.Write(msg, now+us)
		want := drain(b, now+us)
		if n != len(msg) || len(want) != 1 || !bytes.Equal(buf[:dn], want[0]) {
			t.Fatalf("Send: %d bytes, %s; Write and Poll: %d datagrams", n, dumpDgram(buf[:dn]), len(want))
		}
		if a.debug() != b.debug() {
			t.Fatalf("the Conns differ after:\n%s\n%s", a.debug(), b.debug())
		}
	})
}
