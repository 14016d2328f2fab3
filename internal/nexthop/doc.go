// Package nexthop answers, for a destination address, the question an
// engine that writes its own Ethernet frames has to answer before the
// first frame: which interface and source address the kernel's routing
// table picks, which neighbour the frame goes to (the destination itself
// when it is on-link, else the route's gateway), and that neighbour's MAC
// address from the kernel's neighbour table.
//
// It talks rtnetlink directly (RTM_GETROUTE, RTM_GETLINK, RTM_GETNEIGH).
// When the neighbour entry is missing, INCOMPLETE, FAILED or has no
// link-layer address, Neighbour asks the kernel to resolve it by sending
// RTM_NEWNEIGH with NTF_USE (and NLM_F_CREATE), which creates the entry if
// needed and runs the kernel's ordinary ARP or neighbour-discovery state
// machine on it, exactly as if the kernel had a packet to send there; it
// then waits for the entry to change through the RTNLGRP_NEIGH multicast
// group, re-triggering after FAILED, until the context ends. No packet of
// the caller's goes out, and nothing is written to the table except the
// entry the kernel's own resolution would create.
//
// Every request is made on sockets opened in the calling OS thread's
// network namespace; to query another namespace call from inside
// internal/netns.Do, which locks the thread. Replies are read into a
// bounded buffer and parsed defensively: an odd reply is an error, never a
// panic.
//
// Outside Linux every function returns ErrNotSupported.
package nexthop
