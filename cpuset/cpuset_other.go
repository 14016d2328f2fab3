//go:build !linux

package cpuset

// Allowed is not available on this OS.
func Allowed() (Set, error) { return Set{}, ErrNotSupported }

// PinThread is not available on this OS.
func PinThread(cpu int) error { return ErrNotSupported }

// PinProcess is not available on this OS.
func PinProcess(cpu int) error { return ErrNotSupported }

// PinProcessSet is not available on this OS.
func PinProcessSet(s Set) error { return ErrNotSupported }

// MatchGOMAXPROCS is not available on this OS; it leaves GOMAXPROCS alone.
func MatchGOMAXPROCS() (int, error) { return 0, ErrNotSupported }
