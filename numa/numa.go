package numa

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/zmqx/zmqx/cpuset"
)

// ErrNoNUMAInfo is wrapped by InterfaceNode's error when the system does not
// say which node an interface is on; the node returned with it is -1. This is
// the normal answer for virtual interfaces, on single-node machines (where
// the kernel reports -1) and on systems other than Linux, so callers should
// treat it as "no preference", as Topology.CPUsNear does.
var ErrNoNUMAInfo = errors.New("numa: no NUMA information")

// Topology is the set of NUMA nodes and their CPUs.
type Topology struct {
	// Nodes is ordered by ID. A CPU is in at most one node; a node may have
	// no CPUs (memory-only nodes such as CXL or HBM memory).
	Nodes []Node

	// root is the sysfs root the topology was read from, so CPUsNear looks
	// interfaces up in the same tree; "" means the system's own.
	root string
}

// Node is one NUMA node.
type Node struct {
	ID   int
	CPUs cpuset.Set
}

// ReadFrom reads the topology from the sysfs tree under root, the directory
// holding devices/ and class/ ("/sys" on a live system): every
// devices/system/node/nodeN/cpulist.
//
// Without NUMA information, that is when devices/system/node does not exist
// or has no nodeN entries, the result is a single node 0 holding the CPUs in
// devices/system/cpu/online, or CPUs 0 to runtime.NumCPU()-1 if that file is
// missing too (the CPU numbers are then a guess; pinning code should
// intersect them with cpuset.Allowed).
func ReadFrom(root string) (*Topology, error) {
	dir := filepath.Join(root, "devices", "system", "node")
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("numa: reading the node list: %w", err)
	}
	t := &Topology{root: root}
	for _, e := range entries {
		id, ok := nodeID(e.Name())
		if !ok {
			continue // has_cpu, online, possible, power, ...
		}
		cpus, err := readCPUList(filepath.Join(dir, e.Name(), "cpulist"))
		if err != nil {
			return nil, err
		}
		t.Nodes = append(t.Nodes, Node{ID: id, CPUs: cpus})
	}
	if len(t.Nodes) == 0 {
		cpus, err := onlineCPUs(root)
		if err != nil {
			return nil, err
		}
		t.Nodes = []Node{{ID: 0, CPUs: cpus}}
		return t, nil
	}
	// ReadDir sorts by name, which puts node10 before node2.
	slices.SortFunc(t.Nodes, func(a, b Node) int { return a.ID - b.ID })
	var seen cpuset.Set
	for _, n := range t.Nodes {
		if both := seen.Intersect(n.CPUs); !both.IsEmpty() {
			return nil, fmt.Errorf("numa: cpus %s are listed in node %d and in an earlier node", both, n.ID)
		}
		seen = seen.Union(n.CPUs)
	}
	return t, nil
}

// nodeID parses a node directory name, "node" followed by a decimal ID.
func nodeID(name string) (int, bool) {
	digits, ok := strings.CutPrefix(name, "node")
	if !ok || digits == "" || strings.TrimLeft(digits, "0123456789") != "" {
		return 0, false
	}
	id, err := strconv.Atoi(digits)
	return id, err == nil
}

// onlineCPUs returns the CPUs in root's devices/system/cpu/online, or
// 0..runtime.NumCPU()-1 if that file does not exist.
func onlineCPUs(root string) (cpuset.Set, error) {
	cpus, err := readCPUList(filepath.Join(root, "devices", "system", "cpu", "online"))
	if !errors.Is(err, fs.ErrNotExist) {
		return cpus, err
	}
	return firstCPUs(runtime.NumCPU()), nil
}

// firstCPUs returns CPUs 0..n-1, at most as many as a Set holds.
func firstCPUs(n int) cpuset.Set {
	var s cpuset.Set
	for c := range min(n, cpuset.MaxCPUs) {
		s.Add(c)
	}
	return s
}

func readCPUList(path string) (cpuset.Set, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return cpuset.Set{}, fmt.Errorf("numa: %w", err)
	}
	s, err := cpuset.Parse(string(b))
	if err != nil {
		return cpuset.Set{}, fmt.Errorf("numa: %s: %w", path, err)
	}
	return s, nil
}

// NodeOf returns the node that cpu belongs to, or -1 and false if it is in
// none.
func (t *Topology) NodeOf(cpu int) (int, bool) {
	for _, n := range t.Nodes {
		if n.CPUs.Contains(cpu) {
			return n.ID, true
		}
	}
	return -1, false
}

// CPUsOf returns the CPUs of node, or the empty set if there is no such
// node.
func (t *Topology) CPUsOf(node int) cpuset.Set {
	for _, n := range t.Nodes {
		if n.ID == node {
			return n.CPUs
		}
	}
	return cpuset.Set{}
}

// CPUs returns the CPUs of all nodes.
func (t *Topology) CPUs() cpuset.Set {
	var all cpuset.Set
	for _, n := range t.Nodes {
		all = all.Union(n.CPUs)
	}
	return all
}

// CPUsNear returns the CPUs to run work for network interface iface on: those
// of the node its device is attached to, looked up in the same sysfs tree
// the topology was read from. When there is no NUMA information for the
// interface (ErrNoNUMAInfo), or its node has no CPUs in t, it returns all of
// t's CPUs, since then no CPU is nearer than another.
//
// The result is the hardware's view; a caller about to pin should intersect
// it with cpuset.Allowed. An interface that does not exist or whose sysfs
// entry cannot be read is an error, as from InterfaceNode.
func (t *Topology) CPUsNear(iface string) (cpuset.Set, error) {
	var node int
	var err error
	if t.root == "" {
		node, err = InterfaceNode(iface)
	} else {
		node, err = InterfaceNodeFrom(t.root, iface)
	}
	if errors.Is(err, ErrNoNUMAInfo) {
		return t.CPUs(), nil
	}
	if err != nil {
		return cpuset.Set{}, err
	}
	if cpus := t.CPUsOf(node); !cpus.IsEmpty() {
		return cpus, nil
	}
	return t.CPUs(), nil
}

// InterfaceNodeFrom returns the NUMA node of network interface name's
// device, read from class/net/NAME/device/numa_node under the sysfs root.
//
// The answer is -1 with an error wrapping ErrNoNUMAInfo when the interface
// has no device link (virtual interfaces such as lo, veth, bridges), the
// device has no numa_node file, or the file says -1. An interface that does
// not exist is an error wrapping fs.ErrNotExist (os.ErrNotExist); a name the kernel would
// not accept, such as one containing "/" or equal to "..", is an error
// wrapping fs.ErrInvalid, so a name can never reach outside class/net.
func InterfaceNodeFrom(root, name string) (int, error) {
	if err := checkName(name); err != nil {
		return -1, err
	}
	dir := filepath.Join(root, "class", "net", name)
	if _, err := os.Stat(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return -1, fmt.Errorf("numa: no network interface %q: %w", name, err)
		}
		return -1, fmt.Errorf("numa: network interface %q: %w", name, err)
	}
	path := filepath.Join(dir, "device", "numa_node")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return -1, fmt.Errorf("%w for interface %q: it has no device or the device has no numa_node", ErrNoNUMAInfo, name)
	}
	if err != nil {
		return -1, fmt.Errorf("numa: network interface %q: %w", name, err)
	}
	node, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return -1, fmt.Errorf("numa: network interface %q: parsing %s: %w", name, path, err)
	}
	if node < 0 {
		return -1, fmt.Errorf("%w for interface %q: the kernel reports node %d", ErrNoNUMAInfo, name, node)
	}
	return node, nil
}

// checkName applies the kernel's rules for interface names (dev_valid_name:
// 1 to 15 bytes, not "." or "..", no '/', ':' or white space) and also
// refuses '\\' and NUL, which the kernel allows but which are path
// separators or terminators elsewhere.
func checkName(name string) error {
	bad := name == "" || len(name) > 15 || name == "." || name == ".." ||
		strings.ContainsAny(name, "/:\\\x00 \t\n\v\f\r")
	if bad {
		return fmt.Errorf("numa: invalid network interface name %q: %w", name, fs.ErrInvalid)
	}
	return nil
}
