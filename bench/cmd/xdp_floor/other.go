//go:build !linux

package main

import (
	"errors"
	"time"
)

var errLinux = errors.New("AF_XDP and the spinning raw-syscall ping-pongs need Linux")

func openXDP(c *config) (pinger, error)    { return nil, errLinux }
func openRel(c *config) (pinger, error)    { return nil, errLinux }
func openKernel(c *config) (pinger, error) { return nil, errLinux }

func openXDPThr(c *config) (thrEnd, error)    { return nil, errLinux }
func openKernelThr(c *config) (thrEnd, error) { return nil, errLinux }

func cpuTimes() (user, sys time.Duration) { return 0, 0 }
