package xdp

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestRaiseMemlock lowers this process's soft RLIMIT_MEMLOCK and checks
// that raiseMemlock lifts it far enough for a UMEM, as NewUmem's first
// socket needs when the process lacks CAP_IPC_LOCK.
func TestRaiseMemlock(t *testing.T) {
	var orig unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &orig); err != nil {
		t.Fatal(err)
	}
	defer unix.Setrlimit(unix.RLIMIT_MEMLOCK, &orig)
	const need = 32 << 20
	if orig.Max != unix.RLIM_INFINITY && orig.Max < need+64<<20 && unix.Geteuid() != 0 {
		t.Skipf("needs root or a hard RLIMIT_MEMLOCK above %d (have %d)", need+64<<20, orig.Max)
	}
	low := unix.Rlimit{Cur: 64 << 10, Max: orig.Max}
	if err := unix.Setrlimit(unix.RLIMIT_MEMLOCK, &low); err != nil {
		t.Fatal(err)
	}
	if err := raiseMemlock(need); err != nil {
		t.Fatal(err)
	}
	var now unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_MEMLOCK, &now)
	if now.Cur != unix.RLIM_INFINITY && now.Cur < need {
		t.Fatalf("soft limit %d after raising for %d bytes", now.Cur, need)
	}
}
