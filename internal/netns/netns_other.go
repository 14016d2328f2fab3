//go:build !linux

package netns

// Do reports ErrNotSupported outside Linux.
func Do(name string, fn func() error) error { return ErrNotSupported }
