//go:build !linux

package nexthop

import (
	"context"
	"net"
	"net/netip"
)

// Route returns ErrNotSupported outside Linux.
func Route(dst netip.Addr) (Hop, error) { return Hop{}, ErrNotSupported }

// Neighbour returns ErrNotSupported outside Linux.
func Neighbour(ctx context.Context, ifindex int, ip netip.Addr) (net.HardwareAddr, error) {
	return nil, ErrNotSupported
}

// Resolve returns ErrNotSupported outside Linux.
func Resolve(ctx context.Context, dst netip.Addr) (Hop, error) { return Hop{}, ErrNotSupported }
