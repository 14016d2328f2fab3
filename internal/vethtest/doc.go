// Package vethtest builds the two-host test network zmqx's kernel-bypass
// tests run on: two fresh network namespaces joined by a veth pair with two
// queues on each side, addressed 10.77.0.1/24 and 10.77.0.2/24. Everything
// is created by the test and removed in its cleanup, XDP programs first.
package vethtest
