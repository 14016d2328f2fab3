package numa_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/zmqx/zmqx/cpuset"
	"github.com/zmqx/zmqx/numa"
)

// TestRealSysfs checks invariants of this machine's topology, whatever it
// is: every online CPU is in exactly one node, node IDs are increasing, and
// every interface either has a node of the topology or no NUMA information.
func TestRealSysfs(t *testing.T) {
	topo, err := numa.Read()
	if err != nil {
		t.Fatal(err)
	}
	if len(topo.Nodes) == 0 {
		t.Fatal("no nodes")
	}
	for i := 1; i < len(topo.Nodes); i++ {
		if topo.Nodes[i].ID <= topo.Nodes[i-1].ID {
			t.Errorf("node IDs not increasing: %v", topo.Nodes)
		}
	}
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		t.Skipf("no online cpu list: %v", err)
	}
	online, err := cpuset.Parse(string(b))
	if err != nil {
		t.Fatal(err)
	}
	for _, cpu := range online.CPUs() {
		var in []int
		for _, n := range topo.Nodes {
			if n.CPUs.Contains(cpu) {
				in = append(in, n.ID)
			}
		}
		if len(in) != 1 {
			t.Errorf("online cpu %d is in nodes %v, want exactly one", cpu, in)
			continue
		}
		if node, ok := topo.NodeOf(cpu); !ok || node != in[0] {
			t.Errorf("NodeOf(%d) = %d, %v; want %d", cpu, node, ok, in[0])
		}
	}

	ifaces, err := os.ReadDir("/sys/class/net")
	if err != nil {
		t.Skipf("no network interfaces in sysfs: %v", err)
	}
	for _, e := range ifaces {
		name := e.Name()
		node, err := numa.InterfaceNode(name)
		switch {
		case errors.Is(err, numa.ErrNoNUMAInfo):
			if node != -1 {
				t.Errorf("InterfaceNode(%s) = %d with ErrNoNUMAInfo", name, node)
			}
		case err != nil:
			t.Errorf("InterfaceNode(%s): %v", name, err)
		case topo.CPUsOf(node).IsEmpty():
			t.Logf("interface %s is on node %d, which has no cpus", name, node)
		}
		if near, err := topo.CPUsNear(name); err != nil || near.IsEmpty() {
			t.Errorf("CPUsNear(%s) = %v, %v", name, near, err)
		}
	}
	if _, err := os.Stat("/sys/class/net/lo"); err == nil {
		if _, err := numa.InterfaceNode("lo"); !errors.Is(err, numa.ErrNoNUMAInfo) {
			t.Errorf("InterfaceNode(lo): %v, want ErrNoNUMAInfo", err)
		}
	}
}

// TestSymlinkedSysfs lays the tree out the way the kernel does, with
// class/net entries and device links as symlinks into devices/, including a
// dangling device link.
func TestSymlinkedSysfs(t *testing.T) {
	root := fakeSys(t, map[string]string{
		"devices/system/node/node0/cpulist":                "0-1\n",
		"devices/system/node/node1/cpulist":                "2-3\n",
		"devices/pci0000:80/0000:80:01.0/numa_node":        "1\n",
		"devices/pci0000:80/0000:80:01.0/net/ens1/address": "00:11:22:33:44:55\n",
		"devices/virtual/net/veth1/address":                "02:42:ac:11:00:03\n",
		"devices/pci0000:00/0000:00:02.0/net/ens2/address": "00:11:22:33:44:56\n",
	})
	links := map[string]string{
		"class/net/ens1":  "../../devices/pci0000:80/0000:80:01.0/net/ens1",
		"class/net/veth1": "../../devices/virtual/net/veth1",
		"class/net/ens2":  "../../devices/pci0000:00/0000:00:02.0/net/ens2",
		"devices/pci0000:80/0000:80:01.0/net/ens1/device": "../../../0000:80:01.0",
		"devices/pci0000:00/0000:00:02.0/net/ens2/device": "../../../0000:00:99.0", // dangling
	}
	for name, target := range links {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.FromSlash(target), path); err != nil {
			t.Skipf("cannot make symlinks here: %v", err)
		}
	}
	topo, err := numa.ReadFrom(root)
	if err != nil {
		t.Fatal(err)
	}
	if node, err := numa.InterfaceNodeFrom(root, "ens1"); err != nil || node != 1 {
		t.Errorf("InterfaceNodeFrom(ens1) = %d, %v; want 1", node, err)
	}
	if got, err := topo.CPUsNear("ens1"); err != nil || got != mustParse(t, "2-3") {
		t.Errorf("CPUsNear(ens1) = %v, %v; want 2-3", got, err)
	}
	for _, name := range []string{"veth1", "ens2"} {
		if node, err := numa.InterfaceNodeFrom(root, name); node != -1 || !errors.Is(err, numa.ErrNoNUMAInfo) {
			t.Errorf("InterfaceNodeFrom(%s) = %d, %v; want -1, ErrNoNUMAInfo", name, node, err)
		}
		if got, err := topo.CPUsNear(name); err != nil || got != mustParse(t, "0-3") {
			t.Errorf("CPUsNear(%s) = %v, %v; want 0-3", name, got, err)
		}
	}
}
