//go:build !linux

package nic

// EthtoolCoalesce returns ErrNotSupported outside Linux.
func EthtoolCoalesce(iface string, set bool, c *Coalesce) error { return ErrNotSupported }

// Driver returns ErrNotSupported outside Linux.
func Driver(iface string) (DriverInfo, error) { return DriverInfo{}, ErrNotSupported }

// QueueCounts returns ErrNotSupported outside Linux.
func QueueCounts(iface string) (Channels, error) { return Channels{}, ErrNotSupported }
