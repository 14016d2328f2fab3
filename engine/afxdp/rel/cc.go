package rel

// Congestion control, delay-based: the sender keeps at most cwnd DATA
// datagrams in the network, and sizes cwnd so that the round trip stays
// within a target above the smallest round trip seen (the path's own).
//
// Why: the receive window alone lets a sender whose receiver is the
// bottleneck (an application decoding more slowly than datagrams arrive)
// keep the whole window queued in front of it, in the rings between the
// two ends. Everything then waits behind that queue, the NAK revealing a
// loss and the retransmission repairing it included: a lost datagram is
// repaired in a round trip, but the round trip is the queue's. Bytes the
// window holds back wait in the sender's ring instead, where they delay
// nothing (a retransmission goes before new data).
//
// In flight is counted from the highest datagram the peer has shown it
// received (peerRcvMax), not from the cumulative ack, so that a hole
// waiting for its repair does not stop the stream behind it.
//
// The rule, once a round trip (the smoothed RTT): the smallest sample of
// that round trip is the standing round trip (spikes, a peer descheduled
// for a moment, are not a queue). Above target = minRTT + max(minRTT,
// MinRTO/2) it scales cwnd by target/standing (at most halving it, never
// below minCwnd); within target, if the sender was held by cwnd, cwnd
// grows by an eighth, to at most the records it has. Loss does not shrink
// cwnd: on the paths this serves (veth, a LAN) datagrams are lost to full
// rings, which the delay shows first, or injected. minRTT is the smallest
// sample of the current and the last epoch (minRTTEpoch each), so a path
// that became slower is learnt.

// minCwnd is the floor of the congestion window. Where the round trip
// under load is mostly CPU scheduling rather than a queue (two busy
// processes sharing two CPUs, the loss tests' veth pair) the standing
// round trip stays above target and cwnd sits at this floor, so it is
// sized for throughput there. On that bench (PUSH→PULL of 64-byte
// messages, 1% loss, medians of 8 interleaved runs): 32 datagrams cut the
// time a loss held delivery back by a quarter and throughput by 8%; 48 cut
// it by a quarter with throughput unchanged; 64 changed neither (the
// receive window there is 128 datagrams). With bursts of loss (outages)
// 48 costs 10-15% of the throughput: the shorter queue in front of the
// receiver no longer covers the sender's wait for the timer that reveals
// an outage. On a 1 Gbit/s link 48 full datagrams are 0.6ms of queue: the
// floor is a compromise. It is also six acknowledgements' worth (the
// receiver acknowledges every ackEvery datagrams), so an ack clock keeps
// running.
const minCwnd = 48

// initCwnd is the window a connection starts with by default.
const initCwnd = 64

// minRTTEpoch is how long a minimum RTT sample is remembered (for one to
// two epochs).
const minRTTEpoch = int64(1 << 28) // ~268ms

func (c *Conn) initCC(now int64) {
	c.cwnd = min(uint32(c.cfg.initCwnd), c.maxRecs)
	c.minRTT, c.minRTTCur, c.minRTTPrev = never, never, never
	c.minRTTEnd = now + minRTTEpoch
	c.standCur, c.standEnd = never, now
}

// inFlight is how many DATA datagrams are in the network: sent beyond the
// highest one the peer has shown it received.
func (c *Conn) inFlight() uint32 {
	base := c.sndUna
	if seqLT(base, c.peerRcvMax) {
		base = c.peerRcvMax
	}
	return c.sndNxt - base
}

// cwndOpen reports whether the congestion window lets new DATA out.
func (c *Conn) cwndOpen() bool {
	return c.inFlight() < c.cwnd && (c.sndNxt-c.sndUna < uint32(len(c.recs)) || c.growRecords())
}

// congestion takes an RTT sample (ns), with acked datagrams newly
// acknowledged and out datagrams in flight before they were.
func (c *Conn) congestion(sample int64, acked, out uint32, now int64) {
	if now >= c.minRTTEnd {
		c.minRTTPrev, c.minRTTCur = c.minRTTCur, never
		c.minRTTEnd = now + minRTTEpoch
	}
	c.minRTTCur = min(c.minRTTCur, sample)
	c.minRTT = min(c.minRTTCur, c.minRTTPrev)
	c.standCur = min(c.standCur, sample)
	if acked > 0 && out+ackEvery >= c.cwnd {
		c.cwndLimited = true
	}
	if now < c.standEnd {
		return
	}
	// A round trip's worth of samples: decide on the smallest (the
	// standing round trip: spikes, a peer descheduled for a moment, are
	// not a queue).
	stand := c.standCur
	c.standCur, c.standEnd = never, now+max(c.srtt, c.minRTT)
	target := c.minRTT + max(c.minRTT, c.cfg.minRTO/2)
	floor := min(minCwnd, c.maxRecs)
	switch {
	case stand > target:
		cw := uint32(int64(c.cwnd) * target / stand)
		c.cwnd = max(cw, c.cwnd/2, floor)
	case c.cwndLimited:
		c.cwnd = min(c.cwnd+max(c.cwnd/8, 1), c.maxRecs)
	}
	c.cwndLimited = false
}
