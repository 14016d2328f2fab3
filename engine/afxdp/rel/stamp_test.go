package rel

import "testing"

// TestStamp: DATA written and polled at the Conn's latest time (Unstamped)
// and stamped with a later one counts as sent then: its record, the
// retransmission and tail-loss timers it armed and the last send move to
// the stamp, so that the round trip sampled from its acknowledgement is the
// true one. DATA sent before keeps its time, even when sent at the same
// instant; a stamp without Unstamped, or not later, changes nothing.
func TestStamp(t *testing.T) {
	a, b, now := pair(t, Config{}, Config{})
	buf := make([]byte, HeaderLen+1400)

	// Something in flight already, sent at now.
	a.Write([]byte("first"), now)
	if n := a.Poll(buf, now); n == 0 {
		t.Fatal("nothing sent")
	}
	rtoAt := a.rtoAt

	// Written and polled with the Conn's latest time, stamped later.
	t0 := a.Unstamped()
	if t0 != now || a.Now() != now {
		t.Fatalf("Unstamped %d, Now %d; want %d", t0, a.Now(), now)
	}
	a.Write([]byte("second"), t0)
	n := a.Poll(buf, t0)
	if n == 0 {
		t.Fatal("nothing sent")
	}
	second := append([]byte(nil), buf[:n]...)
	t1 := t0 + 7*us
	a.Stamp(t1)
	if r := a.rec(a.sndNxt - 1); r.first != t1 || r.last != t1 {
		t.Fatalf("stamped record sent at %d/%d, want %d", r.first-now, r.last-now, t1-now)
	}
	if r := a.rec(a.sndUna); r.first != now || r.last != now {
		t.Fatalf("the earlier record moved to %d/%d", r.first-now, r.last-now)
	}
	if a.lastSent != t1 || a.Now() != t1 {
		t.Fatalf("last send %d, now %d; want both %d", a.lastSent-now, a.Now()-now, t1-now)
	}
	if a.rtoAt != rtoAt {
		t.Fatalf("the RTO armed by the earlier send moved: %d → %d", rtoAt-now, a.rtoAt-now)
	}
	if want := t1 + 2*a.srtt + a.cfg.minRTO/4; want < a.rtoAt && a.tlpAt != want {
		t.Fatalf("tail-loss probe at %d, want %d", a.tlpAt-now, want-now)
	}

	// Stamped again without Unstamped, or not later: nothing changes.
	a.Stamp(t1 + us)
	a.Unstamped()
	a.Stamp(t1 - us)
	if r := a.rec(a.sndNxt - 1); r.first != t1 || a.lastSent != t1 || a.Now() != t1 {
		t.Fatal("a stamp without a send begun, or not later, changed the times")
	}

	// The RTT sampled from the acknowledgement is from the stamp.
	if err := b.Input(second, t1+us); err != nil {
		t.Fatal(err)
	}
	first := a.rec(a.sndUna)
	_ = first
	c, d, now2 := pair(t, Config{}, Config{})
	c.Write([]byte("alone"), c.Unstamped())
	n = c.Poll(buf, now2)
	alone := append([]byte(nil), buf[:n]...)
	t2 := now2 + 50*us
	c.Stamp(t2)
	if c.rtoAt != t2+c.rto {
		t.Fatalf("RTO at %d after the stamp, want %d", c.rtoAt-now2, t2+c.rto-now2)
	}
	if err := d.Input(alone, t2); err != nil {
		t.Fatal(err)
	}
	srtt := c.srtt
	if err := c.Input(drain(d, t2)[0], t2+4*us); err != nil {
		t.Fatal(err)
	}
	if want := (7*srtt + 4*us) / 8; c.srtt != want {
		t.Fatalf("srtt %d after a 4µs round trip from the stamp, want %d", c.srtt, want)
	}
}

// TestTimeNeverGoesBack: a time earlier than the Conn's latest (a driver's
// reading taken just before another goroutine stamped a later one) does not
// move the Conn's clock back, in Input, Poll, Write or Close, so that no
// record, timer or round-trip sample is dated before what it follows.
func TestTimeNeverGoesBack(t *testing.T) {
	a, b, now := pair(t, Config{}, Config{})
	buf := make([]byte, HeaderLen+1400)
	later := now + 50*us
	a.Write([]byte("x"), later)
	n := a.Poll(buf, later)
	if n == 0 {
		t.Fatal("nothing sent")
	}
	if err := b.Input(buf[:n], now); err != nil {
		t.Fatal(err)
	}
	if b.Now() != now {
		t.Fatalf("b's time %d, want %d", b.Now()-now, 0)
	}
	// b answers at a time, then takes a late one: its clock stays.
	b.Write([]byte("y"), later)
	m := b.Poll(buf, now)
	if m == 0 || b.Now() != later {
		t.Fatalf("answer of %d bytes, b's time %d; want some, %d", m, b.Now()-now, later-now)
	}
	if r := b.rec(b.sndNxt - 1); r.first != later {
		t.Fatalf("answer sent at %d, want %d", r.first-now, later-now)
	}
	// a takes the answer with a time before it sent "x": the round trip
	// it samples is not negative, and its clock stays at the send.
	if err := a.Input(buf[:m], now); err != nil {
		t.Fatal(err)
	}
	if a.Now() != later || a.lastRTT < 0 || a.lastHeard != later {
		t.Fatalf("a's time %d, last RTT %d, heard at %d; want %d, >= 0, %d", a.Now()-now, a.lastRTT, a.lastHeard-now, later-now, later-now)
	}
	a.Close(now)
	if a.Now() != later {
		t.Fatalf("a's time after Close %d, want %d", a.Now()-now, later-now)
	}
}
