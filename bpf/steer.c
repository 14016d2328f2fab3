//go:build ignore

// XDP steering program for zmqx: UDP datagrams whose destination port a zmqx
// process registered are redirected to that process's AF_XDP socket on the
// receiving queue; every other frame goes to the kernel untouched.
//
// Self-contained (see frame.h).

#include "frame.h"

static long (*bpf_redirect_map)(void *map, __u64 key, __u64 flags) = (void *)51;

// Sizes of the user-visible tables. MAX_QUEUES must match the Go loader.
#define MAX_QUEUES 64
#define MAX_OWNERS 16
#define MAX_PORTS 1024

enum counter {
	COUNTER_STEERED = 0,
	COUNTER_PASSED = 1,
	COUNTER_MALFORMED = 2,
	COUNTER_MAX = 3,
};

// Slot owner*MAX_QUEUES+queue holds the AF_XDP socket of owner on queue.
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, MAX_QUEUES * MAX_OWNERS);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

// Destination UDP port (two bytes in network order) -> owner index.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_PORTS);
	__type(key, __u16);
	__type(value, __u32);
} ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, COUNTER_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __attribute__((always_inline)) int count(__u32 which, int action)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &which);
	if (c)
		*c += 1;
	return action;
}

SEC("xdp")
int steer(struct xdp_md *ctx)
{
	struct udp *udp;
	switch (find_udp(ctx, 1, 0x3fff, &udp)) {
	case FRAME_MALFORMED:
		return count(COUNTER_MALFORMED, XDP_PASS);
	case FRAME_OTHER:
		return count(COUNTER_PASSED, XDP_PASS);
	}

	__u16 port = udp->dport;
	__u32 *owner = bpf_map_lookup_elem(&ports, &port);
	if (!owner || *owner >= MAX_OWNERS)
		return count(COUNTER_PASSED, XDP_PASS);
	__u32 queue = ctx->rx_queue_index;
	if (queue >= MAX_QUEUES)
		return count(COUNTER_PASSED, XDP_PASS);
	__u32 slot = *owner * MAX_QUEUES + queue;
	// The low bits of the flags are the action when the slot is empty: an
	// unbound queue hands the datagram to the kernel instead of dropping it.
	long action = bpf_redirect_map(&xsks, slot, XDP_PASS);
	if (action == XDP_REDIRECT)
		return count(COUNTER_STEERED, action);
	return count(COUNTER_PASSED, action);
}

char __license[] SEC("license") = "Dual MIT/GPL";
