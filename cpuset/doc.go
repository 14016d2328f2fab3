// Package cpuset pins threads to CPUs. It is the only package that makes
// scheduler-affinity system calls; on systems without them its functions
// return ErrNotSupported.
package cpuset
