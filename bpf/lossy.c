//go:build ignore

// XDP loss injector for zmqx's tests: attached to a router's ingress
// device, it drops a configured share of the IPv4 UDP datagrams (VLAN
// tagged or not) to a configured set of destination ports, or to any port
// when the set is empty, optionally in bursts, and passes every other frame.
// tc netem cannot do this for AF_XDP traffic: frames an AF_XDP socket
// transmits never pass the sender's qdisc.
//
// Self-contained like steer.c (see frame.h).

#include "frame.h"

static __u32 (*bpf_get_prandom_u32)(void) = (void *)7;

// MAX_LOSS_PORTS must match the Go loader.
#define MAX_LOSS_PORTS 64
#define PER_MILLION 1000000

// Per frame the counters move in this order: SEEN first; then, for a
// matched frame, DROPPED (when dropped) before MATCHED; PASSED last. A
// reader that reads PASSED, MATCHED, DROPPED, SEEN in that order while
// traffic flows therefore finds SEEN >= DROPPED + PASSED, and DROPPED
// covering every frame MATCHED counts.
enum loss_counter {
	LOSS_SEEN = 0,    // every frame the program ran on
	LOSS_MATCHED = 1, // IPv4 UDP to a selected port: candidates for dropping
	LOSS_DROPPED = 2, // matched frames dropped (random or in a burst)
	LOSS_PASSED = 3,  // everything else: SEEN == DROPPED + PASSED at rest
	LOSS_COUNTER_MAX = 4,
};

// The one configuration entry, written by the loader.
struct loss_config {
	__u32 per_million; // drop probability of a matched frame, in millionths
	__u32 burst;       // after a random drop, drop this many more matched frames
	__u32 all_ports;   // nonzero: every UDP port is selected (the port set is empty)
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct loss_config);
} loss_config SEC(".maps");

// Selected destination ports (two bytes in network order).
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_LOSS_PORTS);
	__type(key, __u16);
	__type(value, __u8);
} loss_ports SEC(".maps");

// Per CPU: matched frames still to drop in the current burst.
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} loss_burst SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LOSS_COUNTER_MAX);
	__type(key, __u32);
	__type(value, __u64);
} loss_counters SEC(".maps");

static __attribute__((always_inline)) void bump(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&loss_counters, &which);
	if (c)
		*c += 1;
}

static __attribute__((always_inline)) int pass(void)
{
	bump(LOSS_PASSED);
	return XDP_PASS;
}

SEC("xdp")
int lossy(struct xdp_md *ctx)
{
	struct udp *udp;

	bump(LOSS_SEEN);
	// IPv4 only; later fragments carry no UDP header.
	if (find_udp(ctx, 0, 0x1fff, &udp) != FRAME_UDP)
		return pass();

	__u32 zero = 0;
	struct loss_config *cfg = bpf_map_lookup_elem(&loss_config, &zero);
	if (!cfg)
		return pass();
	if (!cfg->all_ports) {
		__u16 port = udp->dport;
		if (!bpf_map_lookup_elem(&loss_ports, &port))
			return pass();
	}
	__u32 *left = bpf_map_lookup_elem(&loss_burst, &zero);
	if (!left) {
		bump(LOSS_MATCHED);
		return pass();
	}
	__u32 rate = cfg->per_million;
	int drop = 0;
	if (rate == 0) {
		// Loss switched off: no burst outlives it.
		*left = 0;
	} else if (*left > 0) {
		*left -= 1;
		drop = 1;
	} else {
		// A uniform draw in [0, PER_MILLION) by multiply-and-shift.
		__u32 draw = (__u32)(((__u64)bpf_get_prandom_u32() * PER_MILLION) >> 32);
		if (draw < rate) {
			*left = cfg->burst;
			drop = 1;
		}
	}
	if (drop) {
		bump(LOSS_DROPPED);
		bump(LOSS_MATCHED);
		return XDP_DROP;
	}
	bump(LOSS_MATCHED);
	return pass();
}

char __license[] SEC("license") = "Dual MIT/GPL";
