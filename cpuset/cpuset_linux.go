package cpuset

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// PinProcess restricts every thread of this process to cpu, as taskset
// does. Threads the Go runtime starts later inherit the mask from the
// thread that starts them, which is pinned too.
func PinProcess(cpu int) error {
	if cpu < 0 || cpu >= 1024 {
		return fmt.Errorf("cpuset: cpu %d out of range", cpu)
	}
	var set unix.CPUSet
	set.Set(cpu)
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return err
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, &set); err != nil && err != unix.ESRCH {
			return fmt.Errorf("cpuset: pinning thread %d to cpu %d: %w", tid, cpu, err)
		}
	}
	return nil
}
