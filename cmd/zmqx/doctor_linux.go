package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/zmqx/zmqx/bpf"
	"github.com/zmqx/zmqx/nic"
	"github.com/zmqx/zmqx/xdp"
)

// xdpMTULimit is the largest MTU a single-buffer XDP program takes: a frame
// must fit one page with the XDP headroom (256) and skb_shared_info (320 on
// 64-bit) beside it, plus the Ethernet header and two VLAN tags.
func xdpMTULimit() int { return os.Getpagesize() - 256 - 320 - 14 - 8 }

func examine(r *report) {
	ifc, err := net.InterfaceByName(r.iface)
	if err != nil {
		r.fail("interface", "no such interface", "%s: %v", r.iface, err)
		return
	}
	up := "down"
	if ifc.Flags&net.FlagUp != 0 {
		up = "up"
	}
	r.add("interface", "%s (index %d, %s)", ifc.Name, ifc.Index, up)
	if ifc.Flags&net.FlagUp == 0 {
		r.findings[len(r.findings)-1].problem = "interface is down"
	}

	if d, err := nic.Driver(r.iface); err != nil {
		r.add("driver", "unknown (%v)", err)
	} else {
		r.add("driver", "%s %s (bus %s, firmware %s)", d.Driver, d.Version, orNone(d.Bus), orNone(d.Firmware))
	}
	queues := 1
	if ch, err := nic.QueueCounts(r.iface); err == nil {
		queues = int(max(ch.Rx, ch.Combined, 1))
		r.add("queues", "rx %d, tx %d, combined %d (driver maximum rx %d, tx %d, combined %d)",
			ch.Rx, ch.Tx, ch.Combined, ch.MaxRx, ch.MaxTx, ch.MaxCombined)
	} else if n := countSysfs(r.iface, "rx-"); n > 0 {
		queues = n
		r.add("queues", "rx %d (from sysfs; ethtool channels: %v)", n, err)
	} else {
		r.add("queues", "unknown, assuming 1 (%v)", err)
	}
	r.add("numa node", "%s", numaNode(r.iface))

	limit := xdpMTULimit()
	if ifc.MTU > limit {
		r.fail("mtu", fmt.Sprintf("MTU %d is above the single-buffer XDP limit %d", ifc.MTU, limit),
			"%d (single-buffer XDP limit %d with %d-byte pages: too large)", ifc.MTU, limit, os.Getpagesize())
	} else {
		r.add("mtu", "%d (single-buffer XDP limit %d with %d-byte pages: fits)", ifc.MTU, limit, os.Getpagesize())
	}

	caps := effectiveCaps()
	for _, c := range []struct {
		name string
		bit  uint
		need string
	}{
		{"cap_net_admin", unix.CAP_NET_ADMIN, "attaching XDP programs and binding AF_XDP sockets need CAP_NET_ADMIN"},
		{"cap_bpf", unix.CAP_BPF, "loading BPF programs needs CAP_BPF (or CAP_SYS_ADMIN)"},
		{"cap_net_raw", unix.CAP_NET_RAW, "creating AF_XDP sockets needs CAP_NET_RAW"},
	} {
		switch {
		case caps < 0:
			r.add(c.name, "unknown (cannot read /proc/self/status)")
		case caps&(1<<c.bit) != 0:
			r.add(c.name, "yes")
		case c.bit == unix.CAP_BPF && caps&(1<<unix.CAP_SYS_ADMIN) != 0:
			r.add(c.name, "no, but CAP_SYS_ADMIN covers it")
		default:
			r.fail(c.name, c.need, "no")
		}
	}
	r.add("memlock", "%s", memlock(caps))

	native := bpf.ProbeAttach(ifc.Index, bpf.AttachNative)
	generic := bpf.ProbeAttach(ifc.Index, bpf.AttachGeneric)
	r.add("xdp native", "%s", works(native))
	r.add("xdp generic", "%s", works(generic))
	switch {
	case native == nil:
		r.plan = append(r.plan, "attach the steering program in native mode")
	case generic == nil:
		r.plan = append(r.plan, "attach the steering program in generic mode (native refused: slower on real NICs)")
	default:
		r.findings[len(r.findings)-1].problem = "no XDP attach mode works"
	}

	zc, cp := probeXSK(ifc.Index)
	r.add("af_xdp zero-copy", "%s", works(zc))
	r.add("af_xdp copy", "%s", works(cp))
	switch {
	case zc == nil:
		r.plan = append(r.plan, "bind AF_XDP sockets in zero-copy mode")
	case cp == nil:
		r.plan = append(r.plan, "bind AF_XDP sockets in copy mode (the driver has no zero-copy)")
	default:
		r.findings[len(r.findings)-1].problem = "AF_XDP sockets cannot bind to queue 0"
	}
	r.plan = append(r.plan, fmt.Sprintf("one AF_XDP socket and worker per queue: %d", queues))

	var c nic.Coalesce
	switch err := nic.EthtoolCoalesce(r.iface, false, &c); {
	case errors.Is(err, nic.ErrNotSupported):
		r.add("coalescing", "not supported by the driver")
		r.plan = append(r.plan, "leave interrupt coalescing alone (the driver has none)")
	case err != nil:
		r.add("coalescing", "unknown (%v)", err)
	default:
		r.add("coalescing", "%s", c.String())
		if c.RxUsecs|c.TxUsecs|c.AdaptiveRx|c.AdaptiveTx != 0 {
			r.plan = append(r.plan, "set rx/tx-usecs 0 and adaptive coalescing off, restored on close (unless told to leave the NIC alone)")
		} else {
			r.plan = append(r.plan, "coalescing already at lowest latency: leave it")
		}
	}
	r.add("busy poll", "%s", busyPoll(r.iface))
}

func works(err error) string {
	if err == nil {
		return "works"
	}
	return "refused (" + err.Error() + ")"
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// numaNode reads the device's NUMA node from sysfs. Virtual devices, and
// devices seen from a network namespace sysfs was not mounted in, have no
// entry.
func numaNode(iface string) string {
	b, err := os.ReadFile("/sys/class/net/" + iface + "/device/numa_node")
	if err != nil {
		return "none (no device NUMA node in sysfs: virtual device or other namespace)"
	}
	n := strings.TrimSpace(string(b))
	if n == "-1" {
		return "none (-1: the platform reports no node for the device)"
	}
	return n + " (pin workers to this node's CPUs)"
}

func countSysfs(iface, prefix string) int {
	ents, err := os.ReadDir("/sys/class/net/" + iface + "/queues")
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) {
			n++
		}
	}
	return n
}

// effectiveCaps returns the CapEff mask of this process, or -1.
func effectiveCaps() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "CapEff:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				return -1
			}
			return int64(n & (1<<63 - 1))
		}
	}
	return -1
}

func memlock(caps int64) string {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &lim); err != nil {
		return "unknown (" + err.Error() + ")"
	}
	show := func(v uint64) string {
		if v == unix.RLIM_INFINITY {
			return "unlimited"
		}
		return fmt.Sprintf("%d MiB", v>>20)
	}
	s := fmt.Sprintf("soft %s, hard %s", show(lim.Cur), show(lim.Max))
	if caps >= 0 && caps&(1<<unix.CAP_IPC_LOCK) != 0 {
		return s + " (CAP_IPC_LOCK: UMEM is not charged to it)"
	}
	if lim.Cur != unix.RLIM_INFINITY && lim.Cur < 16<<20 {
		return s + " (the default 16 MiB UMEM needs more: zmqx raises the soft limit up to the hard one)"
	}
	return s
}

func busyPoll(iface string) string {
	read := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			return "n/a"
		}
		return strings.TrimSpace(string(b))
	}
	return fmt.Sprintf("net.core.busy_poll=%s net.core.busy_read=%s napi_defer_hard_irqs=%s gro_flush_timeout=%s",
		read("/proc/sys/net/core/busy_poll"), read("/proc/sys/net/core/busy_read"),
		read("/sys/class/net/"+iface+"/napi_defer_hard_irqs"), read("/sys/class/net/"+iface+"/gro_flush_timeout"))
}

// probeXSK binds an AF_XDP socket to queue 0, first asking for zero-copy,
// then for copy mode, and reports each attempt.
func probeXSK(ifindex int) (zeroCopy, copyMode error) {
	u, err := xdp.NewUmem(xdp.UmemOptions{FrameCount: 64, NoHugepages: true})
	if err != nil {
		return err, err
	}
	defer u.Close()
	try := func(m xdp.Mode) error {
		s, err := u.Open(ifindex, 0, xdp.SocketOptions{RxFrames: 16, TxFrames: 16, Mode: m})
		if err != nil {
			return err
		}
		got := s.Mode()
		s.Close()
		if got != m {
			return fmt.Errorf("asked %s, kernel granted %s", m, got)
		}
		return nil
	}
	return try(xdp.ModeZeroCopy), try(xdp.ModeCopy)
}
