//go:build !linux

package numa_test

import (
	"errors"
	"runtime"
	"testing"

	"github.com/zmqx/zmqx/numa"
)

func TestReadOtherOS(t *testing.T) {
	topo, err := numa.Read()
	if err != nil {
		t.Fatal(err)
	}
	if len(topo.Nodes) != 1 || topo.Nodes[0].ID != 0 || topo.Nodes[0].CPUs.Len() != runtime.NumCPU() {
		t.Errorf("Read() = %v, want one node 0 with %d cpus", topo.Nodes, runtime.NumCPU())
	}
	if node, err := numa.InterfaceNode("en0"); node != -1 || !errors.Is(err, numa.ErrNoNUMAInfo) {
		t.Errorf("InterfaceNode(en0) = %d, %v; want -1, ErrNoNUMAInfo", node, err)
	}
	if near, err := topo.CPUsNear("en0"); err != nil || near != topo.Nodes[0].CPUs {
		t.Errorf("CPUsNear(en0) = %v, %v; want all cpus", near, err)
	}
}
