package nexthop

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"golang.org/x/sys/unix"
)

// Route asks the kernel which route it would use to send to dst
// (RTM_GETROUTE, as `ip route get` does) and fills in everything but
// DstMAC: the outgoing interface, its name, MAC and MTU, the preferred
// source, the gateway and the next hop.
func Route(dst netip.Addr) (Hop, error) {
	c, dst, err := dialFor(dst)
	if err != nil {
		return Hop{}, err
	}
	defer c.close()
	return route(c, dst)
}

// dialFor checks dst (in its plain form, which it returns) and opens the
// rtnetlink connection to ask about it.
func dialFor(dst netip.Addr) (*conn, netip.Addr, error) {
	dst = dst.Unmap().WithZone("")
	if !dst.IsValid() {
		return nil, dst, errors.New("nexthop: invalid destination address")
	}
	c, err := dial()
	return c, dst, err
}

func route(c *conn, dst netip.Addr) (Hop, error) {
	m, err := c.do(rtmGetRoute, 0, routeRequest(dst))
	if err != nil {
		var ke *kernelError
		if errors.As(err, &ke) {
			switch ke.errno {
			case unix.ENETUNREACH, unix.EHOSTUNREACH, unix.EACCES:
				return Hop{}, fmt.Errorf("%w to %s: %w", ErrNoRoute, dst, err)
			case unix.EINVAL:
				// What the kernel answers for a blackhole route.
				return Hop{}, fmt.Errorf("%w to %s (blackhole?): %w", ErrNoRoute, dst, err)
			}
		}
		return Hop{}, fmt.Errorf("nexthop: route to %s: %w", dst, err)
	}
	if m.typ != rtmNewRoute {
		return Hop{}, fmt.Errorf("nexthop: route to %s: answer of type %d", dst, m.typ)
	}
	r, err := parseRoute(m.body)
	if err != nil {
		return Hop{}, fmt.Errorf("nexthop: route to %s: %w", dst, err)
	}
	if r.typ == rtnLocal {
		return Hop{}, fmt.Errorf("%w to %s: %w", ErrNoRoute, dst, ErrLocal)
	}
	if r.typ != rtnUnicast {
		return Hop{}, fmt.Errorf("%w to %s: the kernel's route is %s", ErrNoRoute, dst, routeTypeName(r.typ))
	}
	if r.oif <= 0 {
		return Hop{}, fmt.Errorf("nexthop: route to %s names no outgoing interface", dst)
	}
	h := Hop{Ifindex: r.oif, Src: r.prefsrc.Unmap(), Gateway: r.gateway.Unmap(), NextHop: dst, MTU: r.mtu}
	if h.Gateway.IsValid() {
		h.NextHop = h.Gateway
	}
	l, err := c.link(r.oif)
	if err != nil {
		return Hop{}, err
	}
	h.Iface, h.SrcMAC = l.name, net.HardwareAddr(l.addr)
	if h.MTU == 0 {
		h.MTU = l.mtu
	}
	if !h.Src.IsValid() {
		if h.Src, err = ifaceAddr(r.oif, dst.Is4()); err != nil {
			return Hop{}, fmt.Errorf("nexthop: route to %s via %s: %w", dst, h.Iface, err)
		}
	}
	return h, nil
}

// ifaceAddr is the first address of the wanted family on the interface,
// for a route that names no preferred source.
func ifaceAddr(ifindex int, v4 bool) (netip.Addr, error) {
	ifc, err := net.InterfaceByIndex(ifindex)
	if err != nil {
		return netip.Addr{}, err
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		return netip.Addr{}, err
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(ipn.IP); ok && ip.Unmap().Is4() == v4 {
				return ip.Unmap(), nil
			}
		}
	}
	return netip.Addr{}, errors.New("no source address on the interface")
}

// Neighbour returns the link-layer address of ip on interface ifindex from
// the kernel's neighbour table. When the entry is missing, INCOMPLETE,
// FAILED or has no address, it asks the kernel to resolve it (RTM_NEWNEIGH
// with NTF_USE) and waits for a usable entry (REACHABLE, STALE, DELAY,
// PROBE, PERMANENT: any state the kernel itself sends to) or for ctx to
// end, then fails with ErrUnresolved naming the address and interface.
func Neighbour(ctx context.Context, ifindex int, ip netip.Addr) (net.HardwareAddr, error) {
	ip = ip.Unmap().WithZone("")
	if !ip.IsValid() {
		return nil, errors.New("nexthop: invalid neighbour address")
	}
	if ifindex <= 0 {
		return nil, fmt.Errorf("nexthop: invalid interface index %d", ifindex)
	}
	c, err := dial()
	if err != nil {
		return nil, err
	}
	defer c.close()
	return neighbour(ctx, c, ifindex, ip)
}

func neighbour(ctx context.Context, c *conn, ifindex int, ip netip.Addr) (net.HardwareAddr, error) {
	get := neighRequest(ifindex, ip, 0, 0)
	// The common case first: an entry the kernel sends to already, read
	// with no subscription (a socket of its own) and no link lookup.
	if n, found, err := c.neigh(ifindex, ip.String(), get); err == nil && found && n.usable() {
		return net.HardwareAddr(n.lladdr), nil // neigh copied it
	}
	l, err := c.link(ifindex)
	if err != nil {
		return nil, err
	}
	where := fmt.Sprintf("%s on %s (ifindex %d)", ip, l.name, ifindex)
	// Subscribe before reading the table: a change between the read and
	// the wait is then a notification, not lost.
	w, err := watch()
	if err != nil {
		return nil, err
	}
	defer w.close()

	n, found, err := c.neigh(ifindex, ip.String(), get)
	if err != nil {
		return nil, err
	}
	if found && n.usable() {
		return net.HardwareAddr(n.lladdr), nil
	}
	if found && n.state&(nudPermanent|nudNoARP) != 0 {
		return nil, fmt.Errorf("nexthop: neighbour %s is %s with no Ethernet address", where, stateName(n.state))
	}
	state := "absent"
	if found {
		state = stateName(n.state)
	}
	trigger := func() error {
		_, err := c.do(rtmNewNeigh, nlmFCreate|nlmFAck, neighRequest(ifindex, ip, 0, ntfUse))
		if err != nil {
			return fmt.Errorf("nexthop: starting resolution of %s: %w", where, err)
		}
		return nil
	}
	// An INCOMPLETE entry is being resolved already.
	if !found || n.state&nudIncomplete == 0 {
		if err := trigger(); err != nil {
			return nil, err
		}
	}

	stop := w.until(ctx)
	defer stop()
	for {
		msgs, err := w.next(ctx)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: %s, last state %s: %w", ErrUnresolved, where, state, ctx.Err())
		}
		if err != nil {
			if !errors.Is(err, unix.ENOBUFS) && !errors.Is(err, errMalformed) {
				return nil, fmt.Errorf("nexthop: waiting for %s: %w", where, err)
			}
			// Lost or cut notifications (ENOBUFS, a datagram larger than
			// the buffer): read the entry again instead.
			n, found, err = c.neigh(ifindex, ip.String(), get)
			if err != nil {
				return nil, err
			}
			if found && n.usable() {
				return net.HardwareAddr(n.lladdr), nil
			}
			msgs = nil
		}
		for _, m := range msgs {
			if m.typ != rtmNewNeigh && m.typ != rtmDelNeigh {
				continue
			}
			n, err := parseNeigh(m.body)
			if err != nil || n.ifindex != ifindex || n.dst.Unmap() != ip {
				continue
			}
			if m.typ == rtmDelNeigh {
				state = "deleted"
				if err := trigger(); err != nil {
					return nil, err
				}
				continue
			}
			state = stateName(n.state)
			if n.usable() {
				return append(net.HardwareAddr(nil), n.lladdr...), nil
			}
			if n.state&nudFailed != 0 {
				// The kernel gave up after its probes; ask again while
				// the caller still waits.
				if err := trigger(); err != nil {
					return nil, err
				}
			}
		}
	}
}

// Resolve is Route followed by Neighbour for the route's next hop: the
// complete addressing of a frame to dst.
func Resolve(ctx context.Context, dst netip.Addr) (Hop, error) {
	c, dst, err := dialFor(dst)
	if err != nil {
		return Hop{}, err
	}
	defer c.close()
	h, err := route(c, dst)
	if err != nil {
		return h, err
	}
	if h.DstMAC, err = neighbour(ctx, c, h.Ifindex, h.NextHop); err != nil {
		return h, err
	}
	return h, nil
}
