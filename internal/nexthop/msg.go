package nexthop

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"strconv"
)

// The rtnetlink wire format: constants from the kernel's uapi headers
// (linux/netlink.h, linux/rtnetlink.h, linux/neighbour.h, linux/if_link.h).
// They are spelled out here, not taken from x/sys/unix, so that the codec
// below builds and is fuzzed on every platform.
const (
	nlmsgHdrLen = 16

	nlmsgError = 2
	nlmsgDone  = 3

	nlmFRequest = 0x1
	nlmFAck     = 0x4
	nlmFCreate  = 0x400
	nlmFCapped  = 0x100 // in an error: the original request is cut to its header
	nlmFAckTLVs = 0x200 // in an error: extended-ack attributes follow

	nlmsgerrAttrMsg = 1

	rtmNewLink  = 16
	rtmGetLink  = 18
	rtmNewRoute = 24
	rtmGetRoute = 26
	rtmNewNeigh = 28
	rtmDelNeigh = 29
	rtmGetNeigh = 30

	rtaDst     = 1
	rtaOif     = 4
	rtaGateway = 5
	rtaPrefsrc = 7
	rtaMetrics = 8
	rtaVia     = 18

	rtaxMTU = 2

	ndaDst    = 1
	ndaLladdr = 2

	iflaAddress = 1
	iflaIfname  = 3
	iflaMTU     = 4

	ntfUse = 0x1

	nudIncomplete = 0x01
	nudReachable  = 0x02
	nudStale      = 0x04
	nudDelay      = 0x08
	nudProbe      = 0x10
	nudFailed     = 0x20
	nudNoARP      = 0x40
	nudPermanent  = 0x80
	// nudValid is the kernel's NUD_VALID: states whose link-layer address
	// may be used to send.
	nudValid = nudPermanent | nudNoARP | nudReachable | nudProbe | nudStale | nudDelay

	afInet  = 2
	afInet6 = 10

	rtmsgLen     = 12
	ndmsgLen     = 12
	ifinfomsgLen = 16

	// rtm_type values.
	rtnUnicast     = 1
	rtnLocal       = 2
	rtnBroadcast   = 3
	rtnAnycast     = 4
	rtnMulticast   = 5
	rtnBlackhole   = 6
	rtnUnreachable = 7
	rtnProhibit    = 8
	rtnThrow       = 9
)

var errMalformed = errors.New("nexthop: malformed netlink message")

// message is one netlink message; body aliases the buffer it was read into.
type message struct {
	typ, flags uint16
	seq, pid   uint32
	body       []byte
}

// appendMessage appends a netlink message with the given header fields and
// body to b.
func appendMessage(b []byte, typ, flags uint16, seq uint32, body ...[]byte) []byte {
	n := nlmsgHdrLen
	for _, p := range body {
		n += len(p)
	}
	b = binary.NativeEndian.AppendUint32(b, uint32(n))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = binary.NativeEndian.AppendUint16(b, flags)
	b = binary.NativeEndian.AppendUint32(b, seq)
	b = binary.NativeEndian.AppendUint32(b, 0) // the kernel fills in our port id
	for _, p := range body {
		b = append(b, p...)
	}
	return b
}

// appendAttr appends one route attribute (padded to four bytes) to b.
func appendAttr(b []byte, typ uint16, val []byte) []byte {
	b = binary.NativeEndian.AppendUint16(b, uint16(4+len(val)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, val...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// splitMessages cuts a datagram read from a netlink socket into messages.
// Anything inconsistent (a length shorter than the header or running past
// the datagram) ends the walk with errMalformed.
func splitMessages(b []byte) ([]message, error) {
	var out []message
	for len(b) >= nlmsgHdrLen {
		n := int(binary.NativeEndian.Uint32(b))
		if n < nlmsgHdrLen || n > len(b) {
			return out, errMalformed
		}
		out = append(out, message{
			typ:   binary.NativeEndian.Uint16(b[4:]),
			flags: binary.NativeEndian.Uint16(b[6:]),
			seq:   binary.NativeEndian.Uint32(b[8:]),
			pid:   binary.NativeEndian.Uint32(b[12:]),
			body:  b[nlmsgHdrLen:n],
		})
		b = b[min(align4(n), len(b)):]
	}
	if len(b) != 0 {
		return out, errMalformed
	}
	return out, nil
}

func align4(n int) int { return (n + 3) &^ 3 }

// attrs walks the route attributes in b, calling fn with each type (the
// nested and byte-order flag bits cleared) and value. A malformed
// attribute ends the walk with errMalformed.
func attrs(b []byte, fn func(typ uint16, val []byte)) error {
	for len(b) >= 4 {
		n := int(binary.NativeEndian.Uint16(b))
		if n < 4 || n > len(b) {
			return errMalformed
		}
		fn(binary.NativeEndian.Uint16(b[2:])&0x3fff, b[4:n])
		b = b[min(align4(n), len(b)):]
	}
	if len(b) != 0 {
		return errMalformed
	}
	return nil
}

// parseError decodes an NLMSG_ERROR body: the errno (0 for an
// acknowledgement, otherwise positive) and the kernel's extended-ack text
// when it sent one.
func parseError(m message) (errno int32, text string, err error) {
	if len(m.body) < 4 {
		return 0, "", errMalformed
	}
	errno = -int32(binary.NativeEndian.Uint32(m.body))
	if m.flags&nlmFAckTLVs == 0 || len(m.body) < 4+nlmsgHdrLen {
		return errno, "", nil
	}
	// The original request follows: its header only when capped.
	skip := 4 + nlmsgHdrLen
	if m.flags&nlmFCapped == 0 {
		orig := int(binary.NativeEndian.Uint32(m.body[4:]))
		if orig < nlmsgHdrLen || 4+orig > len(m.body) {
			return errno, "", nil
		}
		skip = 4 + align4(orig)
	}
	if skip > len(m.body) {
		return errno, "", nil
	}
	attrs(m.body[skip:], func(typ uint16, val []byte) {
		if typ == nlmsgerrAttrMsg {
			for len(val) > 0 && val[len(val)-1] == 0 {
				val = val[:len(val)-1]
			}
			text = string(val)
		}
	})
	return errno, text, nil
}

// addrFrom reads an IPv4 or IPv6 address of exactly 4 or 16 bytes.
func addrFrom(b []byte) (netip.Addr, bool) {
	switch len(b) {
	case 4:
		return netip.AddrFrom4([4]byte(b)), true
	case 16:
		return netip.AddrFrom16([16]byte(b)), true
	}
	return netip.Addr{}, false
}

// routeMsg is what zmqx reads from an RTM_NEWROUTE answer.
type routeMsg struct {
	family, typ uint8
	oif         int
	gateway     netip.Addr // RTA_GATEWAY, or RTA_VIA (IPv4 routes via an IPv6 gateway)
	prefsrc     netip.Addr
	mtu         int // RTAX_MTU from RTA_METRICS, 0 when absent
}

func parseRoute(body []byte) (routeMsg, error) {
	var r routeMsg
	if len(body) < rtmsgLen {
		return r, errMalformed
	}
	r.family, r.typ = body[0], body[7]
	bad := false
	err := attrs(body[rtmsgLen:], func(typ uint16, val []byte) {
		switch typ {
		case rtaOif:
			if len(val) != 4 {
				bad = true
				return
			}
			r.oif = int(int32(binary.NativeEndian.Uint32(val)))
		case rtaGateway:
			a, ok := addrFrom(val)
			bad = bad || !ok
			r.gateway = a
		case rtaVia:
			// struct rtvia: a two-byte family, then the address.
			if len(val) < 2 {
				bad = true
				return
			}
			a, ok := addrFrom(val[2:])
			bad = bad || !ok
			r.gateway = a
		case rtaPrefsrc:
			a, ok := addrFrom(val)
			bad = bad || !ok
			r.prefsrc = a
		case rtaMetrics:
			if e := attrs(val, func(typ uint16, v []byte) {
				if typ == rtaxMTU && len(v) == 4 {
					r.mtu = int(binary.NativeEndian.Uint32(v))
				}
			}); e != nil {
				bad = true
			}
		}
	})
	if err == nil && bad {
		err = errMalformed
	}
	return r, err
}

// neighMsg is one neighbour table entry from RTM_NEWNEIGH/RTM_DELNEIGH.
type neighMsg struct {
	family  uint8
	ifindex int
	state   uint16
	flags   uint8
	dst     netip.Addr
	lladdr  []byte // aliases the message
}

func parseNeigh(body []byte) (neighMsg, error) {
	var n neighMsg
	if len(body) < ndmsgLen {
		return n, errMalformed
	}
	n.family = body[0]
	n.ifindex = int(int32(binary.NativeEndian.Uint32(body[4:])))
	n.state = binary.NativeEndian.Uint16(body[8:])
	n.flags = body[10]
	bad := false
	err := attrs(body[ndmsgLen:], func(typ uint16, val []byte) {
		switch typ {
		case ndaDst:
			a, ok := addrFrom(val)
			bad = bad || !ok
			n.dst = a
		case ndaLladdr:
			n.lladdr = val
		}
	})
	if err == nil && bad {
		err = errMalformed
	}
	return n, err
}

// usable reports whether the entry holds an Ethernet address the kernel
// itself would send to.
func (n *neighMsg) usable() bool {
	return n.state&nudValid != 0 && len(n.lladdr) == 6 && !allZero(n.lladdr)
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// linkMsg is what zmqx reads from an RTM_NEWLINK answer.
type linkMsg struct {
	index int
	name  string
	addr  []byte // aliases the message
	mtu   int
}

func parseLink(body []byte) (linkMsg, error) {
	var l linkMsg
	if len(body) < ifinfomsgLen {
		return l, errMalformed
	}
	l.index = int(int32(binary.NativeEndian.Uint32(body[4:])))
	err := attrs(body[ifinfomsgLen:], func(typ uint16, val []byte) {
		switch typ {
		case iflaIfname:
			for len(val) > 0 && val[len(val)-1] == 0 {
				val = val[:len(val)-1]
			}
			l.name = string(val)
		case iflaAddress:
			l.addr = val
		case iflaMTU:
			if len(val) == 4 {
				l.mtu = int(binary.NativeEndian.Uint32(val))
			}
		}
	})
	return l, err
}

// Request bodies.

func routeRequest(dst netip.Addr) []byte {
	b := make([]byte, rtmsgLen, rtmsgLen+20)
	b[0] = family(dst)
	b[1] = uint8(dst.BitLen()) // rtm_dst_len
	return appendAttr(b, rtaDst, dst.AsSlice())
}

// neighRequest is an ndmsg for ip on ifindex with the given state and
// flags, and ip as NDA_DST.
func neighRequest(ifindex int, ip netip.Addr, state uint16, flags uint8) []byte {
	b := make([]byte, ndmsgLen, ndmsgLen+20)
	b[0] = family(ip)
	binary.NativeEndian.PutUint32(b[4:], uint32(int32(ifindex)))
	binary.NativeEndian.PutUint16(b[8:], state)
	b[10] = flags
	return appendAttr(b, ndaDst, ip.AsSlice())
}

func linkRequest(ifindex int) []byte {
	b := make([]byte, ifinfomsgLen)
	binary.NativeEndian.PutUint32(b[4:], uint32(int32(ifindex)))
	return b
}

func family(a netip.Addr) uint8 {
	if a.Is4() {
		return afInet
	}
	return afInet6
}

// routeTypeName names rtm_type values for error messages.
func routeTypeName(t uint8) string {
	switch t {
	case rtnUnicast:
		return "unicast"
	case rtnLocal:
		return "local"
	case rtnBroadcast:
		return "broadcast"
	case rtnAnycast:
		return "anycast"
	case rtnMulticast:
		return "multicast"
	case rtnBlackhole:
		return "blackhole"
	case rtnUnreachable:
		return "unreachable"
	case rtnProhibit:
		return "prohibit"
	case rtnThrow:
		return "throw"
	}
	return "type " + strconv.Itoa(int(t))
}

// stateName names a neighbour state for error messages.
func stateName(s uint16) string {
	names := []struct {
		bit  uint16
		name string
	}{
		{nudIncomplete, "INCOMPLETE"}, {nudReachable, "REACHABLE"}, {nudStale, "STALE"},
		{nudDelay, "DELAY"}, {nudProbe, "PROBE"}, {nudFailed, "FAILED"},
		{nudNoARP, "NOARP"}, {nudPermanent, "PERMANENT"},
	}
	out := ""
	for _, n := range names {
		if s&n.bit != 0 {
			if out != "" {
				out += "|"
			}
			out += n.name
		}
	}
	if out == "" {
		return "NONE"
	}
	return out
}
