// Package legs splits a ping-pong over AF_XDP into its legs, for the
// benchmarks: built with the zmqxlegs tag and run with ZMQX_LEGS set to the
// same name in both processes, package xdp stamps the monotonic clock
// (CLOCK_MONOTONIC, the same for every process) just before each TX kick
// and writes it into a word of shared memory named after ZMQX_LEGS; when
// Receive then returns a datagram in the other process, that process reads
// the word. Each process so measures
//
//   - kick → detect: from the peer's kick to this side taking the datagram
//     off its RX ring (the kernel's delivery inside the peer's sendto, and
//     this side noticing it), and
//   - detect → kick: this side's own turnaround, from its RX ring to its
//     next kick, everything between included,
//
// and Report prints their quartiles (nothing when there were none: a run
// over TCP). Calls must not overlap: one AF_XDP socket a process (one
// queue, bench/xdp.sh's default), which one goroutine at a time uses. A
// ping-pong has one datagram in flight, so the word holds the peer's last
// kick when a datagram arrives; with more than one in flight the figures
// mean nothing. Without the tag every function here is empty, and package
// xdp's calls to them compile away.
//
// The same two points bound the path bench/pathtrace counts: with the tag
// and ZMQX_TRACE_AT=K, every K-th Received of a single datagram raises a
// SIGTRAP that the tracer takes as a start, and it single-steps that
// thread until it enters Kick.
package legs
