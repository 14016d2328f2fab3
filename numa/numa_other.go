//go:build !linux

package numa

import (
	"fmt"
	"runtime"
)

// Read returns a single node 0 holding CPUs 0 to runtime.NumCPU()-1: this
// package reads NUMA topology only on Linux.
func Read() (*Topology, error) {
	return &Topology{Nodes: []Node{{ID: 0, CPUs: firstCPUs(runtime.NumCPU())}}}, nil
}

// InterfaceNode returns -1 and an error wrapping ErrNoNUMAInfo (or
// fs.ErrInvalid for a malformed name): this package reads device NUMA
// placement only on Linux.
func InterfaceNode(name string) (int, error) {
	if err := checkName(name); err != nil {
		return -1, err
	}
	return -1, fmt.Errorf("%w for interface %q on %s", ErrNoNUMAInfo, name, runtime.GOOS)
}
