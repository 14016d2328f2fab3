package nexthop

import (
	"errors"
	"net"
	"net/netip"
)

// Hop is how a frame to one destination leaves this host.
type Hop struct {
	Ifindex int    // outgoing interface
	Iface   string // its name
	// Src is the source address the kernel prefers for the destination
	// (the route's preferred source, else the interface's address).
	Src netip.Addr
	// Gateway is the route's gateway; the zero Addr when the destination
	// is on-link.
	Gateway netip.Addr
	// NextHop is the neighbour frames go to: Gateway when valid, else the
	// destination itself.
	NextHop netip.Addr
	SrcMAC  net.HardwareAddr // the outgoing interface's address
	DstMAC  net.HardwareAddr // NextHop's address; set by Resolve, not by Route
	// MTU is the route's MTU when it has one (a path MTU learnt or
	// configured), else the interface's.
	MTU int
}

var (
	// ErrNotSupported is returned where rtnetlink does not exist.
	ErrNotSupported = errors.New("nexthop: not supported on this platform")
	// ErrNoRoute wraps every failure to find a unicast route through a
	// neighbour: no route (the kernel's ENETUNREACH or EHOSTUNREACH),
	// blackhole and prohibit routes, local, broadcast and multicast
	// destinations.
	ErrNoRoute = errors.New("nexthop: no unicast route")
	// ErrLocal wraps (with ErrNoRoute) a destination that is an address
	// of this host: the kernel's route for it is local.
	ErrLocal = errors.New("the kernel's route is local: an address of this host")
	// ErrUnresolved wraps a neighbour resolution that did not finish
	// before the context ended; the context's error is wrapped too.
	ErrUnresolved = errors.New("nexthop: neighbour not resolved")
)
