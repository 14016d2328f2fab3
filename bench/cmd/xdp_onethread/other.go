//go:build !linux

package main

import (
	"errors"
	"runtime"
)

func open(mode, attach string) (func() error, error) {
	return nil, errors.New("AF_XDP exists on Linux only, not " + runtime.GOOS)
}
