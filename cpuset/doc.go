// Package cpuset owns CPU sets and CPU affinity for zmqx: the Set type with
// the kernel's CPU list syntax ("0-3,8,10-11"), the allowed set the process
// was started with, pinning one thread or the whole process, and keeping
// GOMAXPROCS in step with the pinning. It is the only package that makes
// scheduler-affinity system calls.
//
// Set, Parse and Of work everywhere. The affinity functions are implemented
// for Linux; on other systems they return ErrNotSupported, so callers can
// treat pinning as an optional optimisation.
package cpuset
