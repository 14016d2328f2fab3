package tcp

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/zmqx/zmqx/core"
)

// Addresses, as libzmq reads them (zmq_tcp):
//
//   - bind: "*" (every interface), an IP address, or the name of a network
//     interface, which stands for its first IPv4 address (its first IPv6
//     one if it has none); no DNS names. The port is a number, or "*" or 0
//     for one the kernel picks.
//   - connect: "[SRC;]HOST:PORT", HOST an IP address or a DNS name; the
//     optional SRC ("127.0.0.2", "eth0", "127.0.0.2:6000") is the local
//     address to connect from, an IP address or interface name as for
//     bind, with an optional port (none or 0: the kernel picks).

// localHost resolves the host part of a local (bind or source) address:
// "" stays "" (every interface); an IP literal stays as it is; anything
// else must name a network interface.
func localHost(host, addr string) (string, error) {
	if host == "" {
		return "", nil
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return host, nil
	}
	ifi, err := net.InterfaceByName(host)
	if err != nil {
		return "", fmt.Errorf("%w: tcp address %q: %q is neither an IP address nor a network interface", core.ErrEndpoint, addr, host)
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return "", fmt.Errorf("%w: tcp address %q: interface %s: %v", core.ErrEndpoint, addr, host, err)
	}
	var v6 string
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		if ip4 := n.IP.To4(); ip4 != nil {
			return ip4.String(), nil
		}
		if v6 == "" {
			v6 = n.IP.String()
			if n.IP.IsLinkLocalUnicast() {
				v6 += "%" + ifi.Name
			}
		}
	}
	if v6 == "" {
		return "", fmt.Errorf("%w: tcp address %q: interface %s has no IP address", core.ErrEndpoint, addr, host)
	}
	return v6, nil
}

// splitSource separates "SRC;DEST" into the source (nil without one) and
// the destination.
func splitSource(addr string) (*net.TCPAddr, string, error) {
	src, dst, ok := strings.Cut(addr, ";")
	if !ok {
		return nil, addr, nil
	}
	host, port := src, "0"
	if h, p, err := net.SplitHostPort(src); err == nil {
		host, port = h, p
	} else {
		host = strings.TrimSuffix(strings.TrimPrefix(src, "["), "]")
	}
	if host == "" || host == "*" {
		return nil, "", fmt.Errorf("%w: tcp address %q: the source must be an IP address or interface", core.ErrEndpoint, addr)
	}
	h, err := localHost(host, addr)
	if err != nil {
		return nil, "", err
	}
	ap, err := netip.ParseAddrPort(net.JoinHostPort(h, port))
	if err != nil {
		return nil, "", fmt.Errorf("%w: tcp address %q: source %q: %v", core.ErrEndpoint, addr, src, err)
	}
	return net.TCPAddrFromAddrPort(ap), dst, nil
}
