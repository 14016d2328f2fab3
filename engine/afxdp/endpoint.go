package afxdp

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/zmqx/zmqx/core"
	"github.com/zmqx/zmqx/engine/tcp"
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

// checkIface reports an interface named that the host does not have: a
// configuration error, not something a retry mends.
func (e endpoint) checkIface() error {
	if e.Iface == "" {
		return nil
	}
	if _, err := net.InterfaceByName(e.Iface); err != nil {
		return fmt.Errorf("%w: xdp://%s: no interface named %q here", core.ErrEndpoint, e, e.Iface)
	}
	return nil
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
	if strings.HasPrefix(rest, "[") || strings.Count(rest, ":") > 1 {
		return e, fmt.Errorf("%w: xdp://%s: the AF_XDP engine speaks IPv4 only", core.ErrEndpoint, s)
	}
	host, port, ok := strings.Cut(rest, ":")
	if !ok {
		return e, fmt.Errorf("%w: xdp://%s: want [IFACE/]IPv4:PORT", core.ErrEndpoint, s)
	}
	if host == "*" {
		return e, fmt.Errorf("%w: xdp://%s: give the interface's address, not a wildcard", core.ErrEndpoint, s)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return e, fmt.Errorf("%w: xdp://%s: %q is not an IPv4 address (want [IFACE/]IPv4:PORT: the interface goes before '/')",
			core.ErrEndpoint, s, host)
	}
	pn, err := tcp.ParsePort(port, bind)
	if err != nil {
		return e, fmt.Errorf("%w: xdp://%s: %v", core.ErrEndpoint, s, err)
	}
	if ip.IsUnspecified() {
		return e, fmt.Errorf("%w: xdp://%s: give the interface's address, not a wildcard", core.ErrEndpoint, s)
	}
	e.Addr = netip.AddrPortFrom(ip, pn)
	return e, nil
}
