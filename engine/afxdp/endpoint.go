package afxdp

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/zmqx/zmqx/core"
)

// endpoint is a parsed xdp:// address: "IFACE/IP:PORT" or "IP:PORT".
type endpoint struct {
	Iface string // "" when the routing table chooses
	Addr  netip.AddrPort
}

// TCP is the tcp:// address the endpoint falls back to.
func (e endpoint) TCP() string { return e.Addr.String() }

func (e endpoint) String() string {
	if e.Iface == "" {
		return e.Addr.String()
	}
	return e.Iface + "/" + e.Addr.String()
}

// parseEndpoint parses an xdp:// address (without the scheme). bind says
// whether port 0 ("*") is allowed; the IP must be an IPv4 address: the
// engine builds IPv4 frames.
func parseEndpoint(s string, bind bool) (endpoint, error) {
	var e endpoint
	rest := s
	if i := strings.IndexByte(s, '/'); i >= 0 {
		e.Iface, rest = s[:i], s[i+1:]
		if e.Iface == "" {
			return e, fmt.Errorf("%w: xdp://%s: empty interface name before '/'", core.ErrEndpoint, s)
		}
	}
	host, port, ok := strings.Cut(rest, ":")
	if !ok || strings.Contains(port, ":") {
		return e, fmt.Errorf("%w: xdp://%s: want [IFACE/]IPv4:PORT", core.ErrEndpoint, s)
	}
	if port == "*" {
		port = "0"
	}
	ap, err := netip.ParseAddrPort(host + ":" + port)
	if err != nil {
		return e, fmt.Errorf("%w: xdp://%s: %v", core.ErrEndpoint, s, err)
	}
	if !ap.Addr().Is4() {
		return e, fmt.Errorf("%w: xdp://%s: the AF_XDP engine speaks IPv4 only", core.ErrEndpoint, s)
	}
	if ap.Addr().IsUnspecified() {
		return e, fmt.Errorf("%w: xdp://%s: give the interface's address, not a wildcard", core.ErrEndpoint, s)
	}
	if ap.Port() == 0 && !bind {
		return e, fmt.Errorf("%w: xdp://%s: connect needs a port", core.ErrEndpoint, s)
	}
	e.Addr = ap
	return e, nil
}
