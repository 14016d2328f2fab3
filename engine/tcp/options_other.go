//go:build !linux

package tcp

import (
	"time"

	"github.com/zmqx/zmqx/core"
)

const platformOptions = false

// setPreConnect has nothing to do here: CheckOptions refused the
// Linux-only options, and tune sets the buffers once connected.
func setPreConnect(uintptr, *core.Options) error { return nil }

func setMaxRT(uintptr, time.Duration) error { return nil }
