// Package bench holds zmqx's benchmark tools (cmd/), the libzmq peer they
// are paired with (peers/), the comparison script and RESULTS.md. Its test
// checks the tools' command-line and output contract against that peer.
//
// cmd/floor_lat is not a zmqx tool: it is a raw TCP ping-pong that prints
// remote_lat's lines, the floor that zmqx's and libzmq's latencies are read
// against.
package bench
