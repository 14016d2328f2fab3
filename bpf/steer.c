//go:build ignore

// XDP steering program for zmqx: UDP datagrams whose destination port a zmqx
// process registered are redirected to that process's AF_XDP socket on the
// receiving queue; every other frame goes to the kernel untouched.
//
// Self-contained on purpose (no kernel or libbpf headers) so that
// regenerating it needs only clang, and the output does not depend on which
// header versions the build machine has.

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;

#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name

#define BPF_MAP_TYPE_HASH 1
#define BPF_MAP_TYPE_PERCPU_ARRAY 6
#define BPF_MAP_TYPE_XSKMAP 17

#define XDP_PASS 2
#define XDP_REDIRECT 4

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_redirect_map)(void *map, __u64 key, __u64 flags) = (void *)51;

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define be16(x) __builtin_bswap16(x)
#else
#define be16(x) (x)
#endif

struct xdp_md {
	__u32 data;
	__u32 data_end;
	__u32 data_meta;
	__u32 ingress_ifindex;
	__u32 rx_queue_index;
	__u32 egress_ifindex;
};

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

struct eth {
	__u8 dst[6];
	__u8 src[6];
	__u16 proto;
};

struct vlan {
	__u16 tci;
	__u16 proto;
};

struct ipv4 {
	__u8 vihl;
	__u8 tos;
	__u16 len;
	__u16 id;
	__u16 frag;
	__u8 ttl;
	__u8 proto;
	__u16 csum;
	__u32 src;
	__u32 dst;
};

struct ipv6 {
	__u8 vtc;
	__u8 tcfl[3];
	__u16 len;
	__u8 next;
	__u8 hops;
	__u8 src[16];
	__u8 dst[16];
};

struct udp {
	__u16 sport;
	__u16 dport;
	__u16 len;
	__u16 csum;
};

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define IPPROTO_UDP 17

SEC("xdp")
int steer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct eth *eth = data;
	void *l3;
	__u16 proto;

	if ((void *)(eth + 1) > end)
		return count(COUNTER_MALFORMED, XDP_PASS);
	proto = eth->proto;
	l3 = eth + 1;

	// Up to two VLAN tags (802.1ad outer, 802.1Q inner).
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (proto != be16(ETH_P_8021Q) && proto != be16(ETH_P_8021AD))
			break;
		struct vlan *v = l3;
		if ((void *)(v + 1) > end)
			return count(COUNTER_MALFORMED, XDP_PASS);
		proto = v->proto;
		l3 = v + 1;
	}

	struct udp *udp;
	if (proto == be16(ETH_P_IP)) {
		struct ipv4 *ip = l3;
		if ((void *)(ip + 1) > end)
			return count(COUNTER_MALFORMED, XDP_PASS);
		__u32 ihl = ip->vihl & 0x0f;
		if ((ip->vihl >> 4) != 4 || ihl < 5)
			return count(COUNTER_MALFORMED, XDP_PASS);
		if (ip->proto != IPPROTO_UDP)
			return count(COUNTER_PASSED, XDP_PASS);
		// Later fragments carry no UDP header; leave reassembly to the kernel.
		if (ip->frag & be16(0x3fff))
			return count(COUNTER_PASSED, XDP_PASS);
		udp = (void *)ip + ihl * 4;
	} else if (proto == be16(ETH_P_IPV6)) {
		struct ipv6 *ip6 = l3;
		if ((void *)(ip6 + 1) > end)
			return count(COUNTER_MALFORMED, XDP_PASS);
		if ((ip6->vtc >> 4) != 6)
			return count(COUNTER_MALFORMED, XDP_PASS);
		// Extension headers are not walked: such datagrams go to the kernel.
		if (ip6->next != IPPROTO_UDP)
			return count(COUNTER_PASSED, XDP_PASS);
		udp = (void *)(ip6 + 1);
	} else {
		return count(COUNTER_PASSED, XDP_PASS);
	}
	if ((void *)(udp + 1) > end)
		return count(COUNTER_MALFORMED, XDP_PASS);

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
