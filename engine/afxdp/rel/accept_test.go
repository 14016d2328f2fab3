package rel

import (
	"encoding/binary"
	"errors"
	"runtime"
	"testing"
	"time"
)

// A SYN costs the Conn it makes, not its megabytes of buffers: those are
// made once the client's first datagram after the SYNACK establishes it
// (a listener's pending connections are what anyone on the network can
// make). The connection then carries data both ways as usual.
func TestAcceptAllocatesOnEstablishment(t *testing.T) {
	cfg := Config{SendBuffer: 4 << 20, RecvWindow: 4 << 20}
	buf := make([]byte, HeaderLen+1400)
	now := int64(1)
	cl := Dial(cfg, 1, now)
	syn := append([]byte(nil), buf[:cl.Poll(buf, now)]...)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	sv, err := Accept(cfg, 2, syn, now)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 64<<10 {
		t.Errorf("Accept allocated %d bytes, want the Conn alone", got)
	}
	if sv.Writable() != 0 {
		t.Errorf("accepted, not established: Writable %d, want 0", sv.Writable())
	}

	if err := cl.Input(buf[:sv.Poll(buf, now)], now); err != nil { // SYNACK
		t.Fatal(err)
	}
	if cl.Write([]byte("ping"), now) != 4 {
		t.Fatal("client write refused")
	}
	if err := sv.Input(buf[:cl.Poll(buf, now)], now); err != nil { // DATA: established
		t.Fatal(err)
	}
	if sv.State() != Established || len(sv.sbuf) == 0 || len(sv.recs) == 0 || len(sv.rbuf) < 4<<20 {
		t.Fatalf("after the client's first DATA: state %v, send ring %d, receive ring %d", sv.State(), len(sv.sbuf), len(sv.rbuf))
	}
	got := make([]byte, 8)
	if n := sv.Read(got); string(got[:n]) != "ping" {
		t.Fatalf("server read %q", got[:n])
	}
	if sv.Write([]byte("pong"), now) != 4 {
		t.Fatal("server write refused")
	}
	if err := cl.Input(buf[:sv.Poll(buf, now)], now); err != nil {
		t.Fatal(err)
	}
	if n := cl.Read(got); string(got[:n]) != "pong" {
		t.Fatalf("client read %q", got[:n])
	}
}

// FuzzAcceptedInput: any datagram given to a Conn accepted but not yet
// established (no buffers), as it is and with the Conn's ids put in, is
// refused or handled without a panic, and whatever it leads to (the
// Conn's answers, a write, a read) works on the buffers made when it is
// established.
// ci-fuzztime: 20000
func FuzzAcceptedInput(f *testing.F) {
	for _, d := range seedDatagrams(f) {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, d []byte) {
		cfg := Config{MSS: 256, SendBuffer: 8192, RecvWindow: 8192}
		buf := make([]byte, HeaderLen+256)
		now := int64(1)
		cl := Dial(cfg, 1, now)
		sv, err := Accept(cfg, 2, buf[:cl.Poll(buf, now)], now)
		if err != nil {
			t.Fatal(err)
		}
		sv.Poll(buf, now) // the SYNACK
		e := append([]byte(nil), d...)
		if len(e) >= 12 {
			binary.BigEndian.PutUint32(e[4:], sv.local)
			binary.BigEndian.PutUint32(e[8:], sv.remote)
		}
		for _, x := range [][]byte{d, e} {
			sv.Input(x, now)
			now += 1000
			for sv.Poll(buf, now) > 0 {
			}
			sv.Write([]byte("x"), now)
			sv.Read(buf)
			sv.Deadline()
		}
	})
}

// An accepted Conn whose client never answers sends a few SYNACKs and then,
// after AcceptWait, fails with ErrPeerDead, long before DeadAfter: a SYN's
// source can be forged, so one SYN must not make the listener send
// hundreds of datagrams (it sent one every MaxRTO until DeadAfter: ~300 at
// the engine's 10 ms and 3 s) or hold its place for seconds. A client's
// SYNs, its own choice, go on until DeadAfter.
func TestAcceptGivesUpOnSilence(t *testing.T) {
	cfg := Config{MaxRTO: 10 * time.Millisecond, DeadAfter: 3 * time.Second}
	buf := make([]byte, HeaderLen+1400)
	now := int64(1)
	cl := Dial(cfg, 1, now)
	sv, err := Accept(cfg, 2, buf[:cl.Poll(buf, now)], now)
	if err != nil {
		t.Fatal(err)
	}
	count := func(c *Conn, want Type) (n int, at int64) {
		now := int64(1)
		for now < int64(10*time.Second) {
			for {
				k := c.Poll(buf, now)
				if k == 0 {
					break
				}
				if typ, _, _, err := Peek(buf[:k]); err != nil || typ != want {
					t.Fatalf("sent %v, %v; want %v", typ, err, want)
				}
				n++
			}
			if c.State() == Failed {
				break
			}
			now = max(c.Deadline(), now+1)
		}
		return n, now
	}
	n, at := count(sv, SYNACK)
	t.Logf("%d SYNACKs, failed at %v", n, time.Duration(at))
	if n < 5 || n > 10 || !errors.Is(sv.Err(), ErrPeerDead) || at < int64(256*time.Millisecond) || at > int64(time.Second) {
		t.Errorf("accepted Conn: %d SYNACKs, then %v at %v; want 5-10, then ErrPeerDead after the AcceptWait (256ms)",
			n, sv.Err(), time.Duration(at))
	}
	n, at = count(cl, SYN)
	if n < 100 || !errors.Is(cl.Err(), ErrPeerDead) || at < int64(3*time.Second) {
		t.Errorf("dialling Conn: %d SYNs, then %v at %v; want SYNs until DeadAfter", n, cl.Err(), time.Duration(at))
	}
}
