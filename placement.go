package zmqx

import (
	"errors"
	"net"
	"runtime"

	"github.com/zmqx/zmqx/cpuset"
	"github.com/zmqx/zmqx/numa"
)

// pinThread is cpuset.PinThread where the OS can pin threads, else nil.
func pinThread() func(int) error {
	if runtime.GOOS != "linux" {
		return nil
	}
	return cpuset.PinThread
}

// placeNearNIC returns the CPUs of the NUMA node of the network interface
// that owns local's IP address, among those this process may use; nil when
// there is no NUMA information (loopback, virtual interfaces, single-node
// machines, other OSes) so the workers stay unpinned.
func placeNearNIC(local net.Addr) []int {
	ta, ok := local.(*net.TCPAddr)
	if !ok {
		return nil
	}
	iface := interfaceOf(ta.IP)
	if iface == "" {
		return nil
	}
	return placeIface(iface)
}

// placeIface returns the CPUs of the NUMA node of the interface iface, among
// those this process may use, or nil when there is no NUMA information.
func placeIface(iface string) []int {
	node, err := numa.InterfaceNode(iface)
	if err != nil || node < 0 {
		return nil
	}
	topo, err := numa.Read()
	if err != nil {
		return nil
	}
	cpus := topo.CPUsOf(node)
	if allowed, err := cpuset.Allowed(); err == nil {
		cpus = cpus.Intersect(allowed)
	} else if !errors.Is(err, cpuset.ErrNotSupported) {
		return nil
	}
	return cpus.CPUs()
}

// interfaceOf names the interface that has ip, or "".
func interfaceOf(ip net.IP) string {
	ifs, err := net.Interfaces()
	if err != nil {
		return ""
	}
	for _, ifc := range ifs {
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
				return ifc.Name
			}
		}
	}
	return ""
}
