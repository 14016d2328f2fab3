package nexthop

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
)

func u32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }

// routeAnswer builds an RTM_NEWROUTE body as the kernel sends it.
func routeAnswer(typ uint8, oif uint32, gw, src netip.Addr, mtu uint32) []byte {
	b := make([]byte, rtmsgLen)
	b[0], b[1], b[7] = afInet, 32, typ
	b = appendAttr(b, rtaDst, []byte{10, 0, 0, 1})
	b = appendAttr(b, rtaOif, u32(oif))
	if gw.IsValid() {
		b = appendAttr(b, rtaGateway, gw.AsSlice())
	}
	if src.IsValid() {
		b = appendAttr(b, rtaPrefsrc, src.AsSlice())
	}
	if mtu != 0 {
		b = appendAttr(b, rtaMetrics|0x8000, appendAttr(nil, rtaxMTU, u32(mtu)))
	}
	return b
}

func TestParseRoute(t *testing.T) {
	gw, src := netip.MustParseAddr("10.0.0.254"), netip.MustParseAddr("10.0.0.2")
	r, err := parseRoute(routeAnswer(rtnUnicast, 7, gw, src, 1400))
	if err != nil || r.typ != rtnUnicast || r.oif != 7 || r.gateway != gw || r.prefsrc != src || r.mtu != 1400 {
		t.Fatalf("%+v, %v", r, err)
	}
	// RTA_VIA: an IPv4 route through an IPv6 gateway.
	b := make([]byte, rtmsgLen)
	v6 := netip.MustParseAddr("fe80::1")
	b = appendAttr(b, rtaVia, append([]byte{afInet6, 0}, v6.AsSlice()...))
	if r, err := parseRoute(b); err != nil || r.gateway != v6 {
		t.Fatalf("RTA_VIA: %+v, %v", r, err)
	}
	for name, bad := range map[string][]byte{
		"short header":     make([]byte, rtmsgLen-1),
		"oif of 2 bytes":   appendAttr(make([]byte, rtmsgLen), rtaOif, []byte{1, 2}),
		"gateway 5 bytes":  appendAttr(make([]byte, rtmsgLen), rtaGateway, []byte{1, 2, 3, 4, 5}),
		"via too short":    appendAttr(make([]byte, rtmsgLen), rtaVia, []byte{2}),
		"attr past end":    append(make([]byte, rtmsgLen), 0xff, 0, 1, 0),
		"attr len 2":       append(make([]byte, rtmsgLen), 2, 0, 1, 0),
		"trailing 2 bytes": append(routeAnswer(rtnUnicast, 1, netip.Addr{}, netip.Addr{}, 0), 0, 0),
		"bad metrics":      appendAttr(make([]byte, rtmsgLen), rtaMetrics, []byte{9, 0, 2, 0}),
	} {
		if _, err := parseRoute(bad); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

func TestParseNeigh(t *testing.T) {
	ip := netip.MustParseAddr("10.0.0.9")
	body := neighRequest(3, ip, nudReachable, 0)
	body = appendAttr(body, ndaLladdr, []byte{2, 0, 0, 0, 0, 9})
	n, err := parseNeigh(body)
	if err != nil || n.ifindex != 3 || n.dst != ip || n.state != nudReachable || !n.usable() {
		t.Fatalf("%+v, %v", n, err)
	}
	for _, c := range []struct {
		state  uint16
		lladdr []byte
		usable bool
	}{
		{nudStale, []byte{2, 0, 0, 0, 0, 9}, true},
		{nudPermanent, []byte{2, 0, 0, 0, 0, 9}, true},
		{nudDelay, []byte{2, 0, 0, 0, 0, 9}, true},
		{nudStale, nil, false},
		{nudIncomplete, []byte{2, 0, 0, 0, 0, 9}, false},
		{nudFailed, []byte{2, 0, 0, 0, 0, 9}, false},
		{nudNoARP, []byte{0, 0, 0, 0, 0, 0}, false},
		{nudReachable, []byte{2, 0, 0, 0}, false},
		{0, []byte{2, 0, 0, 0, 0, 9}, false},
	} {
		n := neighMsg{state: c.state, lladdr: c.lladdr}
		if n.usable() != c.usable {
			t.Errorf("state %s lladdr %x: usable %v", stateName(c.state), c.lladdr, !c.usable)
		}
	}
	if _, err := parseNeigh(make([]byte, ndmsgLen-1)); err == nil {
		t.Error("short ndmsg parsed")
	}
	if _, err := parseNeigh(appendAttr(make([]byte, ndmsgLen), ndaDst, []byte{1, 2, 3})); err == nil {
		t.Error("3-byte NDA_DST parsed")
	}
}

func TestSplitAndErrors(t *testing.T) {
	var d []byte
	d = appendMessage(d, rtmNewNeigh, 0, 5, neighRequest(1, netip.MustParseAddr("::1"), 0, 0))
	// An error with extended ack: errno, the capped request header, the
	// message attribute.
	errBody := u32(0xffffffea) // -EINVAL
	errBody = append(errBody, make([]byte, nlmsgHdrLen)...)
	binary.NativeEndian.PutUint32(errBody[4:], nlmsgHdrLen)
	errBody = appendAttr(errBody, nlmsgerrAttrMsg, []byte("bad thing\x00"))
	d = appendMessage(d, nlmsgError, nlmFCapped|nlmFAckTLVs, 6, errBody)
	msgs, err := splitMessages(d)
	if err != nil || len(msgs) != 2 || msgs[0].seq != 5 || msgs[1].typ != nlmsgError {
		t.Fatalf("%+v, %v", msgs, err)
	}
	errno, text, err := parseError(msgs[1])
	if err != nil || errno != 22 || text != "bad thing" {
		t.Fatalf("errno %d text %q err %v", errno, text, err)
	}
	// Uncapped: the whole original request sits before the attributes.
	req := appendMessage(nil, rtmGetRoute, nlmFRequest, 6, routeRequest(netip.MustParseAddr("10.1.2.3")))
	errBody = append(u32(0xffffff9b), req...) // -ENETUNREACH
	errBody = appendAttr(errBody, nlmsgerrAttrMsg, []byte("no route"))
	m := message{typ: nlmsgError, flags: nlmFAckTLVs, body: errBody}
	if errno, text, err := parseError(m); err != nil || errno != 101 || text != "no route" {
		t.Fatalf("uncapped: errno %d text %q err %v", errno, text, err)
	}
	// An uncapped error whose request length lies is still an errno.
	binary.NativeEndian.PutUint32(errBody[4:], 1<<20)
	if errno, _, err := parseError(message{typ: nlmsgError, flags: nlmFAckTLVs, body: errBody}); err != nil || errno != 101 {
		t.Fatalf("lying length: %d, %v", errno, err)
	}
	for name, bad := range map[string][]byte{
		"length below header": {8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		"length past end":     append(u32(100), make([]byte, 12)...),
		"trailing bytes":      append(appendMessage(nil, 1, 0, 0), 1, 2, 3),
	} {
		if _, err := splitMessages(bad); err == nil {
			t.Errorf("%s: split", name)
		}
	}
}

func TestParseLink(t *testing.T) {
	b := linkRequest(4)
	b = appendAttr(b, iflaIfname, []byte("eth0\x00"))
	b = appendAttr(b, iflaAddress, []byte{2, 1, 2, 3, 4, 5})
	b = appendAttr(b, iflaMTU, u32(9000))
	l, err := parseLink(b)
	if err != nil || l.index != 4 || l.name != "eth0" || !bytes.Equal(l.addr, []byte{2, 1, 2, 3, 4, 5}) || l.mtu != 9000 {
		t.Fatalf("%+v, %v", l, err)
	}
	if _, err := parseLink(b[:ifinfomsgLen-1]); err == nil {
		t.Error("short ifinfomsg parsed")
	}
}

// FuzzParse feeds arbitrary datagrams through every parser: none may
// panic, and a route answer rebuilt from what was parsed parses to the
// same fields.
func FuzzParse(f *testing.F) {
	f.Add(appendMessage(nil, rtmNewRoute, 0, 1, routeAnswer(rtnUnicast, 2, netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), 1500)))
	f.Add(appendMessage(nil, rtmNewNeigh, 0, 1, appendAttr(neighRequest(2, netip.MustParseAddr("10.0.0.3"), nudStale, 0), ndaLladdr, []byte{1, 2, 3, 4, 5, 6})))
	f.Add(appendMessage(nil, nlmsgError, nlmFAckTLVs, 1, append(u32(0xffffffea), make([]byte, 20)...)))
	f.Fuzz(func(t *testing.T, d []byte) {
		msgs, _ := splitMessages(d)
		for _, m := range msgs {
			parseError(m)
			parseNeigh(m.body)
			parseLink(m.body)
			r, err := parseRoute(m.body)
			if err != nil || !r.prefsrc.Is4() || !r.gateway.Is4() || r.oif < 0 {
				continue
			}
			again, err := parseRoute(routeAnswer(r.typ, uint32(r.oif), r.gateway, r.prefsrc, uint32(r.mtu)))
			again.family = r.family
			if err != nil || again != r {
				t.Fatalf("round trip: %+v -> %+v, %v", r, again, err)
			}
		}
	})
}
