package rel

import "time"

// Stats are a connection's counters. Datagram and byte counts include
// headers and retransmissions.
type Stats struct {
	DatagramsSent     uint64
	DatagramsReceived uint64 // accepted for this connection (well formed, ids matching)
	BytesSent         uint64
	BytesReceived     uint64
	DataBytesSent     uint64 // stream bytes in DATA datagrams, retransmissions included
	DataBytesReceived uint64 // stream bytes in DATA datagrams, duplicates included

	RetransmitsRTO uint64 // DATA resent because the retransmission timer expired
	RetransmitsNAK uint64 // DATA resent because the peer reported it missing
	RetransmitsTLP uint64 // tail-loss probes (the last DATA of a burst resent)
	HandshakeSent  uint64 // SYN or SYNACK datagrams sent (1 when nothing was lost)
	NAKsSent       uint64
	NAKsReceived   uint64
	PingsSent      uint64 // keepalives and zero-window probes

	DuplicatesReceived uint64 // DATA already received (or already delivered)
	OutOfWindow        uint64 // DATA dropped: beyond the receive window, or too many gaps to track
	Malformed          uint64 // datagrams Input refused (bad header, wrong ids)

	SRTT, RTTVar, RTO time.Duration // current estimates (zero SRTT: no sample yet)
	MinRTT            time.Duration // the smallest recent RTT sample (zero: none yet)
	Cwnd              int           // the congestion window, in DATA datagrams

	// Recovery: datagrams that needed retransmission and were then
	// acknowledged; the time from first transmission to acknowledgement.
	Recovered     uint64
	RecoveryTotal time.Duration
	RecoveryMax   time.Duration

	// HolesFilled counts the holes in the received sequence that were
	// filled (see Config.OnHole).
	HolesFilled uint64
}
