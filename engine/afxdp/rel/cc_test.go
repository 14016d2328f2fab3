package rel

import (
	"testing"
	"time"
)

// TestRepairUnderStreamingLoad: a sender streaming as fast as it can through
// a bottleneck (a 10 Gbit/s link, 10µs each way) with the default 4 MiB
// windows, and one datagram lost in the middle. Without congestion control
// the sender would keep its whole window queued at the bottleneck (3.4ms
// of it), and the NAK's answer would wait behind that queue: the loss would
// hold in-order delivery back for tens of milliseconds. With it the
// standing queue stays within the target (the path's round trip plus
// MinRTO/2), so the hole is filled within about one round trip of that,
// and the link stays busy: the transfer takes within a tenth of the time
// the link needs to serialise it.
func TestRepairUnderStreamingLoad(t *testing.T) {
	const rate = 1.25e9 // bytes per second
	m := lossModel{Delay: 10 * us, BytesPerS: rate}
	var holes []time.Duration
	var repairs []Repair
	cfgA := Config{OnRepair: func(r Repair) { repairs = append(repairs, r) }}
	cfgB := Config{OnHole: func(d time.Duration) { holes = append(holes, d) }}
	s := newSim(t, testSeed(t), cfgA, cfgB, m, lossModel{Delay: 10 * us})
	data := 0
	s.link[0].drop = func(n int, d []byte) bool {
		if typeOf(d) != DATA {
			return false
		}
		data++
		return data == 10000 // well into the stream: 14 MB sent
	}
	const total = 32 << 20
	ab := newStream(0, total, 0, 0)
	s.app = func(s *sim) { ab.write(s); ab.readAll(s) }
	start := s.now
	s.run(10*time.Second.Nanoseconds(), ab.done)
	ab.check(t)
	took := ab.finished - start
	a := s.c[0].Stats()
	wire := float64(a.BytesSent + 42*a.DatagramsSent) // as the link counts them
	ideal := int64(wire / rate * 1e9)
	ser := float64(HeaderLen+1400+42) * 1e9 / rate // one datagram
	base := 2*m.Delay + int64(ser)
	target := base + max(base, s.c[0].cfg.minRTO/2)
	t.Logf("transfer %v (the link serialises it in %v); SRTT %v; holes %v; repairs %+v; cwnd %d",
		time.Duration(took), time.Duration(ideal), a.SRTT, holes, repairs, s.c[0].cwnd)
	if len(holes) != 1 || len(repairs) != 1 || repairs[0].Cause != CauseNAK || repairs[0].Copies != 1 {
		t.Fatalf("want one hole repaired by one NAK-driven copy: holes %v, repairs %+v", holes, repairs)
	}
	// The hole: the NAK's way back and the copy's way there, a round trip
	// with the standing queue the target allows (and the growth that
	// probes beyond it, an eighth of the window).
	if limit := time.Duration(target * 3 / 2); holes[0] > limit {
		t.Errorf("the loss held delivery back %v, more than 1.5× the target round trip (%v): repair waits behind a queue", holes[0], time.Duration(target))
	}
	if took > ideal*11/10 {
		t.Errorf("transfer took %v, the link needs %v: the window keeps the link idle", time.Duration(took), time.Duration(ideal))
	}
}
