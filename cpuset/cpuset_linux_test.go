package cpuset_test

import (
	"errors"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/zmqx/zmqx/cpuset"
	"golang.org/x/sys/unix"
)

// affinity reads a thread's mask straight from the kernel (tid 0 is the
// calling thread), independently of the package under test.
func affinity(tid int) (cpuset.Set, error) {
	var mask unix.CPUSet
	if err := unix.SchedGetaffinity(tid, &mask); err != nil {
		return cpuset.Set{}, err
	}
	var s cpuset.Set
	for c := range cpuset.MaxCPUs {
		if mask.IsSet(c) {
			s.Add(c)
		}
	}
	return s, nil
}

// checkAllThreads fails unless every thread of the process has mask want.
func checkAllThreads(t *testing.T, want cpuset.Set) {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		tid, err := strconv.Atoi(task.Name())
		if err != nil {
			continue
		}
		got, err := affinity(tid)
		switch {
		case errors.Is(err, unix.ESRCH):
			// The thread exited after the directory was read.
		case err != nil:
			t.Errorf("sched_getaffinity(%d): %v", tid, err)
		case got != want:
			t.Errorf("thread %d has mask %v, want %v", tid, got, want)
		}
	}
}

func mustAllowed(t *testing.T) cpuset.Set {
	t.Helper()
	allowed, err := cpuset.Allowed()
	if err != nil {
		t.Fatal(err)
	}
	return allowed
}

// firstNotAllowed returns the lowest CPU number a Set can hold that is not
// in allowed, or -1 if allowed is full.
func firstNotAllowed(allowed cpuset.Set) int {
	for c := range cpuset.MaxCPUs {
		if !allowed.Contains(c) {
			return c
		}
	}
	return -1
}

func TestAllowed(t *testing.T) {
	allowed := mustAllowed(t)
	// runtime.NumCPU is the size of the affinity mask at startup too, but
	// computed by the runtime, not by this package.
	if allowed.Len() != runtime.NumCPU() {
		t.Errorf("Allowed() = %v (%d cpus), runtime.NumCPU() = %d", allowed, allowed.Len(), runtime.NumCPU())
	}
}

func TestPinThread(t *testing.T) {
	allowed := mustAllowed(t)
	for _, cpu := range allowed.CPUs()[:min(allowed.Len(), 8)] {
		type result struct {
			mask cpuset.Set
			err  error
		}
		done := make(chan result)
		go func() {
			// Never unlocked: when this goroutine exits its thread exits
			// too, so the pin cannot leak into other tests.
			runtime.LockOSThread()
			var r result
			if r.err = cpuset.PinThread(cpu); r.err == nil {
				r.mask, r.err = affinity(0)
			}
			done <- r
		}()
		r := <-done
		if r.err != nil {
			t.Fatalf("PinThread(%d): %v", cpu, r.err)
		}
		if r.mask != cpuset.Of(cpu) {
			t.Errorf("after PinThread(%d) the thread's mask is %v", cpu, r.mask)
		}
	}
}

func TestPinThreadNotAllowed(t *testing.T) {
	allowed := mustAllowed(t)
	cpus := []int{-1, cpuset.MaxCPUs, 1 << 40}
	if c := firstNotAllowed(allowed); c >= 0 {
		cpus = append(cpus, c)
	}
	for _, cpu := range cpus {
		done := make(chan error)
		go func() {
			runtime.LockOSThread() // never unlocked, as in TestPinThread
			done <- cpuset.PinThread(cpu)
		}()
		err := <-done
		checkNotAllowed(t, err, "cpu "+strconv.Itoa(cpu)+" is", allowed)
	}
}

func checkNotAllowed(t *testing.T, err error, what string, allowed cpuset.Set) {
	t.Helper()
	if !errors.Is(err, cpuset.ErrNotAllowed) {
		t.Errorf("got %v, want an error wrapping ErrNotAllowed", err)
		return
	}
	want := what + " not in this process's allowed set " + allowed.String()
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
}

func TestPinProcessSet(t *testing.T) {
	allowed := mustAllowed(t)
	procs := runtime.GOMAXPROCS(0)
	t.Cleanup(func() {
		if err := cpuset.PinProcessSet(allowed); err != nil {
			t.Errorf("restoring the affinity: %v", err)
		}
		runtime.GOMAXPROCS(procs)
		checkAllThreads(t, allowed)
	})

	first := allowed.CPUs()[0]
	if err := cpuset.PinProcessSet(cpuset.Of(first)); err != nil {
		t.Fatal(err)
	}
	checkAllThreads(t, cpuset.Of(first))
	if got := runtime.GOMAXPROCS(0); got != 1 {
		t.Errorf("GOMAXPROCS = %d after pinning to one cpu, want 1", got)
	}
	// A thread started now inherits the mask.
	mask := make(chan cpuset.Set)
	go func() {
		runtime.LockOSThread()
		m, _ := affinity(0) // an error leaves m empty, which fails below
		mask <- m
	}()
	if got := <-mask; got != cpuset.Of(first) {
		t.Errorf("a thread started after pinning has mask %v, want %v", got, cpuset.Of(first))
	}
	if got := mustAllowed(t); got != allowed {
		t.Errorf("Allowed() changed from %v to %v by pinning", allowed, got)
	}

	// MatchGOMAXPROCS follows the mask, whatever GOMAXPROCS was set to.
	runtime.GOMAXPROCS(4)
	n, err := cpuset.MatchGOMAXPROCS()
	if err != nil || n != 1 || runtime.GOMAXPROCS(0) != 1 {
		t.Errorf("MatchGOMAXPROCS() = %d, %v with GOMAXPROCS now %d; want 1", n, err, runtime.GOMAXPROCS(0))
	}

	// Widening back to the allowed set is allowed.
	if err := cpuset.PinProcessSet(allowed); err != nil {
		t.Fatal(err)
	}
	checkAllThreads(t, allowed)
	if got := runtime.GOMAXPROCS(0); got != allowed.Len() {
		t.Errorf("GOMAXPROCS = %d after pinning to %v, want %d", got, allowed, allowed.Len())
	}

	last := allowed.CPUs()[allowed.Len()-1]
	if err := cpuset.PinProcess(last); err != nil {
		t.Fatal(err)
	}
	checkAllThreads(t, cpuset.Of(last))
	if got := runtime.GOMAXPROCS(0); got != 1 {
		t.Errorf("GOMAXPROCS = %d after PinProcess, want 1", got)
	}
}

func TestPinProcessSetNotAllowed(t *testing.T) {
	allowed := mustAllowed(t)
	procs := runtime.GOMAXPROCS(0)
	c := firstNotAllowed(allowed)
	if c < 0 {
		t.Skip("every cpu a Set can hold is allowed")
	}
	checkNotAllowed(t, cpuset.PinProcessSet(cpuset.Of(c)), "cpu "+strconv.Itoa(c)+" is", allowed)
	checkNotAllowed(t, cpuset.PinProcess(c), "cpu "+strconv.Itoa(c)+" is", allowed)
	checkNotAllowed(t, cpuset.PinProcess(-1), "cpu -1 is", allowed)
	two := allowed.Union(cpuset.Of(c, cpuset.MaxCPUs-1))
	extra := two.Difference(allowed)
	if extra.Len() == 2 {
		checkNotAllowed(t, cpuset.PinProcessSet(two), "cpus "+extra.String()+" are", allowed)
	}
	if err := cpuset.PinProcessSet(cpuset.Set{}); err == nil {
		t.Error("PinProcessSet(empty set) succeeded")
	}
	// A refused call changes nothing.
	if got := runtime.GOMAXPROCS(0); got != procs {
		t.Errorf("GOMAXPROCS changed from %d to %d by refused calls", procs, got)
	}
	if m, err := cpuset.MatchGOMAXPROCS(); err != nil || m != allowed.Len() {
		t.Errorf("after refused calls the threads may run on %d cpus (%v), want %d", m, err, allowed.Len())
	}
	runtime.GOMAXPROCS(procs)
}
