package bpf

// MaxLossPorts is how many destination ports LossOptions.Ports may list;
// it matches lossy.c.
const MaxLossPorts = 64

// PerMillion is the rate that drops every matched frame.
const PerMillion = 1_000_000

// LossOptions configures AttachLoss. The zero value attaches a program that
// drops nothing (rate 0) and would select every UDP port.
type LossOptions struct {
	// Mode is the attach mode; the default tries native, then generic.
	Mode AttachMode
	// PerMillion is the probability, in millionths, that a matched frame
	// is dropped; at most PerMillion (1,000,000).
	PerMillion uint32
	// Burst is how many further matched frames are dropped after each
	// random drop: loss in runs of Burst+1. Counted per CPU.
	Burst uint32
	// Ports are the UDP destination ports whose datagrams are candidates
	// for dropping; empty selects every UDP datagram. At most
	// MaxLossPorts.
	Ports []uint16
}

// LossCounters are the loss program's counters summed over CPUs. Seen is
// Dropped plus Passed.
type LossCounters struct {
	Seen    uint64 // every frame the program ran on
	Matched uint64 // IPv4 UDP datagrams to a selected port
	Dropped uint64 // matched datagrams dropped
	Passed  uint64 // every frame not dropped, malformed ones included
}
