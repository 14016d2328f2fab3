// Package bpf holds zmqx's XDP steering program (steer.c) and its loader.
//
// The program parses Ethernet (with up to two VLAN tags), IPv4 or IPv6 and
// UDP. A datagram whose destination port is registered is redirected with
// bpf_redirect_map into the AF_XDP socket of its owner on the receiving
// queue; everything else — other ports, TCP, ARP, ICMP, frames too short or
// malformed to parse — goes to the kernel (XDP_PASS). An owner with no
// socket on a queue loses nothing either: the redirect's fallback action is
// XDP_PASS. Per-CPU counters record steered, passed and malformed frames.
//
// The loader attaches through a BPF link (link.AttachXDP), so the program
// goes away with the process that attached it, crash or not. Native mode is
// tried first, generic (skb) mode second; Steering.Mode says which one
// stuck.
//
// The generated steer_bpfel.go/steer_bpfeb.go and their .o files are
// committed: building needs no clang. .ci/check-bpf regenerates them with
// Debian's clang and fails when they differ.
//
// # Several processes on one host
//
// An interface carries one XDP program per mode, so processes cannot each
// attach their own. The program is built for sharing: the ports map says
// which owner (0..15) a port belongs to, and the XSKMAP has one slot per
// owner and queue (owner*64+queue), so each process's datagrams go to its
// own sockets. The intended arrangement (part 2 of the kernel-bypass work;
// today each Steering is a single owner, Options.Owner 0 by default) is:
// the first zmqx process on an interface loads the program, pins its maps
// and its link under /sys/fs/bpf/zmqx/IFACE, and takes owner 0; later
// processes open the pinned maps, claim a free owner index with a
// BPF_NOEXIST insert into an owners map keyed by index (value: pid and
// start time, so a dead owner's entry is recognised and reclaimed), and
// register only their own ports and XSKMAP slots. Releasing a port deletes
// its entry only when the owner matches. The pinned link keeps the program
// attached while any process uses it; the last one to leave unpins it.
package bpf
