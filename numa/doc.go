// Package numa owns the machine's NUMA topology as zmqx sees it: which CPUs
// belong to which node, and which node a network interface's device is
// attached to. The I/O-worker placement uses it to run an endpoint's workers
// on the CPUs near the NIC its traffic goes through.
//
// On Linux everything comes from sysfs (/sys/devices/system/node and
// /sys/class/net); ReadFrom and InterfaceNodeFrom take another root so tests
// and tools can point them at a copy of the tree.
//
// Machines and environments often have no NUMA information: kernels built
// without NUMA, containers that hide parts of /sys, virtual interfaces (lo,
// veth, bridges) and devices whose firmware reports no node. The package
// answers those cases with one node holding every CPU, and with
// ErrNoNUMAInfo for interfaces, so that "near the NIC" degrades to "anywhere"
// instead of failing. On other systems Read reports one node and
// InterfaceNode always answers ErrNoNUMAInfo.
package numa
