// Package zmtp is the ZMTP 3.1 wire codec (RFC 23/ZMTP and RFC 37/ZMTP 3.1):
// the greeting, frame headers, commands and their metadata, and the NULL and
// PLAIN handshakes as a state machine.
//
// It does no I/O and imports no networking package: callers hand it bytes and
// send the bytes it returns. Every parser bounds what it reads and allocates
// by the caller's limits, so input from the network can be fed to it as is;
// each parser has a native fuzz target beside it.
package zmtp
