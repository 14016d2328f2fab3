package rel

import (
	"fmt"
	"math"
	"testing"
	"time"
)

// The retransmission timeout (RFC 6298, as the package doc describes it):
// SRTT and RTTVAR from round-trip samples, RTO = SRTT + max(G, 4·RTTVAR)
// with a clock granularity G of 1µs, floored at MinRTO, capped at MaxRTO,
// doubling on expiry (still capped), and no samples from retransmitted
// datagrams (Karn's rule).

// rttModel is RFC 6298's estimator in exact arithmetic (float64
// nanoseconds), written from the RFC's formulas for comparison with the
// Conn's integer one.
type rttModel struct {
	srtt, rttvar float64
	started      bool
}

func (m *rttModel) sample(r int64) {
	x := float64(r)
	if !m.started {
		m.srtt, m.rttvar, m.started = x, x/2, true
		return
	}
	// RTTVAR first: it uses the SRTT from before this sample.
	m.rttvar = 0.75*m.rttvar + 0.25*math.Abs(m.srtt-x)
	m.srtt = 0.875*m.srtt + 0.125*x
}

// raw is the timeout before the floor and the cap: SRTT + max(G, 4·RTTVAR).
func (m *rttModel) raw() float64 {
	return m.srtt + max(float64(time.Microsecond), 4*m.rttvar)
}

// rtoTolerance: the Conn computes in whole nanoseconds, truncating each
// division, so it runs a few nanoseconds below the exact values; a wrong
// formula is off by microseconds.
const rtoTolerance = 100

// checkRTT compares a's SRTT, RTTVAR and RTO with the model's.
func checkRTT(t *testing.T, a *Conn, m *rttModel, minRTO, maxRTO int64, what string) {
	t.Helper()
	st := a.Stats()
	want := min(max(m.raw(), float64(minRTO)), float64(maxRTO))
	if math.Abs(float64(st.SRTT)-m.srtt) > rtoTolerance ||
		math.Abs(float64(st.RTTVar)-m.rttvar) > rtoTolerance ||
		math.Abs(float64(st.RTO)-want) > rtoTolerance {
		t.Fatalf("%s: SRTT %v RTTVAR %v RTO %v; want %v %v %v", what, st.SRTT, st.RTTVar, st.RTO,
			time.Duration(m.srtt), time.Duration(m.rttvar), time.Duration(want))
	}
}

// rtoPair connects a client a to a server b through a handshake whose round
// trip, from the SYN's send to the SYNACK's arrival, is rtt: a's first RTT
// sample.
func rtoPair(t *testing.T, cfg Config, rtt int64) (a, b *Conn, now int64) {
	t.Helper()
	now = 1_000_000_000
	a = Dial(cfg, 1, now)
	syn := drain(a, now)
	if len(syn) != 1 || typeOf(syn[0]) != SYN {
		t.Fatalf("client sent %d datagrams, want one SYN", len(syn))
	}
	b, err := Accept(cfg, 2, syn[0], now)
	if err != nil {
		t.Fatal(err)
	}
	synack := drain(b, now)
	if len(synack) != 1 || typeOf(synack[0]) != SYNACK {
		t.Fatalf("server sent %d datagrams, want one SYNACK", len(synack))
	}
	now += rtt
	if err := a.Input(synack[0], now); err != nil {
		t.Fatal(err)
	}
	for _, d := range drain(a, now) {
		if err := b.Input(d, now); err != nil {
			t.Fatal(err)
		}
	}
	if a.State() != Established || b.State() != Established {
		t.Fatalf("states %v %v", a.State(), b.State())
	}
	return a, b, now
}

// roundTrip sends one byte from a to b at now and brings b's acknowledgement
// back to a rtt later: one RTT sample of rtt at a. It returns the time the
// acknowledgement arrived.
func roundTrip(t *testing.T, a, b *Conn, now, rtt int64) int64 {
	t.Helper()
	a.Write([]byte{'x'}, now)
	out := drain(a, now)
	if len(out) != 1 || typeOf(out[0]) != DATA {
		t.Fatalf("client sent %d datagrams, want one DATA", len(out))
	}
	if err := b.Input(out[0], now); err != nil {
		t.Fatal(err)
	}
	acks := drain(b, now)
	if len(acks) != 1 || typeOf(acks[0]) != STATUS {
		t.Fatalf("server sent %d datagrams, want one STATUS", len(acks))
	}
	now += rtt
	if err := a.Input(acks[0], now); err != nil {
		t.Fatal(err)
	}
	return now
}

// TestRTOFollowsRFC6298: after each RTT sample (the handshake's, then
// acknowledgements arriving at chosen times) SRTT, RTTVAR and the RTO are
// those of RFC 6298. MinRTO is 1ns and MaxRTO 1s so that neither hides
// the formula. The samples vary first, so that 4·RTTVAR is what counts,
// then stay the same until RTTVAR has decayed and the 1µs granularity
// term is what counts.
func TestRTOFollowsRFC6298(t *testing.T) {
	const minRTO, maxRTO = int64(time.Nanosecond), int64(time.Second)
	cfg := Config{MinRTO: time.Duration(minRTO), MaxRTO: time.Duration(maxRTO)}
	var m rttModel
	a, b, now := rtoPair(t, cfg, 40*us)
	m.sample(40 * us)
	checkRTT(t, a, &m, minRTO, maxRTO, "after the handshake")

	samples := []int64{100 * us, 300 * us, 80 * us, 80 * us, 500 * us, 120 * us, 60 * us, 250 * us}
	for range 100 {
		samples = append(samples, 50*us)
	}
	for i, r := range samples {
		now = roundTrip(t, a, b, now, r)
		m.sample(r)
		checkRTT(t, a, &m, minRTO, maxRTO, fmt.Sprintf("sample %d (%v)", i, time.Duration(r)))
	}

	// A steady round trip: RTTVAR is (next to) nothing, and the RTO is
	// SRTT plus the granularity, not SRTT alone.
	if 4*m.rttvar >= float64(time.Microsecond)/2 {
		t.Fatalf("model's 4·RTTVAR %v has not decayed below G/2", time.Duration(4*m.rttvar))
	}
	if st := a.Stats(); st.RTO != st.SRTT+time.Microsecond {
		t.Fatalf("steady round trip: RTO %v, want SRTT %v + 1µs", st.RTO, st.SRTT)
	}
}

// TestRTOFloorAndCap: with the default MinRTO (100µs) and MaxRTO (100ms),
// round trips of a few microseconds give exactly MinRTO, and one far
// longer than MaxRTO gives exactly MaxRTO, while SRTT and RTTVAR still
// follow the samples.
func TestRTOFloorAndCap(t *testing.T) {
	const minRTO, maxRTO = 100 * us, 100 * ms // the defaults (config.go)
	var m rttModel
	a, b, now := rtoPair(t, Config{}, 4*us)
	m.sample(4 * us)
	for _, r := range []int64{4 * us, 6 * us, 2 * us, 5 * us} {
		now = roundTrip(t, a, b, now, r)
		m.sample(r)
	}
	if m.raw() >= float64(minRTO) {
		t.Fatalf("model's RTO %v is not below MinRTO: the floor is not tested", time.Duration(m.raw()))
	}
	checkRTT(t, a, &m, minRTO, maxRTO, "short round trips")
	if st := a.Stats(); st.RTO != time.Duration(minRTO) {
		t.Fatalf("short round trips: RTO %v, want MinRTO %v", st.RTO, time.Duration(minRTO))
	}

	now = roundTrip(t, a, b, now, 200*ms)
	m.sample(200 * ms)
	if m.raw() <= float64(maxRTO) {
		t.Fatalf("model's RTO %v is not above MaxRTO: the cap is not tested", time.Duration(m.raw()))
	}
	checkRTT(t, a, &m, minRTO, maxRTO, "a 200ms round trip")
	if st := a.Stats(); st.RTO != time.Duration(maxRTO) {
		t.Fatalf("a 200ms round trip: RTO %v, want MaxRTO %v", st.RTO, time.Duration(maxRTO))
	}
}

// retransmission runs a's timers (Poll at each Deadline) until it resends
// a DATA datagram and returns when, and the copy; it fails t when the next
// deadline is after limit.
func retransmission(t *testing.T, a *Conn, limit int64) (int64, []byte) {
	t.Helper()
	for {
		at := a.Deadline()
		if at > limit {
			t.Fatalf("no retransmission by %v", time.Duration(limit))
		}
		for _, d := range drain(a, at) {
			if typeOf(d) == DATA && d[2]&flagRetx != 0 {
				return at, d
			}
		}
	}
}

// TestRTOBackoff: while nothing is acknowledged each RTO expiry resends
// the datagram and doubles the RTO, up to MaxRTO: with a 100µs base and a
// 1ms MaxRTO the expiries come 100, 200, 400, 800, 1000, 1000, 1000µs
// apart. (The tail-loss probe that goes out before the first expiry is
// lost too and changes nothing.)
func TestRTOBackoff(t *testing.T) {
	const base, maxRTO = 100 * us, ms
	a, _, now := rtoPair(t, Config{MaxRTO: time.Duration(maxRTO)}, 10*us)
	if st := a.Stats(); st.RTO != time.Duration(base) {
		t.Fatalf("RTO %v before any loss, want the floor %v", st.RTO, time.Duration(base))
	}
	a.Write([]byte{'x'}, now)
	if out := drain(a, now); len(out) != 1 || typeOf(out[0]) != DATA {
		t.Fatal("the DATA did not go out")
	}
	expiry, rto := now+base, base
	for k := 1; k <= 7; k++ {
		// Run everything due before the expiry (the probe), then the
		// expiry must be the next deadline.
		for i, at := 0, a.Deadline(); at < expiry; i, at = i+1, a.Deadline() {
			if i == 10 {
				t.Fatalf("deadline stuck at %v before expiry %d", time.Duration(at-now), k)
			}
			drain(a, at)
		}
		if at := a.Deadline(); at != expiry {
			t.Fatalf("expiry %d at %v after the send, want %v", k, time.Duration(at-now), time.Duration(expiry-now))
		}
		drain(a, expiry)
		rto = min(2*rto, maxRTO)
		if st := a.Stats(); st.RetransmitsRTO != uint64(k) || st.RTO != time.Duration(rto) {
			t.Fatalf("after expiry %d: %d RTO retransmissions and RTO %v; want %d and %v", k, st.RetransmitsRTO, st.RTO, k, time.Duration(rto))
		}
		expiry += rto
	}
}

// TestRTOKarn: the acknowledgement of a datagram that was resent gives no
// RTT sample (which copy arrived is unknown), though it ends the backoff;
// the next datagram sent once gives one again.
func TestRTOKarn(t *testing.T) {
	const minRTO, maxRTO = 100 * us, 100 * ms
	var m rttModel
	a, b, now := rtoPair(t, Config{}, 10*us)
	m.sample(10 * us)
	a.Write([]byte{'x'}, now)
	if out := drain(a, now); len(out) != 1 || typeOf(out[0]) != DATA {
		t.Fatal("the DATA did not go out") // and is lost
	}
	sent := now
	// Lose it and its copies until the RTO has expired and backed off.
	var cp []byte
	for a.Stats().RetransmitsRTO == 0 {
		now, cp = retransmission(t, a, sent+10*ms)
	}
	if a.Stats().RTO <= time.Duration(minRTO) {
		t.Fatalf("RTO %v after an expiry, want it backed off", a.Stats().RTO)
	}
	// The last copy arrives and is acknowledged long after the first
	// send: as a sample, 700µs would move SRTT far from 10µs.
	if err := b.Input(cp, now); err != nil {
		t.Fatal(err)
	}
	acks := drain(b, now)
	if len(acks) != 1 {
		t.Fatalf("server sent %d datagrams, want one acknowledgement", len(acks))
	}
	now = sent + 700*us
	if err := a.Input(acks[0], now); err != nil {
		t.Fatal(err)
	}
	checkRTT(t, a, &m, minRTO, maxRTO, "ack of a resent datagram")

	// A datagram sent once is sampled again.
	now = roundTrip(t, a, b, now, 30*us)
	m.sample(30 * us)
	checkRTT(t, a, &m, minRTO, maxRTO, "ack of a datagram sent once")
}
