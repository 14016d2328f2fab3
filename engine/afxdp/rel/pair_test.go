package rel

import (
	"testing"
)

// pair connects two Conns directly (no simulated network) and returns them
// Established, with nothing pending.
func pair(t testing.TB, ca, cb Config) (a, b *Conn, now int64) {
	t.Helper()
	now = 1_000_000_000
	buf := make([]byte, 65536)
	a = Dial(ca, 1, now)
	n := a.Poll(buf, now)
	if typ, _, _, _ := Peek(buf[:n]); typ != SYN {
		t.Fatalf("first datagram %v, want SYN", typ)
	}
	b, err := Accept(cb, 2, buf[:n], now)
	if err != nil {
		t.Fatal(err)
	}
	now += 10 * us
	n = b.Poll(buf, now)
	if typ, _, _, _ := Peek(buf[:n]); typ != SYNACK {
		t.Fatalf("server's first datagram %v, want SYNACK", typ)
	}
	now += 10 * us
	if err := a.Input(buf[:n], now); err != nil {
		t.Fatal(err)
	}
	n = a.Poll(buf, now)
	if typ, _, _, _ := Peek(buf[:n]); typ != STATUS {
		t.Fatalf("client's answer %v, want STATUS", typ)
	}
	now += 10 * us
	if err := b.Input(buf[:n], now); err != nil {
		t.Fatal(err)
	}
	if a.State() != Established || b.State() != Established {
		t.Fatalf("states %v %v", a.State(), b.State())
	}
	if n := a.Poll(buf, now); n != 0 {
		t.Fatalf("client has %v pending", dumpDgram(buf[:n]))
	}
	if n := b.Poll(buf, now); n != 0 {
		t.Fatalf("server has %v pending", dumpDgram(buf[:n]))
	}
	return a, b, now
}

// drain polls c until it has nothing and returns copies of the datagrams.
func drain(c *Conn, now int64) [][]byte {
	var out [][]byte
	buf := make([]byte, 65536)
	for {
		n := c.Poll(buf[:HeaderLen+c.cfg.mss], now)
		if n == 0 {
			return out
		}
		out = append(out, append([]byte(nil), buf[:n]...))
	}
}

func typeOf(d []byte) Type {
	t, _, _, _ := Peek(d)
	return t
}
