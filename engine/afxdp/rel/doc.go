// Package rel is the reliable, ordered, flow-controlled byte-stream channel
// of the AF_XDP engine: one ZMTP byte stream carried in UDP datagrams that
// the engine builds and parses itself. It is a pure state machine: no
// goroutines, no timers, no clock, no I/O and no allocation per datagram.
// The caller passes the time (monotonic nanoseconds) to every call, hands
// in each received datagram (Input), takes out each datagram to send
// (Poll, into a UMEM frame after the Ethernet/IP/UDP headers) and calls
// Poll again when Deadline passes.
//
// # Driving a Conn
//
//	c := rel.Dial(cfg, localID, now)                // or rel.Accept(cfg, localID, syn, now)
//	loop:
//	    for each received datagram d for c:  c.Input(d, now)
//	    c.Write(p, now) / c.Read(p)           // the ZMTP engine's bytes
//	    for n := c.Poll(frame, now); n > 0; n = c.Poll(frame, now) { send frame[:n] }
//	    wake again at c.Deadline() at the latest
//
// A writer that sends as it writes (a driver answering a request) may call
// c.Send(p, frame, now) first: it makes the DATA a Write and the next Poll
// would have made, in one step, or takes nothing when Poll would send
// something else first; then Write and Poll as above.
//
// Demultiplexing: Peek gives a datagram's type and channel ids. A SYN has
// destination id 0: route it to the Conn already created for its (address,
// source id) if there is one (a retransmitted SYN), else to Accept. Every
// other datagram goes to the Conn whose local id is its destination.
// Answer a datagram for no Conn (and a SYN no listener takes) with the RST
// Reset builds: a client then fails at once with ErrReset instead of after
// DeadAfter, and a peer whose FINACK was lost after this side dropped its
// Closed Conn ends its close on that RST (else it retries the FIN until
// DeadAfter and fails with ErrPeerDead). Keeping a Closed Conn reachable
// for a while does the same for the FIN.
//
// # Wire format (version 1)
//
// Every datagram starts with a 32-byte header, big-endian:
//
//	offset size field
//	0      1    version (1)
//	1      1    type: DATA 1, STATUS 2, NAK 3, SYN 4, SYNACK 5, FIN 6, FINACK 7, PING 8, RST 9
//	2      1    flags on DATA: bit 0 = retransmission; bit 1 = "ack now" (the
//	            sender has nothing more it may send after this datagram)
//	3      1    n: number of 8-byte ranges in a STATUS or NAK payload, else 0
//	4      4    destination channel id (0 in a SYN)
//	8      4    source channel id
//	12     4    seq: DATA: this datagram's sequence number;
//	                 SYN, SYNACK: the sender's initial sequence number;
//	                 STATUS, NAK: one past the highest sequence number received;
//	                 others: the sender's next sequence number (informational)
//	16     4    ack: the next sequence number expected from the peer (cumulative)
//	20     4    wnd: stream bytes the peer may send beyond the stream offset of ack
//	24     8    off: DATA: stream offset of the first payload byte;
//	                 FIN: the final stream offset (all bytes ever written);
//	                 FINACK: the final offset of the FIN it answers;
//	                 SYN, SYNACK: the sender's MSS; STATUS, NAK: the in-order offset received
//	32     ...  payload: DATA: 1..MSS stream bytes; STATUS, NAK: n ranges
//	            [lo, hi) of sequence numbers, 4+4 bytes each; others: empty
//
// Every datagram but a SYN carries the cumulative ack and the window, so
// DATA going one way is also the ack of the other way. Sequence numbers
// count DATA datagrams (32 bits, wrapping; compared as distances from the
// ack point); the stream offset (64 bits) never wraps. A DATA datagram is
// never re-cut: a retransmission is the same sequence number, offset and
// bytes, so the sequence numbers received map exactly to stream bytes.
//
// # Protocol
//
// Handshake: the client sends SYN (its id, initial sequence number, window
// and MSS), retransmitted from InitialRTO with ×2 backoff. The server,
// created by Accept, answers SYNACK (its id and the same), retransmitted
// on its own timer and at once on a duplicate SYN. The client is
// Established on the SYNACK and answers at once (a STATUS if it has no
// DATA); the server is Established on the client's first non-SYN datagram.
// Each side sends at most the smaller of the two MSS values. The server may
// send DATA once its SYNACK is out. A late duplicate SYN or SYNACK after
// establishment changes nothing (a SYNACK is acked again).
//
// Data: Poll packs up to MSS bytes of what was written and not sent into
// each DATA datagram, as far as the window allows: whatever is written goes
// out at the next Poll (no Nagle, no waiting), so with a backlog datagrams
// are full and when sparse one small write is one small datagram.
//
// Acknowledgement: Input only sets "ack pending"; the next Poll sends one
// STATUS (or the ack rides on DATA), so a burst of Input is acked once and
// a single datagram at once. In-order DATA is acknowledged at once when it
// carries "ack now" (the last datagram its sender could send: the end of a
// burst, a lone message, a full window), and otherwise every eighth
// datagram, so a backlog costs the receiver a STATUS per eight datagrams;
// retransmissions and anything out of order or during a gap are
// acknowledged at once. There is no delayed-ack timer. STATUS carries the out-of-order runs received
// (SACK ranges) and the highest sequence number received.
//
// Gaps: every DATA arriving beyond a gap makes the next Poll send a NAK
// listing every gap at once (as many as fit in the datagram; the receiver
// tracks up to 256 out-of-order runs, and a datagram that would need more
// is dropped and reported missing with the gaps). The sender resends every
// reported datagram at once, unless its latest copy may still be in
// flight: a copy counts as lost when a datagram transmitted after it has
// arrived (RACK's rule, RFC 8985, by transmission order) and it left at
// least half an SRTT ago, or when it was sent an RTO ago. Repeated NAKs for one gap so cause no storm, whatever
// the queueing delay. The holes a STATUS's SACK ranges show are treated the
// same way.
//
// Timers: RTO from SRTT and RTTVAR as in RFC 6298 (Karn's rule: no samples
// from retransmitted datagrams; samples from the newest datagram an ack or
// a STATUS/NAK reveals as received), floored at MinRTO, capped at MaxRTO,
// doubling on expiry. On expiry the oldest unacknowledged datagram is
// resent, and the newest too when the peer has not shown it arrived. A
// tail-loss probe resends the newest datagram 2×SRTT + MinRTO/4 after the
// last send or ack while datagrams are outstanding, so that the peer's NAK
// reveals lost tails before the RTO.
//
// Flow control: the receiver advertises the room left in its receive
// buffer (RecvWindow minus unread and out-of-order bytes); the sender never
// sends beyond ack+window (taking the furthest limit advertised, so
// reordered acks do no harm). With data waiting and a zero window it sends
// PINGs, backing off, until a STATUS opens it; a Read that opens the window
// by a quarter after the advertised window fell below a quarter sends a
// STATUS by itself.
//
// Liveness: a PING goes out when nothing was sent for KeepAlive and is
// answered by a STATUS. Nothing heard for DeadAfter (a SYN unanswered, a
// FIN unacknowledged included) fails the connection with ErrPeerDead. So
// does a DATA datagram still unacknowledged DeadAfter after it was first
// sent, although the peer answers: a path that drops datagrams of that
// size (an MTU below the sender's) would otherwise hold the stream for
// ever. So does AcceptWait (256ms) of silence before an accepted Conn's
// client answers its SYNACK: a SYN's source can be forged, so it is
// answered a few times only.
//
// Close: Close stops writes; once everything written is acknowledged a FIN
// with the final offset goes out (retransmitted with backoff) and its
// FINACK makes the connection Closed. The close is of the whole channel:
// the side receiving the FIN answers FINACK and is Closed at once (what it
// had not sent yet is dropped); bytes received before the FIN can still be
// Read, then Read returns 0 and State is Closed (the engine's io.EOF).
// Abort makes the next Poll emit a RST (State is Closing until then and
// Closed after); a RST
// received fails the connection with ErrReset (or completes a close whose
// FIN was sent). A datagram that contradicts the protocol (an ack of data
// never sent, DATA disagreeing with data received) fails the connection
// with ErrProtocol and is answered by a RST; a malformed one, or one for
// other channel ids, is refused by Input with an error and changes nothing.
//
// Congestion control is delay-based (cc.go): at most a congestion window
// of DATA datagrams is in the network (counted beyond the highest one the
// peer has shown it received, so a hole awaiting repair does not stop the
// stream), and once a round trip the window is scaled down when the
// smallest RTT sample of that round trip exceeds a target (the smallest
// RTT seen, plus as much again or MinRTO/2), or grown by an eighth when
// the sender was held by it. A sender faster than its receiver or its
// path so keeps a short queue in front of them instead of its whole
// receive window, and a NAK and the retransmission answering it are not
// delayed behind that queue: a loss in a stream is repaired in about one
// round trip of the path. The window has a floor (48 datagrams) and loss
// does not shrink it. DATA that fills the window carries "ack now".
package rel
