// Package core is the machinery behind zmqx sockets, after the ØMQ
// architecture: messages (inline, refcounted, zero-copy), the socket-type
// behaviours (load balancing, fair queuing, distribution, subscription
// tries), sessions that own peer relationships and reconnect, the
// ownership tree that makes shutdown bounded, and the I/O workers and idle
// strategies that drive connections.
//
// # The message path
//
// Between a socket and a stream connection there are bytes, not message
// structs. Send picks the peer under the socket's rules, then encodes the
// ZMTP frames straight into that connection's outbound buffer, an
// [OutBuffer]. The TCP implementation, [Outbound], is a single-producer
// single-consumer chain of 64 KiB segments: the socket reserves and commits
// bytes in place (a frame header is never split), adds payloads of RefMin
// bytes and more by reference (zero-copy), and publishes each whole message
// with one atomic store. The engine writes the published bytes out with
// writev in batches of up to Options.BatchSize, walking the frame headers it
// passes to count whole messages: the high-water mark stays counted in
// messages, and a message is all or nothing. When a connection ends in the
// middle of a message, the rest of it is dropped (Outbound.DropPartial), so
// a new connection always starts on a message boundary.
//
// The receive side is the mirror, an [Inbound]: the engine reads from the
// connection straight into its segments, checks each frame header (size
// limits, commands) and publishes whole messages; the socket decodes the
// frames in place. Payloads of up to InlineMax bytes are copied into the
// Msg; larger ones are handed out in place, a reference to the segment,
// which is reused once every such message is closed. A message never spans
// two segments (a message larger than a segment gets one of its own, from a
// pool by size).
//
// inproc keeps message pipes (ypipe: chunked, lock-free, one atomic per
// flush, the "reader asleep" wake-up): there is nothing to encode.
//
// # The contract for other engines
//
// OutBuffer is written so that an engine whose memory is not a byte chain
// can be the buffer. Reserve(n) returns at least n contiguous bytes at the
// end of the stream (n is at most MaxReserve), Commit(k) makes k of them
// part of the current message, AppendRef adds a payload by reference and
// EndMessage publishes the message. A UMEM-backed buffer would hand out the
// free part of the current frame after the datagram headers, start a new
// frame when a reservation does not fit, copy referenced payloads into
// frames (or chain them where the driver allows), and turn EndMessage into
// "one TX kick per batch when a backlog exists". AppendFrame and
// AppendCommand encode into any OutBuffer. Today the AF_XDP engine does
// not give one: it runs the stream engine over its channels, each
// connection has an Outbound like a TCP one, and the channel copies the
// bytes into UMEM frames (two copies of a small message's bytes, into the
// channel's send ring and from there into the frame).
//
// # Driving connections
//
// An engine runs a connection as an [Agent] (Aeron's Agent: DoWork, PumpOut)
// where the runtime's Config asks for it: on I/O workers (goroutines locked
// to OS threads, pinned to CPUs when configured or placed on the NIC's NUMA
// node) with the spin or backoff idle strategy, or in invoker mode, inside
// the goroutine that calls Send and Recv, with no hand-off. A spinning
// caller waiting in Recv on a socket's only connection lets that agent spin
// on its reads ([Spinner]), so the time between two reads is a system call's
// return and entry: a message that arrives during a read that found nothing
// is taken by the next one without a round of the socket's loop in between.
// A REQ or REP socket whose callers drive its only connection takes the
// express path ([Express]) for a message of short frames in the shape the
// two exchange: Recv decodes it from the bytes the connection's read
// brought, and Send encodes it and writes it out, without the inbound and
// outbound streams and the pump in between; anything else (commands, long
// frames, a partial or second message in a read, output already waiting)
// goes the usual way.
// The default,
// IdleBlock, parks a reader and a writer goroutine per connection in the
// network poller.
//
// core knows nothing of transports: engines and transports are handed to a
// Runtime by the caller, so there is no package-level registry. The only
// process-wide state is caches of free memory (segments, buffers), bounded.
package core
