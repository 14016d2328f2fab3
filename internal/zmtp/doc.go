// Package zmtp is the ZMTP 3.1 wire codec (RFC 23/ZMTP and RFC 37/ZMTP 3.1):
// the greeting, frame headers, commands and their metadata, and the NULL,
// PLAIN and CURVE (RFC 26/CurveZMQ, as libzmq 4.3 puts it on the wire)
// handshakes as a state machine, with a hook for the ZAP decision (RFC 27);
// the CURVE MESSAGE codec (CurveCodec, on golang.org/x/crypto's nacl/box
// and secretbox) and Z85 (RFC 32).
//
// It does no I/O and imports no networking package: callers hand it bytes and
// send the bytes it returns. Every parser bounds what it reads and allocates
// by the caller's limits, so input from the network can be fed to it as is;
// each parser has a native fuzz target beside it.
package zmtp
