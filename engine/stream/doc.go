// Package stream is the ZMTP engine for reliable byte streams (TCP, IPC, and
// later the AF_XDP channel): the greeting and security handshake, then the
// connection's part of the byte path (see package core): reading into the
// socket's Inbound stream and writing its Outbound stream out, heartbeats,
// and the commands that are the engine's business (PING, PONG, ERROR).
//
// The handshake runs blocking on the net.Conn. After it the connection is
// driven one of two ways, as the runtime's Config says:
//
//   - IdleBlock (the default): a reader goroutine reads straight into the
//     inbound segments and publishes each read's whole messages at once; a
//     writer goroutine is the only place that batches. It takes what is
//     published when it wakes — one message alone if one is there, up to
//     Options.BatchSize if messages piled up behind the previous write — and
//     writes it with one writev. No timers, no waiting for more.
//     Two exceptions write from the sending goroutine instead, when the
//     writer is idle: REQ and REP write each message out at once (one
//     non-blocking writev), and any socket writes a frame of
//     core.ThroughMin (256 KiB) or more, the last of its message, straight
//     from the caller's memory (core.Through) rather than copying it into
//     the outbound segments; it waits up to 1 ms for a busy writer to go
//     idle and up to 1 ms for room in the socket buffer (PUB, XPUB and
//     ROUTER do not wait), and copies only what the connection did not
//     take.
//   - An agent (spin or backoff, on a worker or in invoker mode): DoWork makes
//     one non-blocking read and one non-blocking writev on the raw file
//     descriptor with unix.RawSyscall (internal/rawio) and checks the
//     heartbeat timers from its own clock now and then. In invoker mode a
//     Send pumps its message out at once (one write system call, no hand-off);
//     what the socket buffer could not take is finished by the connection's
//     session goroutine, which waits for room with poll(2).
//     On Linux a driven connection leaves Go's network poller (unpoll: the
//     descriptor is duplicated and the net.Conn closed). Nobody waits there
//     for its input, and a socket in an epoll set costs every segment that
//     arrives a wake-up callback on the CPU that delivers it (over loopback,
//     the sender's). The blocking steps left (the closing drain, the wait for
//     room, deadlines, shutdown) use poll(2) in slices of 10 ms.
//     While an invoker drives the connection, its engine and the socket take
//     turns under the socket's lock, so the Inbound and Outbound publish with
//     plain stores instead of fenced ones (core.Pipe's serial mode).
//
// CURVE connections keep the socket's side unchanged (plain frames in the
// Outbound and Inbound): the engine seals every outgoing frame into a
// MESSAGE as it takes it from the Outbound, and opens incoming MESSAGEs
// straight into the Inbound's memory (curve.go). Nothing is written
// through from the sending goroutine on CURVE connections.
package stream
