//go:build !linux

package main

import "errors"

var errLinux = errors.New("AF_XDP and the spinning raw-syscall ping-pongs need Linux")

func openXDP(c *config) (pinger, error)    { return nil, errLinux }
func openKernel(c *config) (pinger, error) { return nil, errLinux }
