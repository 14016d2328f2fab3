//go:build !linux

package main

import "runtime"

func examine(r *report) {
	r.fail("platform", "AF_XDP exists only on Linux", "%s", runtime.GOOS)
}
