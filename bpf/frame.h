// What steer.c and lossy.c share: the few kernel definitions they need
// (self-contained on purpose: no kernel or libbpf headers, so regenerating
// needs only clang and the output does not depend on the build machine's
// header versions), the frame headers, and finding a frame's UDP header.

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;

#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name

#define BPF_MAP_TYPE_HASH 1
#define BPF_MAP_TYPE_ARRAY 2
#define BPF_MAP_TYPE_PERCPU_ARRAY 6
#define BPF_MAP_TYPE_XSKMAP 17

#define XDP_DROP 1
#define XDP_PASS 2
#define XDP_REDIRECT 4

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;

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

// What find_udp found.
enum frame_kind {
	FRAME_UDP = 0,       // *udp is the UDP header, within the frame
	FRAME_OTHER = 1,     // not UDP (or not a first fragment, or IPv6 unasked)
	FRAME_MALFORMED = 2, // too short for its headers, or a bad IP version
};

// find_udp walks Ethernet, up to two VLAN tags (802.1ad outer, 802.1Q
// inner), IPv4 (and IPv6 with ipv6 set, without extension headers) to the
// UDP header. IPv4 datagrams with any of frag_mask's bits set in the
// fragment field are FRAME_OTHER: later fragments carry no UDP header.
static __attribute__((always_inline)) int find_udp(struct xdp_md *ctx, int ipv6, __u16 frag_mask, struct udp **out)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct eth *eth = data;
	void *l3;
	__u16 proto;

	if ((void *)(eth + 1) > end)
		return FRAME_MALFORMED;
	proto = eth->proto;
	l3 = eth + 1;

#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (proto != be16(ETH_P_8021Q) && proto != be16(ETH_P_8021AD))
			break;
		struct vlan *v = l3;
		if ((void *)(v + 1) > end)
			return FRAME_MALFORMED;
		proto = v->proto;
		l3 = v + 1;
	}

	struct udp *udp;
	if (proto == be16(ETH_P_IP)) {
		struct ipv4 *ip = l3;
		if ((void *)(ip + 1) > end)
			return FRAME_MALFORMED;
		__u32 ihl = ip->vihl & 0x0f;
		if ((ip->vihl >> 4) != 4 || ihl < 5)
			return FRAME_MALFORMED;
		if (ip->proto != IPPROTO_UDP || (ip->frag & be16(frag_mask)))
			return FRAME_OTHER;
		udp = (void *)ip + ihl * 4;
	} else if (ipv6 && proto == be16(ETH_P_IPV6)) {
		struct ipv6 *ip6 = l3;
		if ((void *)(ip6 + 1) > end)
			return FRAME_MALFORMED;
		if ((ip6->vtc >> 4) != 6)
			return FRAME_MALFORMED;
		// Extension headers are not walked: such datagrams are not ours.
		if (ip6->next != IPPROTO_UDP)
			return FRAME_OTHER;
		udp = (void *)(ip6 + 1);
	} else {
		return FRAME_OTHER;
	}
	if ((void *)(udp + 1) > end)
		return FRAME_MALFORMED;
	*out = udp;
	return FRAME_UDP;
}
