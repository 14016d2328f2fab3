//go:build !linux

package stream

import (
	"errors"
	"net"
	"syscall"
)

// unpoll takes a socket out of the poller on Linux (see unpolledConn);
// elsewhere the connection stays as it is.
func unpoll(nc net.Conn, fd int) (net.Conn, syscall.RawConn, int, error) {
	return nil, nil, -1, errors.ErrUnsupported
}
