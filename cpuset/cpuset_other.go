//go:build !linux

package cpuset

// PinProcess is not available on this OS.
func PinProcess(cpu int) error { return ErrNotSupported }
