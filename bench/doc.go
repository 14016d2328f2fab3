// Package bench holds zmqx's benchmark tools (cmd/), the libzmq peer they
// are paired with (peers/), the comparison script and RESULTS.md. Its test
// checks the tools' command-line and output contract against that peer.
//
// cmd/pub_thr and cmd/sub_thr measure fan-out: one XPUB to N SUB sockets
// in one process, the messages delivered to all of them together per
// second. Their start and end-of-run protocol (a hello topic per
// subscriber, an end marker) is described in internal/perf/fanout.go.
//
// cmd/floor_lat is not a zmqx tool: it is a raw TCP ping-pong that prints
// remote_lat's lines, the floor that zmqx's and libzmq's latencies are read
// against.
package bench
