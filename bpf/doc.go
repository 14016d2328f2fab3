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
// Two kernel rules shape this. An interface carries one XDP program per
// attach mode, so processes cannot each attach their own; and a NIC queue
// takes one UMEM (a second bind on the queue fails with EBUSY), so two
// processes cannot each bind their own AF_XDP socket to the same queue.
//
// The program is therefore built to be shared by owners (0..MaxOwners-1):
// the ports map says which owner a UDP port belongs to, and the XSKMAP has
// one slot per owner and queue (owner*MaxQueues+queue). The intended
// arrangement (part 2 of the kernel-bypass work; today a Steering is one
// owner, Options.Owner, 0 by default) is:
//   - The first zmqx process on an interface loads the program, pins its
//     maps and its link under /sys/fs/bpf/zmqx/IFACE/, and claims owner 0.
//     Later processes open the pinned maps instead of attaching. An owner
//     index is claimed by holding an exclusive flock on
//     /sys/fs/bpf/zmqx/IFACE/owner-N (the kernel drops it when the process
//     dies, so a crashed owner's index, and its ports, can be reclaimed).
//   - Processes use disjoint queues: each owns some of the interface's
//     queues and binds its sockets there, and the NIC's flow steering
//     (ethtool -N IFACE flow-type udp4 dst-port P action Q) sends each
//     process's ports to its own queues. A datagram that lands on a queue
//     where its port's owner has no socket finds an empty XSKMAP slot and
//     goes to the kernel (the redirect's XDP_PASS fallback), never into
//     another process's socket.
//   - RegisterPort refuses a port another owner holds; ReleasePort deletes
//     only this owner's entry. The pinned link outlives a crash of every
//     process; it then steers nothing (all slots empty: XDP_PASS), and the
//     next process cleans the stale ports. The last process to leave (no
//     owner lock held) unpins the link, which detaches the program.
//
// Processes that must share one queue would have to share its UMEM: pass
// the socket over a unix socket (SCM_RIGHTS) and bind with XDP_SHARED_UMEM
// on the same queue, which makes the FILL and COMPLETION rings shared and
// needs a lock across processes. That is not planned.
package bpf
