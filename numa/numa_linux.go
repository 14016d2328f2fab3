package numa

// Read returns the topology of this machine from /sys; see ReadFrom for what
// it returns when the kernel offers no NUMA information.
func Read() (*Topology, error) { return ReadFrom("/sys") }

// InterfaceNode returns the NUMA node of network interface name's device,
// from /sys; see InterfaceNodeFrom for the errors.
func InterfaceNode(name string) (int, error) { return InterfaceNodeFrom("/sys", name) }
