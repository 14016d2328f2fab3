package xdp

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestRaiseMemlock lowers this process's soft RLIMIT_MEMLOCK and checks
// that raiseMemlock lifts it far enough for a UMEM that fits under the hard
// limit, and reports an error for one that does not fit unless the process
// may lift the hard limit too.
func TestRaiseMemlock(t *testing.T) {
	var orig unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &orig); err != nil {
		t.Fatal(err)
	}
	defer unix.Setrlimit(unix.RLIMIT_MEMLOCK, &orig)
	if orig.Max != unix.RLIM_INFINITY && orig.Max < 2<<20 {
		t.Skipf("hard RLIMIT_MEMLOCK %d leaves nothing to raise", orig.Max)
	}
	lower := func() {
		t.Helper()
		if err := unix.Setrlimit(unix.RLIMIT_MEMLOCK, &unix.Rlimit{Cur: 64 << 10, Max: orig.Max}); err != nil {
			t.Fatal(err)
		}
	}
	soft := func() uint64 {
		var now unix.Rlimit
		unix.Getrlimit(unix.RLIMIT_MEMLOCK, &now)
		return now.Cur
	}

	fits := uint64(32 << 20)
	if orig.Max != unix.RLIM_INFINITY {
		fits = orig.Max / 2
	}
	lower()
	if err := raiseMemlock(fits); err != nil {
		t.Fatalf("raising for %d bytes under a hard limit of %d: %v", fits, orig.Max, err)
	}
	if s := soft(); s != unix.RLIM_INFINITY && s < fits {
		t.Fatalf("soft limit %d after raising for %d bytes", s, fits)
	}

	if orig.Max == unix.RLIM_INFINITY {
		return // nothing is above the hard limit
	}
	lower()
	above := orig.Max * 2
	err := raiseMemlock(above)
	if s := soft(); s == unix.RLIM_INFINITY {
		if err != nil {
			t.Fatalf("limit lifted to unlimited, yet an error: %v", err)
		}
	} else if err == nil {
		t.Fatalf("no error for %d bytes with the soft limit left at %d", above, s)
	}
}
