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
// against.
package bench
