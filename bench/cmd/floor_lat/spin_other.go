//go:build !linux

package main

import (
	"errors"
	"net"
)

// newSpinConn is Linux-only: the spinning loop is written against Linux's
// system call numbers and non-blocking socket semantics.
func newSpinConn(c *net.TCPConn) (conn, error) {
	c.Close()
	return nil, errors.New("--mode spin is only available on Linux; use --mode block")
}
