/* examples/udpfilter.py: a socket filter on a UDP socket, blocked source ports from a map. */
#include "common.h"

#define KEEP 0xFFFF
#define DROP 0
#define PASSED 0
#define DROPPED 1

struct __sk_buff;
struct udphdr { __u16 source, dest, len, check; };

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 64);
    __type(key, __u16);
    __type(value, __u8);
} blocked SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u64);
} verdicts SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 32);
    __type(key, __u32);
    __type(value, __u64);
} sizes SEC(".maps");

static __always_inline void count(void *map, __u32 key)
{
    __u64 *value = bpf_map_lookup_elem(map, &key);

    if (value)
        __sync_fetch_and_add(value, 1);
}

SEC("socket")
int filter_udp(struct __sk_buff *skb)
{
    struct udphdr udp;
    __u16 port;

    /* for a UDP socket the data starts at the UDP header */
    if (bpf_skb_load_bytes(skb, 0, &udp, sizeof(udp)) < 0)
        return KEEP;
    port = __builtin_bswap16(udp.source);
    if (bpf_map_lookup_elem(&blocked, &port)) {
        count(&verdicts, DROPPED);
        return DROP;
    }
    count(&verdicts, PASSED);
    count(&sizes, log2_u64((__u16)(__builtin_bswap16(udp.len) - 8)));
    return KEEP;
}
