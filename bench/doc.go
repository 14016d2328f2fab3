// Package bench holds zmqx's benchmark tools (cmd/), the libzmq peer they
// are paired with (peers/), the comparison script and RESULTS.md. Its test
// checks the tools' command-line and output contract against that peer.
package bench
