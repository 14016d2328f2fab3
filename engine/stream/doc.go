// Package stream is the ZMTP engine for reliable byte streams (TCP, IPC, and
// the AF_XDP channel): the greeting and security handshake, heartbeats, and
// the codec loops that move messages between a connection and a session's
// pipe.
//
// Each connection has a reader and a writer goroutine. The reader decodes
// everything one read returned and publishes it to the socket with a single
// pipe flush. The writer is the only place that batches: it takes what is
// queued when it wakes — one message alone if one is queued, everything up
// to Options.BatchSize if messages piled up behind the previous write — and
// writes it at once. No timers, no waiting for more.
package stream
