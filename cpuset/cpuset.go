package cpuset

import "errors"

// ErrNotSupported is returned where the OS offers no CPU affinity control.
var ErrNotSupported = errors.New("cpuset: CPU affinity is not supported on this OS")
