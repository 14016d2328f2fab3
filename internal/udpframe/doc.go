// Package udpframe builds and parses Ethernet/IPv4/UDP frames in place, for
// code that talks to the wire below the kernel's UDP stack (AF_XDP). It is a
// pure codec: no sockets, no allocation; Append writes into the caller's
// buffer and Parse returns slices of it.
package udpframe
