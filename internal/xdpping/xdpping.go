// Package xdpping is one end of the raw AF_XDP ping-pong that zmqx's
// floors are measured with (bench/cmd/xdp_floor, bench/cmd/xdp_onethread):
// one UDP datagram at a time through package xdp, steered by package bpf,
// with no messaging layer.
package xdpping

import "errors"

// ErrNoReply is what Recv returns when nothing arrived for two seconds.
var ErrNoReply = errors.New("no reply for 2s")
