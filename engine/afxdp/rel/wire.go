package rel

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Version is the protocol version carried in every datagram.
const Version = 1

// HeaderLen is the size of the channel header in front of every datagram's
// payload: size a DATA datagram as HeaderLen+MSS.
const HeaderLen = 32

// rangeLen is the size of one sequence range in a STATUS or NAK payload.
const rangeLen = 8

// maxRanges is the most ranges one STATUS or NAK carries (its count is a byte).
const maxRanges = 255

// Type is a datagram's type.
type Type uint8

// The datagram types. The numbers are part of the wire format.
const (
	DATA   Type = 1 // stream bytes
	STATUS Type = 2 // cumulative ack, window, received ranges (SACK)
	NAK    Type = 3 // cumulative ack, window, missing ranges
	SYN    Type = 4 // client opens a channel
	SYNACK Type = 5 // server answers a SYN
	FIN    Type = 6 // orderly close, carries the final stream offset
	FINACK Type = 7 // answers a FIN
	PING   Type = 8 // keepalive and window probe; answered by a STATUS
	RST    Type = 9 // abort
)

var typeNames = [...]string{"?", "DATA", "STATUS", "NAK", "SYN", "SYNACK", "FIN", "FINACK", "PING", "RST"}

func (t Type) String() string {
	if int(t) < len(typeNames) && t != 0 {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// flagRetx marks a DATA datagram that is a retransmission.
const flagRetx = 1

// flagAckNow marks a DATA datagram after which its sender has nothing more
// it may send (all written data is out, or the window is used up): the
// receiver acknowledges it at once. Other in-order DATA is acknowledged
// every ackEvery datagrams, so a backlog costs the receiver one STATUS (and
// one TX kick) per ackEvery datagrams instead of one per datagram, and
// nothing waits on a timer.
const flagAckNow = 2

// ackEvery is how many in-order DATA datagrams without flagAckNow the
// receiver takes before it acknowledges.
const ackEvery = 8

// Errors. The three sentinels are what Err wraps; malformed input is
// reported by Peek and Input as errors wrapping ErrProtocol.
var (
	ErrPeerDead = errors.New("rel: peer dead")
	ErrReset    = errors.New("rel: connection reset by peer")
	ErrProtocol = errors.New("rel: protocol error")

	errShort    = fmt.Errorf("%w: datagram shorter than the header", ErrProtocol)
	errVersion  = fmt.Errorf("%w: unknown version", ErrProtocol)
	errType     = fmt.Errorf("%w: unknown type", ErrProtocol)
	errLength   = fmt.Errorf("%w: payload length disagrees with the type", ErrProtocol)
	errNotSYN   = fmt.Errorf("%w: Accept needs a SYN", ErrProtocol)
	errNotMine  = fmt.Errorf("%w: channel ids do not match this connection", ErrProtocol)
	errOffset   = fmt.Errorf("%w: DATA offset disagrees with its sequence number", ErrProtocol)
	errAck      = fmt.Errorf("%w: ack for data never sent", ErrProtocol)
	errFin      = fmt.Errorf("%w: FIN offset disagrees with the data received", ErrProtocol)
	errStraySYN = fmt.Errorf("%w: SYN from another peer", ErrProtocol)
)

// header is the decoded fixed header.
type header struct {
	typ   Type
	flags uint8
	n     uint8 // ranges in a STATUS or NAK
	dst   uint32
	src   uint32
	seq   uint32
	ack   uint32
	wnd   uint32
	off   uint64
}

func putHeader(b []byte, h *header) {
	_ = b[HeaderLen-1]
	b[0] = Version
	b[1] = byte(h.typ)
	b[2] = h.flags
	b[3] = h.n
	binary.BigEndian.PutUint32(b[4:], h.dst)
	binary.BigEndian.PutUint32(b[8:], h.src)
	binary.BigEndian.PutUint32(b[12:], h.seq)
	binary.BigEndian.PutUint32(b[16:], h.ack)
	binary.BigEndian.PutUint32(b[20:], h.wnd)
	binary.BigEndian.PutUint64(b[24:], h.off)
}

// parse decodes and checks the header of d and returns its payload.
func parse(d []byte, h *header) ([]byte, error) {
	if len(d) < HeaderLen {
		return nil, errShort
	}
	if d[0] != Version {
		return nil, errVersion
	}
	h.typ = Type(d[1])
	h.flags = d[2]
	h.n = d[3]
	h.dst = binary.BigEndian.Uint32(d[4:])
	h.src = binary.BigEndian.Uint32(d[8:])
	h.seq = binary.BigEndian.Uint32(d[12:])
	h.ack = binary.BigEndian.Uint32(d[16:])
	h.wnd = binary.BigEndian.Uint32(d[20:])
	h.off = binary.BigEndian.Uint64(d[24:])
	p := d[HeaderLen:]
	switch h.typ {
	case DATA:
		if len(p) == 0 || h.n != 0 {
			return nil, errLength
		}
	case STATUS, NAK:
		if len(p) != int(h.n)*rangeLen {
			return nil, errLength
		}
	case SYN, SYNACK, FIN, FINACK, PING, RST:
		if len(p) != 0 || h.n != 0 {
			return nil, errLength
		}
	default:
		return nil, errType
	}
	return p, nil
}

// Peek parses just enough of a datagram to demultiplex it: its type and the
// destination and source channel ids (the destination is 0 in a SYN). It
// never panics and returns an error wrapping ErrProtocol for a datagram that
// Input would refuse as malformed.
func Peek(d []byte) (t Type, dst, src uint32, err error) {
	var h header
	if _, err := parse(d, &h); err != nil {
		return 0, 0, 0, err
	}
	return h.typ, h.dst, h.src, nil
}

// SynMSS returns the MSS a SYN announces: the most stream bytes its sender
// will put in a datagram, and so the most the accepting side's Conn will
// send too (0: none announced). An error for anything but a well-formed
// SYN.
func SynMSS(d []byte) (int, error) {
	var h header
	if _, err := parse(d, &h); err != nil {
		return 0, err
	}
	if h.typ != SYN {
		return 0, errNotSYN
	}
	return int(min(h.off, maxMSS)), nil
}

func putRange(b []byte, lo, hi uint32) {
	binary.BigEndian.PutUint32(b, lo)
	binary.BigEndian.PutUint32(b[4:], hi)
}

func getRange(b []byte) (lo, hi uint32) {
	return binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:])
}

// Serial-number arithmetic on 32-bit sequence numbers (RFC 1982 style):
// valid while the numbers compared are less than 2^31 apart, which the
// bounded window guarantees.
func seqLT(a, b uint32) bool  { return int32(a-b) < 0 }
func seqLEQ(a, b uint32) bool { return int32(a-b) <= 0 }

// Reset writes into buf the RST that answers d, a datagram for a channel
// that does not exist here (no Conn has its destination id, or a SYN no
// listener takes), and returns its length; 0 when d must not be answered (a
// malformed datagram, or a RST: RSTs are never answered) or buf is shorter
// than HeaderLen. The RST echoes d's sequence number as its ack, by which
// a connecting client recognises the answer to its SYN (it fails with
// ErrReset: refused), and a Conn whose FIN was sent takes it as the end of
// the close (the peer already dropped the channel after a lost FINACK).
func Reset(buf, d []byte) int {
	var h header
	if _, err := parse(d, &h); err != nil || h.typ == RST || len(buf) < HeaderLen {
		return 0
	}
	putHeader(buf, &header{typ: RST, dst: h.src, src: h.dst, seq: h.ack, ack: h.seq})
	return HeaderLen
}

// Last reports whether d, a datagram Poll wrote, is DATA its sender marked
// as the last it may send for now (everything written is out, or the window
// is used up): a driver batching datagrams into one transmit can transmit
// at once after it, without first calling Poll for a datagram that is not
// coming.
func Last(d []byte) bool {
	return len(d) >= HeaderLen && Type(d[1]) == DATA && d[2]&flagAckNow != 0
}
