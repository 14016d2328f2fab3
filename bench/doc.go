// Package bench holds zmqx's benchmark tools (cmd/), the peers they are
// paired with (peers/: libzmq's zmqperf.c, and zmq4perf for
// github.com/go-zeromq/zmq4 in a Go module of its own), the plot command
// (plot/, its own module too), the comparison scripts (suite.sh runs
// everything and writes the table, .hgrm files and pictures) and
// RESULTS.md. Its test checks the tools' command-line and output contract
// against libzmq's peer; peers/zmq4perf's test does the same for zmq4.
//
// cmd/pub_thr and cmd/sub_thr measure fan-out: one XPUB to N SUB sockets
// in one process, the messages delivered to all of them together per
// second. Their start and end-of-run protocol (a hello topic per
// subscriber, an end marker) is described in internal/perf/fanout.go.
//
// curve.sh measures CURVE's per-message cost: with ZMQX_BENCH_CURVE=1 the
// perf tools and zmqperf.c talk CURVE with fixed keys (internal/perf).
//
// cmd/floor_lat is not a zmqx tool: it is a raw TCP ping-pong that prints
// remote_lat's lines, the floor that zmqx's and libzmq's latencies are read
// against. cmd/xdp_floor is the same for the kernel-bypass path: a raw
// AF_XDP, kernel UDP or kernel TCP ping-pong over a veth pair, and with
// -mode thr a one-way throughput run whose rates are counted in 64-byte
// ZMTP message equivalents (the ceiling of the AF_XDP engine at that
// MTU). xdp_floor.sh runs them (THR=1 for throughput, SG=1 for AF_XDP
// multi-buffer, BLOCK=1 for a receiver that parks), and xdp.sh runs zmqx
// over xdp:// and tcp://, libzmq and the floor on the same link.
//
// pathtrace/ counts instead of timing: it single-steps one end of an
// AF_XDP ping-pong (tools built with the zmqxlegs tag) from a datagram's
// arrival to the next TX kick and reports the instructions and lines of
// code by package and function; pathtrace.sh runs it on either end of
// zmqx's REQ/REP, the raw floor or the floor over the channel.
//
// cycle/ times what a short-lived client costs (a REQ made, connected, one
// round trip and closed); xdp_cycle.sh runs it over xdp:// and tcp:// on
// the same veth, for builds to compare.
//
// xdp_thr_cpu.sh splits a PUSH/PULL message's CPU time over xdp:// and
// tcp:// on the same veth, per CPU, into user space, the kernel and idle
// (perf samples): the measurement behind the throughput target's verdict.
package bench
