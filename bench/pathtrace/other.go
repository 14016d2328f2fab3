//go:build !(linux && amd64)

package main

import "errors"

func trace([]string, int, [2]uint64, [2]uint64, [2]uint64, func(uint64) uint64, func([]uint64, int) error) error {
	return errors.New("tracing needs Linux on amd64")
}
