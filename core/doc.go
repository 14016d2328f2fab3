// Package core is the machinery behind zmqx sockets, after the ØMQ
// architecture: messages (inline, refcounted, zero-copy), lock-free
// single-producer single-consumer pipes with high-water marks and the
// "reader asleep" wake-up protocol, the socket-type behaviours (load
// balancing, fair queuing, distribution, subscription tries), sessions that
// own peer relationships and reconnect, and the ownership tree that makes
// shutdown bounded.
//
// core knows nothing of wire formats or transports: engines (ZMTP over a byte
// stream) and transports (tcp, ipc) are handed to a Runtime by the caller, so
// there is no package-level registry and no global state.
package core
