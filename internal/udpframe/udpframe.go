package udpframe

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// HeaderLen is the size of the Ethernet, IPv4 (no options) and UDP headers
// Append writes.
const HeaderLen = 14 + 20 + 8

// Header holds the addressing of one frame.
type Header struct {
	DstMAC, SrcMAC [6]byte
	Src, Dst       netip.AddrPort // IPv4 addresses and UDP ports
	TTL            uint8          // 0 means 64
}

var (
	errShort   = errors.New("udpframe: frame too short")
	errNotIPv4 = errors.New("udpframe: not IPv4")
	errNotUDP  = errors.New("udpframe: not UDP")
	errLength  = errors.New("udpframe: length fields disagree with the frame")
	errBig     = errors.New("udpframe: payload too large")
)

// Append appends a complete frame carrying payload to b and returns the
// extended slice. The IPv4 header checksum is filled in; the UDP checksum is
// left zero (allowed for IPv4), which every receiver accepts.
func Append(b []byte, h *Header, payload []byte) ([]byte, error) {
	if len(payload) > 0xffff-28 {
		return b, errBig
	}
	if !h.Src.Addr().Is4() || !h.Dst.Addr().Is4() {
		return b, errNotIPv4
	}
	b = append(b, h.DstMAC[:]...)
	b = append(b, h.SrcMAC[:]...)
	b = append(b, 0x08, 0x00)
	ttl := h.TTL
	if ttl == 0 {
		ttl = 64
	}
	ip := len(b)
	total := 20 + 8 + len(payload)
	b = append(b, 0x45, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(total))
	b = append(b, 0, 0, 0x40, 0) // id 0, don't fragment
	b = append(b, ttl, 17, 0, 0)
	s4, d4 := h.Src.Addr().As4(), h.Dst.Addr().As4()
	b = append(b, s4[:]...)
	b = append(b, d4[:]...)
	binary.BigEndian.PutUint16(b[ip+10:], Checksum(b[ip:ip+20]))
	b = binary.BigEndian.AppendUint16(b, h.Src.Port())
	b = binary.BigEndian.AppendUint16(b, h.Dst.Port())
	b = binary.BigEndian.AppendUint16(b, uint16(8+len(payload)))
	b = append(b, 0, 0)
	b = append(b, payload...)
	return b, nil
}

// Parse decodes a frame written by Append or by any IPv4 stack (IP options
// allowed, no fragments) and returns its header and a slice of b holding
// the UDP payload.
func Parse(b []byte) (h Header, payload []byte, err error) {
	ip, udp, err := split(b)
	if err != nil {
		return h, nil, err
	}
	copy(h.DstMAC[:], b[0:6])
	copy(h.SrcMAC[:], b[6:12])
	h.TTL = ip[8]
	h.Src = netip.AddrPortFrom(netip.AddrFrom4([4]byte(ip[12:16])), binary.BigEndian.Uint16(udp[0:]))
	h.Dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte(ip[16:20])), binary.BigEndian.Uint16(udp[2:]))
	return h, udp[8:], nil
}

// Endpoint is a UDP endpoint as a frame carries it: the IPv4 address and
// the port, in network byte order.
type Endpoint [6]byte

// EndpointOf is ap as a frame carries it; ok is false when ap is not IPv4.
func EndpointOf(ap netip.AddrPort) (e Endpoint, ok bool) {
	if !ap.Addr().Is4() {
		return e, false
	}
	a := ap.Addr().As4()
	copy(e[:4], a[:])
	binary.BigEndian.PutUint16(e[4:], ap.Port())
	return e, true
}

// Source is Parse for a receiver that needs only the payload and where it
// came from: the same checks, and the source as an Endpoint instead of a
// Header built (EndpointOf(h.Src) of Parse's header).
func Source(b []byte) (src Endpoint, payload []byte, err error) {
	ip, udp, err := split(b)
	if err != nil {
		return src, nil, err
	}
	copy(src[:4], ip[12:16])
	copy(src[4:], udp[0:2])
	return src, udp[8:], nil
}

// split checks b as Parse describes and returns its IPv4 header and its
// UDP datagram (header and payload, to the UDP length).
func split(b []byte) (ip, udp []byte, err error) {
	if len(b) < HeaderLen {
		return nil, nil, errShort
	}
	if b[12] != 0x08 || b[13] != 0x00 {
		return nil, nil, errNotIPv4
	}
	ip = b[14:]
	if ip[0]>>4 != 4 {
		return nil, nil, errNotIPv4
	}
	ihl := int(ip[0]&0x0f) * 4
	if ihl < 20 || len(ip) < ihl+8 {
		return nil, nil, errShort
	}
	if ip[9] != 17 {
		return nil, nil, errNotUDP
	}
	total := int(binary.BigEndian.Uint16(ip[2:]))
	if total < ihl+8 || total > len(ip) {
		return nil, nil, errLength
	}
	udp = ip[ihl:total]
	ulen := int(binary.BigEndian.Uint16(udp[4:]))
	if ulen < 8 || ulen > len(udp) {
		return nil, nil, errLength
	}
	return ip, udp[:ulen], nil
}

// Checksum is the Internet checksum (RFC 1071) of b.
func Checksum(b []byte) uint16 {
	var sum uint32
	for ; len(b) >= 2; b = b[2:] {
		sum += uint32(b[0])<<8 | uint32(b[1])
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// Prefix is the headers Append writes for one Header, computed once: Put
// writes them in front of a payload with only the two length fields and the
// IPv4 checksum changed, for a sender that frames many datagrams to the same
// peer.
type Prefix struct {
	b   [HeaderLen]byte
	sum uint32 // the IPv4 header's ones'-complement sum, total length and checksum left out
}

// NewPrefix computes the headers of h's frames.
func NewPrefix(h *Header) (Prefix, error) {
	var p Prefix
	b, err := Append(p.b[:0], h, nil)
	if err != nil {
		return p, err
	}
	copy(p.b[:], b)
	ip := p.b[14:34]
	for i := 0; i < 20; i += 2 {
		if i != 2 && i != 10 { // total length, checksum
			p.sum += uint32(ip[i])<<8 | uint32(ip[i+1])
		}
	}
	return p, nil
}

// Put writes the headers for a payload of n bytes (at most 0xffff-28) into
// frame[:HeaderLen]; the payload is frame[HeaderLen:HeaderLen+n]. The result
// is what Append writes for the same Header and payload.
func (p *Prefix) Put(frame []byte, n int) {
	*(*[HeaderLen]byte)(frame) = p.b // moves, not a call to memmove
	total := uint32(20 + 8 + n)
	binary.BigEndian.PutUint16(frame[14+2:], uint16(total))
	sum := p.sum + total
	sum = sum>>16 + sum&0xffff
	sum += sum >> 16
	binary.BigEndian.PutUint16(frame[14+10:], ^uint16(sum))
	binary.BigEndian.PutUint16(frame[34+4:], uint16(8+n))
}
