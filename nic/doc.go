// Package nic reads and adjusts the network-device settings that matter to
// the kernel-bypass path: driver and queue counts, and interrupt coalescing
// through the ethtool ioctl.
//
// Coalescing is set to its lowest latency (rx/tx usecs 0, adaptive off) by
// LowLatencyCoalescing and put back by the returned Coalescing's Restore;
// the decision logic takes the ioctl as a parameter (CoalesceIoctl) so it is
// tested without a NIC that has coalescing (veth has none).
package nic
