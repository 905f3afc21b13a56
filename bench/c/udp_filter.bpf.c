/* The XDP filter of tests/lang/test_lang_packets.py, written the way a C programmer would. */
#include "common.h"

struct ethhdr { __u8 h_dest[6]; __u8 h_source[6]; __u16 h_proto; };
struct iphdr { __u8 ihl:4, version:4; __u8 tos; __u16 tot_len, id, frag_off; __u8 ttl, protocol;
               __u16 check; __u32 saddr, daddr; };
struct udphdr { __u16 source, dest, len, check; };
struct xdp_md { __u32 data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex; };

struct {
    __uint(type, 6); /* BPF_MAP_TYPE_PERCPU_ARRAY */
    __uint(max_entries, 256);
    __type(key, __u32);
    __type(value, __u64);
} per_proto SEC(".maps");

const volatile __u16 PORT = 53;
const volatile __u16 TX_PORT = 7;

SEC("xdp")
int udp_filter(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > end)
        return 2;
    if (eth->h_proto != __builtin_bswap16(0x0800))
        return 2;
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > end)
        return 1;
    __u32 key = ip->protocol;
    __u64 *count = bpf_map_lookup_elem(&per_proto, &key);
    if (count)
        *count += 1;
    if (ip->protocol != 17)
        return 2;
    struct udphdr *udp = (void *)ip + ip->ihl * 4;
    if ((void *)(udp + 1) > end)
        return 1;
    __u16 dest = __builtin_bswap16(udp->dest);
    if (dest == PORT)
        return 1;
    if (dest == TX_PORT) {
        __u8 tmp[6];
        __builtin_memcpy(tmp, eth->h_dest, 6);
        __builtin_memcpy(eth->h_dest, eth->h_source, 6);
        __builtin_memcpy(eth->h_source, tmp, 6);
        return 3;
    }
    return 2;
}

char LICENSE[] SEC("license") = "GPL";
