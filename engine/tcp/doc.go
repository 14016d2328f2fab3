// Package tcp provides the kernel stream transports: tcp:// (IPv4 and IPv6,
// with Nagle's algorithm off on every connection) and ipc:// (Unix domain
// stream sockets). Both carry the ZMTP engine of package stream.
package tcp
