// Package vethtest builds the test networks zmqx's kernel-bypass tests run
// on, in fresh network namespaces the test creates and removes in its
// cleanup, XDP programs first:
//
//   - New: two hosts joined by one veth pair, addressed 10.77.0.1/24 and
//     10.77.0.2/24, with the requested number of queues on each side.
//   - NewRouted: host A — router R — host B on two subnets (10.78.1.0/24
//     and 10.78.2.0/24), forwarding on in R and default routes via R on
//     the hosts: peers reached through a gateway, and the place to inject
//     loss on forwarded traffic (package bpf's AttachLoss on R's devices).
package vethtest
