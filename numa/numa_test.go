package numa_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/zmqx/zmqx/cpuset"
	"github.com/zmqx/zmqx/numa"
)

// fakeSys builds a sysfs-like tree in a temporary directory from a map of
// slash-separated paths to file contents and returns its root. A path ending
// in "/" makes an empty directory.
func fakeSys(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(path, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func mustParse(t *testing.T, s string) cpuset.Set {
	t.Helper()
	set, err := cpuset.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// checkNodes compares a topology's nodes with want, node ID to cpulist.
func checkNodes(t *testing.T, topo *numa.Topology, want []numa.Node) {
	t.Helper()
	if len(topo.Nodes) != len(want) {
		t.Fatalf("got %d nodes %v, want %v", len(topo.Nodes), topo.Nodes, want)
	}
	for i, n := range topo.Nodes {
		if n != want[i] {
			t.Errorf("node %d: got {%d %v}, want {%d %v}", i, n.ID, n.CPUs, want[i].ID, want[i].CPUs)
		}
	}
}

func TestTwoNodes(t *testing.T) {
	root := fakeSys(t, map[string]string{
		"devices/system/node/node0/cpulist": "0-3\n",
		"devices/system/node/node1/cpulist": "4-7\n",
		"devices/system/node/online":        "0-1\n",
		"devices/system/node/has_cpu":       "0-1\n",
		"devices/system/node/power/":        "",
		"devices/system/cpu/online":         "0-7\n",
	})
	topo, err := numa.ReadFrom(root)
	if err != nil {
		t.Fatal(err)
	}
	checkNodes(t, topo, []numa.Node{
		{ID: 0, CPUs: mustParse(t, "0-3")},
		{ID: 1, CPUs: mustParse(t, "4-7")},
	})
	for cpu, want := range map[int]int{0: 0, 3: 0, 4: 1, 7: 1} {
		if node, ok := topo.NodeOf(cpu); !ok || node != want {
			t.Errorf("NodeOf(%d) = %d, %v; want %d, true", cpu, node, ok, want)
		}
	}
	for _, cpu := range []int{-1, 8, 5000} {
		if node, ok := topo.NodeOf(cpu); ok || node != -1 {
			t.Errorf("NodeOf(%d) = %d, %v; want -1, false", cpu, node, ok)
		}
	}
	if got := topo.CPUsOf(1); got != mustParse(t, "4-7") {
		t.Errorf("CPUsOf(1) = %v", got)
	}
	if got := topo.CPUsOf(2); !got.IsEmpty() {
		t.Errorf("CPUsOf(2) = %v, want empty", got)
	}
	if got := topo.CPUs(); got != mustParse(t, "0-7") {
		t.Errorf("CPUs() = %v", got)
	}
}

func TestFourNodesNonContiguous(t *testing.T) {
	root := fakeSys(t, map[string]string{
		"devices/system/node/node0/cpulist": "0-3,16-19\n",
		"devices/system/node/node1/cpulist": "4-7,20-23\n",
		"devices/system/node/node2/cpulist": "8-11,24-27\n",
		// Node IDs need not be contiguous, and node10 sorts before node2
		// by name.
		"devices/system/node/node10/cpulist": "12-15,28-31\n",
	})
	topo, err := numa.ReadFrom(root)
	if err != nil {
		t.Fatal(err)
	}
	checkNodes(t, topo, []numa.Node{
		{ID: 0, CPUs: mustParse(t, "0-3,16-19")},
		{ID: 1, CPUs: mustParse(t, "4-7,20-23")},
		{ID: 2, CPUs: mustParse(t, "8-11,24-27")},
		{ID: 10, CPUs: mustParse(t, "12-15,28-31")},
	})
	for cpu, want := range map[int]int{3: 0, 16: 0, 19: 0, 20: 1, 11: 2, 24: 2, 12: 10, 31: 10} {
		if node, ok := topo.NodeOf(cpu); !ok || node != want {
			t.Errorf("NodeOf(%d) = %d, %v; want %d, true", cpu, node, ok, want)
		}
	}
	if node, ok := topo.NodeOf(32); ok {
		t.Errorf("NodeOf(32) = %d, true", node)
	}
	if got := topo.CPUs(); got != mustParse(t, "0-31") {
		t.Errorf("CPUs() = %v", got)
	}
}

func TestNoNodeDirectory(t *testing.T) {
	root := fakeSys(t, map[string]string{
		"devices/system/cpu/online": "0-5\n",
	})
	topo, err := numa.ReadFrom(root)
	if err != nil {
		t.Fatal(err)
	}
	checkNodes(t, topo, []numa.Node{{ID: 0, CPUs: mustParse(t, "0-5")}})
}

func TestNodeDirectoryWithoutNodes(t *testing.T) {
	root := fakeSys(t, map[string]string{
		"devices/system/node/online": "\n",
		"devices/system/cpu/online":  "0,2-3\n",
	})
	topo, err := numa.ReadFrom(root)
	if err != nil {
		t.Fatal(err)
	}
	checkNodes(t, topo, []numa.Node{{ID: 0, CPUs: mustParse(t, "0,2-3")}})
}

func TestNoSysfsAtAll(t *testing.T) {
	topo, err := numa.ReadFrom(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var want cpuset.Set
	for c := range runtime.NumCPU() {
		want.Add(c)
	}
	checkNodes(t, topo, []numa.Node{{ID: 0, CPUs: want}})
}

func TestMemoryOnlyNode(t *testing.T) {
	root := fakeSys(t, map[string]string{
		"devices/system/node/node0/cpulist": "0-1\n",
		"devices/system/node/node1/cpulist": "\n",
		"class/net/cxl0/device/numa_node":   "1\n",
	})
	topo, err := numa.ReadFrom(root)
	if err != nil {
		t.Fatal(err)
	}
	checkNodes(t, topo, []numa.Node{
		{ID: 0, CPUs: mustParse(t, "0-1")},
		{ID: 1},
	})
	// A device on a node without CPUs is near none of them in particular.
	if got, err := topo.CPUsNear("cxl0"); err != nil || got != mustParse(t, "0-1") {
		t.Errorf("CPUsNear(cxl0) = %v, %v; want 0-1", got, err)
	}
}

func TestReadErrors(t *testing.T) {
	tests := map[string]map[string]string{
		"overlapping nodes": {
			"devices/system/node/node0/cpulist": "0-3\n",
			"devices/system/node/node1/cpulist": "3-5\n",
		},
		"bad cpulist": {
			"devices/system/node/node0/cpulist": "0-3\n",
			"devices/system/node/node1/cpulist": "4-x\n",
		},
		"missing cpulist": {
			"devices/system/node/node0/cpulist": "0-3\n",
			"devices/system/node/node1/":        "",
		},
		"bad online": {
			"devices/system/cpu/online": "7-0\n",
		},
	}
	for name, files := range tests {
		if topo, err := numa.ReadFrom(fakeSys(t, files)); err == nil {
			t.Errorf("%s: ReadFrom = %v, want an error", name, topo.Nodes)
		}
	}
}

// nicTree is a two-node machine with a NIC on each node, one whose firmware
// gives no node, and interfaces without device information.
func nicTree(t *testing.T) string {
	return fakeSys(t, map[string]string{
		"devices/system/node/node0/cpulist": "0-3\n",
		"devices/system/node/node1/cpulist": "4-7\n",
		"class/net/eth0/device/numa_node":   "0\n",
		"class/net/eth1/device/numa_node":   "1\n",
		"class/net/eth2/device/numa_node":   "-1\n",
		"class/net/eth3/device/numa_node":   "one\n",
		"class/net/eth4/device/vendor":      "0x8086\n", // device without numa_node
		"class/net/lo/address":              "00:00:00:00:00:00\n",
		"class/net/veth0/address":           "02:42:ac:11:00:02\n",
		// What "../../x" would reach if names were not checked.
		"x/device/numa_node": "1\n",
	})
}

func TestInterfaceNode(t *testing.T) {
	root := nicTree(t)
	for name, want := range map[string]int{"eth0": 0, "eth1": 1} {
		if node, err := numa.InterfaceNodeFrom(root, name); err != nil || node != want {
			t.Errorf("InterfaceNodeFrom(%s) = %d, %v; want %d", name, node, err, want)
		}
	}
	for _, name := range []string{"eth2", "eth4", "lo", "veth0"} {
		node, err := numa.InterfaceNodeFrom(root, name)
		if node != -1 || !errors.Is(err, numa.ErrNoNUMAInfo) {
			t.Errorf("InterfaceNodeFrom(%s) = %d, %v; want -1, ErrNoNUMAInfo", name, node, err)
		}
	}
	node, err := numa.InterfaceNodeFrom(root, "eth3")
	if err == nil || errors.Is(err, numa.ErrNoNUMAInfo) || node != -1 {
		t.Errorf("InterfaceNodeFrom(eth3) with a garbled numa_node = %d, %v; want -1 and a parse error", node, err)
	}
	node, err = numa.InterfaceNodeFrom(root, "eth9")
	if node != -1 || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), `"eth9"`) {
		t.Errorf("InterfaceNodeFrom(eth9) = %d, %v; want -1 and a not-exist error naming eth9", node, err)
	}
}

func TestInterfaceNameChecked(t *testing.T) {
	root := nicTree(t)
	for _, name := range []string{"", ".", "..", "../../x", "eth0/..", "a:b", "a b", `a\b`, "a\x00", "abcdefghijklmnop"} {
		node, err := numa.InterfaceNodeFrom(root, name)
		if node != -1 || !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("InterfaceNodeFrom(%q) = %d, %v; want -1, fs.ErrInvalid", name, node, err)
		}
	}
	// 15 bytes is the longest name the kernel allows.
	if _, err := numa.InterfaceNodeFrom(root, "abcdefghijklmno"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("15-byte name: %v, want a not-exist error", err)
	}
}

func TestCPUsNear(t *testing.T) {
	topo, err := numa.ReadFrom(nicTree(t))
	if err != nil {
		t.Fatal(err)
	}
	near := map[string]string{
		"eth0":  "0-3",
		"eth1":  "4-7",
		"eth2":  "0-7",
		"eth4":  "0-7",
		"lo":    "0-7",
		"veth0": "0-7",
	}
	for name, want := range near {
		if got, err := topo.CPUsNear(name); err != nil || got != mustParse(t, want) {
			t.Errorf("CPUsNear(%s) = %v, %v; want %s", name, got, err, want)
		}
	}
	for _, name := range []string{"eth3", "eth9", "../../x"} {
		if got, err := topo.CPUsNear(name); err == nil {
			t.Errorf("CPUsNear(%q) = %v, want an error", name, got)
		}
	}
}
