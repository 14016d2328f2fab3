package cpuset

import (
	"errors"
	"fmt"
)

// ErrNotSupported is returned where the OS offers no CPU affinity control.
var ErrNotSupported = errors.New("cpuset: CPU affinity is not supported on this OS")

// ErrNotAllowed is wrapped by the errors of PinThread, PinProcess and
// PinProcessSet when asked for a CPU outside Allowed. The error's message
// names both the CPUs asked for and the allowed set, because the usual cause
// is a CPU number written for another machine or a process started under
// taskset or in a container with fewer CPUs.
var ErrNotAllowed = errors.New("cpuset: cpu not allowed")

// checkAllowed returns nil if every CPU in want is in allowed, and otherwise
// an error wrapping ErrNotAllowed that says which CPUs are not.
func checkAllowed(want, allowed Set) error {
	extra := want.Difference(allowed)
	switch extra.Len() {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("%w: cpu %s is not in this process's allowed set %s", ErrNotAllowed, extra, allowed)
	default:
		return fmt.Errorf("%w: cpus %s are not in this process's allowed set %s", ErrNotAllowed, extra, allowed)
	}
}

// checkCPU is checkAllowed for a single CPU number, which unlike a Set may
// be outside [0, MaxCPUs).
func checkCPU(cpu int, allowed Set) error {
	if cpu < 0 || cpu >= MaxCPUs {
		return fmt.Errorf("%w: cpu %d is not in this process's allowed set %s", ErrNotAllowed, cpu, allowed)
	}
	return checkAllowed(Of(cpu), allowed)
}
