package rel

import "time"

// Config tunes one channel. The zero value means the defaults given per field.
type Config struct {
	// MSS is the most stream bytes one DATA datagram carries; 0 means 1400.
	// The channel sends at most the smaller of its own and the peer's MSS.
	MSS int
	// SendBuffer is how many stream bytes are kept until acknowledged:
	// Write accepts no more beyond it. 0 means 4 MiB. The ring that keeps
	// them starts at 64 KiB (or SendBuffer, if smaller) and grows as it
	// fills.
	SendBuffer int
	// RecvWindow is how many bytes the receiver buffers (received but not
	// yet Read, plus out of order); the advertised window never exceeds
	// it. 0 means 4 MiB.
	RecvWindow int
	// MinRTO is the floor of the retransmission timeout; 0 means 100µs
	// (LAN and veth round trips are 5-50µs).
	MinRTO time.Duration
	// MaxRTO caps the retransmission timeout and its backoff; 0 means 100ms.
	MaxRTO time.Duration
	// InitialRTO is the timeout before any round-trip sample, also for
	// SYN, SYNACK and FIN retransmission (backing off ×2 up to MaxRTO);
	// 0 means 1ms.
	InitialRTO time.Duration
	// KeepAlive: a PING goes out when nothing was sent for this long; 0
	// means 250ms.
	KeepAlive time.Duration
	// DeadAfter: nothing heard from the peer for this long (a SYN
	// unanswered, a FIN unacknowledged included), or a DATA datagram still
	// unacknowledged this long after it was first sent, fails the
	// connection with ErrPeerDead; 0 means 3s.
	DeadAfter time.Duration
	// AcceptWait: an accepted Conn that hears nothing from its client for
	// this long, before the client's first datagram after the SYNACK,
	// fails with ErrPeerDead; its SYNACKs back off ×2 up to 128ms (or
	// MaxRTO, if longer) meanwhile. A SYN's source can be forged: one
	// draws about nine SYNACKs, not one every MaxRTO until DeadAfter. 0
	// means 256ms; never longer than DeadAfter.
	AcceptWait time.Duration
	// InitialCwnd is the congestion window a connection starts with, in
	// DATA datagrams (see the package doc); 0 means 64.
	InitialCwnd int
	// OnRecovered, if set, is called (from Input, on the caller's
	// goroutine) for every datagram that needed retransmission, once it is
	// acknowledged, with the time from its first transmission to that
	// acknowledgement: the sender-side recovery time of a loss. Stats keeps
	// the count, sum and maximum of the same figure.
	OnRecovered func(d time.Duration)
	// OnRepair, if set, is called (from Input, on the caller's goroutine)
	// for every datagram that needed retransmission, once it is
	// acknowledged, with where its recovery time went (see Repair).
	OnRepair func(Repair)
	// OnHole, if set, is called (from Input) for every hole in the
	// received sequence once it is filled, with the time from the arrival
	// of the first datagram beyond it to the arrival of the last datagram
	// it lacked: how long the loss held back in-order delivery, the
	// receiver's view of its repair (a round trip of the path at best).
	OnHole func(time.Duration)
}

// Repair is the history of one datagram that needed retransmission, given
// to Config.OnRepair at the acknowledgement that ended it. Times are the
// caller's clock (the now passed to Input and Poll), in nanoseconds.
type Repair struct {
	Sent     int64 // first transmission
	Reported int64 // first queued for retransmission: a NAK or STATUS showing it missing arrived, or a timer fired
	Resent   int64 // latest retransmission (Poll returned it)
	Acked    int64 // the acknowledgement covering it arrived
	Copies   int   // retransmissions
	Cause    Cause // what first queued it
	// SRTT is the smoothed round trip at the acknowledgement; RTT the
	// latest sample, from a datagram acknowledged around it.
	SRTT, RTT time.Duration
	// InFlight is how many datagrams were sent and not acknowledged when
	// the latest retransmission left (itself included).
	InFlight int
}

// Cause is what queued a datagram for retransmission.
type Cause uint8

// The causes.
const (
	CauseNAK Cause = iota + 1 // a NAK, or a STATUS's SACK ranges, showed it missing
	CauseRTO                  // the retransmission timer
	CauseTLP                  // the tail-loss probe
)

var causeNames = [...]string{"", "NAK", "RTO", "TLP"}

func (c Cause) String() string {
	if int(c) < len(causeNames) {
		return causeNames[c]
	}
	return "Cause(?)"
}

// resolved is Config with defaults applied, durations in nanoseconds.
type resolved struct {
	mss, sendBuf, recvWin, initCwnd   int
	minRTO, maxRTO, initRTO, ka, dead int64
	acceptWait                        int64
	onRecovered                       func(time.Duration)
	onRepair                          func(Repair)
	onHole                            func(time.Duration)
}

const maxMSS = 65535 - 28 - HeaderLen // what one UDP/IPv4 datagram can carry

func (c *Config) resolve() resolved {
	r := resolved{
		mss:         c.MSS,
		sendBuf:     c.SendBuffer,
		recvWin:     c.RecvWindow,
		initCwnd:    c.InitialCwnd,
		minRTO:      int64(c.MinRTO),
		maxRTO:      int64(c.MaxRTO),
		initRTO:     int64(c.InitialRTO),
		ka:          int64(c.KeepAlive),
		dead:        int64(c.DeadAfter),
		acceptWait:  int64(c.AcceptWait),
		onRecovered: c.OnRecovered,
		onRepair:    c.OnRepair,
		onHole:      c.OnHole,
	}
	if r.mss <= 0 {
		r.mss = 1400
	}
	r.mss = min(r.mss, maxMSS)
	if r.sendBuf <= 0 {
		r.sendBuf = 4 << 20
	}
	if r.recvWin <= 0 {
		r.recvWin = 4 << 20
	}
	// The window travels in 32 bits and both buffers are rings of a power
	// of two at least this size: keep them well inside.
	r.sendBuf = min(r.sendBuf, 1<<30)
	r.recvWin = min(r.recvWin, 1<<30)
	if r.initCwnd <= 0 {
		r.initCwnd = initCwnd
	}
	if r.minRTO <= 0 {
		r.minRTO = int64(100 * time.Microsecond)
	}
	if r.maxRTO <= 0 {
		r.maxRTO = int64(100 * time.Millisecond)
	}
	r.maxRTO = max(r.maxRTO, r.minRTO)
	if r.initRTO <= 0 {
		r.initRTO = int64(time.Millisecond)
	}
	r.initRTO = min(max(r.initRTO, r.minRTO), r.maxRTO)
	if r.ka <= 0 {
		r.ka = int64(250 * time.Millisecond)
	}
	if r.dead <= 0 {
		r.dead = int64(3 * time.Second)
	}
	if r.acceptWait <= 0 {
		r.acceptWait = int64(256 * time.Millisecond)
	}
	r.acceptWait = min(r.acceptWait, r.dead)
	return r
}

func pow2(n int) int {
	p := 1
	for p < n {
		p <<= 1
	}
	return p
}
