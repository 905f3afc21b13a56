/* examples/xdp_protocols.py: packets per IP protocol (IPv4 and IPv6) in a per-CPU array. */
#include "common.h"

#define XDP_PASS 2
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD

struct xdp_md { __u32 data, data_end; };
struct ethhdr { __u8 h_dest[6], h_source[6]; __u16 h_proto; };
struct iphdr { __u8 ihl_version, tos; __u16 tot_len, id, frag_off; __u8 ttl, protocol;
               __u16 check; __u32 saddr, daddr; };
struct ipv6hdr { __u32 flow; __u16 payload_len; __u8 nexthdr, hop_limit; __u8 saddr[16], daddr[16]; };

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 256);
    __type(key, __u32);
    __type(value, __u64);
} packets SEC(".maps");

static __always_inline void count(__u32 protocol)
{
    __u64 *value = bpf_map_lookup_elem(&packets, &protocol);

    if (value)
        *value += 1;
}

SEC("xdp")
int count_protocols(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;

    if ((void *)(eth + 1) > end)
        return XDP_PASS;
    if (eth->h_proto == __builtin_bswap16(ETH_P_IP)) {
        struct iphdr *ip = (void *)(eth + 1);

        if ((void *)(ip + 1) <= end)
            count(ip->protocol);
    } else if (eth->h_proto == __builtin_bswap16(ETH_P_IPV6)) {
        struct ipv6hdr *ip6 = (void *)(eth + 1);

        if ((void *)(ip6 + 1) <= end)
            count(ip6->nexthdr);
    }
    return XDP_PASS;
}
