// Package afxdp is zmqx's kernel-bypass engine: xdp:// endpoints whose ZMTP
// byte stream travels in UDP datagrams built and parsed by zmqx itself and
// moved by AF_XDP sockets (package xdp), steered to them by the XDP program
// of package bpf. Sockets and patterns do not know the difference: the
// stream engine runs over each AF_XDP connection as over a TCP one.
//
// # Endpoints
//
//	xdp://IFACE/IP:PORT   bind or connect through interface IFACE
//	xdp://IP:PORT         the interface that has IP (bind), or the one the
//	                      routing table picks for IP (connect)
//
// A bound endpoint also listens on TCP PORT (unless Config.NoTCPListen), so
// a peer without AF_XDP — libzmq included — reaches it at tcp://IP:PORT.
// Where AF_XDP cannot be used (not Linux, no CAP_NET_ADMIN/CAP_BPF, a driver
// that refuses, and for Connect a peer on this host, which frames sent
// through the NIC never reach), Bind and Connect carry the endpoint over
// TCP, log why, and the socket reports an EventFallback with the reason;
// Config.NoFallback makes that an error instead. (A peer on this host is
// reached on the TCP port its xdp:// bind listens on too: not if it set
// NoTCPListen, and then the connect is refused and retried.) A connect also sizes its
// datagrams to the route's MTU when that is below the interface's (every
// datagram carries DF, and no "fragmentation needed" reaches an AF_XDP
// sender), and the bound side sends at most what the connecting one
// announced. Where a smaller MTU on the path is not on the route, full
// datagrams are dropped on the way: the connection then fails after
// rel's DeadAfter with an error that says a datagram went unacknowledged
// although the peer answers, rather than stalling in silence.
//
// # How a connection is carried
//
// Each connection is a channel (package rel): a handshake, per-datagram
// sequence numbers, cumulative and selective acknowledgement, every gap
// reported at once, retransmission from the data kept until acknowledged,
// an RTO from the smoothed RTT with a microsecond floor, a tail-loss probe,
// a receive window, a delay-based congestion window (so a receiver slower
// than its sender keeps a short queue, and a loss is repaired in a round
// trip of the path rather than of that queue), keepalive and an orderly
// close. A message of any size is
// cut into datagrams by the channel; several ZMTP frames share a datagram
// when a backlog exists, and a lone message goes out at once.
//
// A datagram carries up to the interface's MTU, and at most what one 4 KiB
// Umem frame receives after the kernel's 256-byte XDP headroom: 1 440
// stream bytes at MTU 1500, 3 766 at an MTU of 3 826 or more (jumbo
// frames). Bulk throughput in copy mode is bound by the kernel's cost per
// datagram, so a larger MTU raises it (on the veth bench, PUSH/PULL of
// 64-byte messages at MTU 3500 ran 1.4-1.6× MTU 1500); native XDP on
// veth, and on many drivers without multi-buffer support, takes an MTU up
// to about 3 500 only, beyond which the steering program is attached in
// generic mode.
//
// Frames go to the peer's MAC from the kernel's neighbour table (resolution
// is triggered when missing), or to the gateway's when the route has one;
// replies go back to the MAC the request came from.
//
// # Queues and workers
//
// The engine starts on an interface at its first xdp:// endpoint there: the
// steering program is attached (native mode first, generic second), one
// AF_XDP socket is bound per queue (Config.Queues caps them) on one Umem,
// and each queue gets a worker, a goroutine locked to an OS thread and
// pinned to a CPU of the NIC's NUMA node (or Config.CPUs); with no CPU to
// pin it to (no NUMA information, as on veth) a worker that parks is a
// plain goroutine, which the network poller wakes without a hand-off
// between threads. A worker receives a batch, demultiplexes it by channel
// id, lets the channels of its queue acknowledge, retransmit and send what
// was written, and puts all of it on the TX ring with one kick. Interrupt coalescing is turned off
// while the engine runs and restored on Close (Config.LeaveCoalescing keeps
// the NIC as it is).
//
// An interface takes one XDP program, so one engine, and so one runtime,
// per interface per host uses AF_XDP there. Another process (or runtime)
// that binds or connects over xdp:// on that interface cannot attach its
// program: it falls back to TCP with EventFallback (the reason: the device
// is busy), or fails with Config.NoFallback. What it bound or connected
// over TCP stays on TCP after the other one is gone.
//
// # Driven connections (spinning, invoker mode)
//
// With zmqx's IdleSpin or IdleBackoff, or Invoker, a channel is an agent
// the stream engine drives like a descriptor (stream.NonBlockingConn): its
// non-blocking read first runs a round of the host's queues that nobody
// else is running, in the driving goroutine (an I/O worker, or the one in
// Send or Recv), so datagrams are taken off the RX ring, acknowledged and
// decoded with no hand-off; a write services the channel and kicks TX from
// the writing goroutine. The queue workers then park. With drivers that
// poll (Config.DriversPoll: IdleSpin, and IdleBackoff, which sleeps about
// 1ms at most) a channel defers its acknowledgements up to 10µs so
// that an answer carries them (rel.Conn.SetAckDelay), and while a queue has
// such channels its worker leaves the socket out of its epoll set and
// looks every 10ms, for timers, SYNs and traffic nobody polls (a program
// that stopped calling). An invoker that has no connection to drive yet
// runs the queues too while it waits (Transport.PollIdle, core.Poller):
// a connection being made is taken in by it, and does not wait for the
// parked worker, which with one Go processor and a spinning caller runs
// only at the runtime's background network poll, every 10ms.
//
// What a message waits for on that path is kept to what it needs. A
// driver's read that found nothing looks again only once the channel's
// service signals new bytes (no lock taken while idle); a driver spinning
// on its only connection (an invoker's Recv) then waits on the queue's ring
// in a loop of a few instructions for up to about 0.7µs before it goes back
// through the socket, reading the clock while it waits so that none is read
// between a datagram's arrival and the answer (host with one queue); the
// bytes a datagram brings for the driver's own channel are read into the
// driver's buffer while it is input, under the one channel lock that takes,
// in-order ones straight from the frame (rel.Conn.InputRead); a DATA
// datagram with nothing to send back yet (its ack deferred) is handed to
// the reader without servicing its channel, and its RX frame goes back to
// the FILL ring at the driver's next look; a write takes the queue's lock
// and the channel's once, builds the datagram behind precomputed headers,
// and kicks TX as soon as the channel's last datagram for now is queued
// (rel.Last), before the rest of the service. A channel's rings start
// again at their beginning whenever they are empty, so request-reply
// traffic keeps using the same few cache lines.
package afxdp
