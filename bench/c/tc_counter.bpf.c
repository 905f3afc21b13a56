/* examples/tc_counter.py: packets and bytes per direction, tc ingress and egress programs. */
#include "common.h"

#define TC_ACT_OK 0
#define INGRESS 0
#define EGRESS 1

struct __sk_buff { __u32 len; };

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u64);
} packets SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u64);
} octets SEC(".maps");

static __always_inline int count(struct __sk_buff *skb, __u32 direction)
{
    __u64 *value;

    value = bpf_map_lookup_elem(&packets, &direction);
    if (value)
        __sync_fetch_and_add(value, 1);
    value = bpf_map_lookup_elem(&octets, &direction);
    if (value)
        __sync_fetch_and_add(value, skb->len);
    return TC_ACT_OK;
}

SEC("tc")
int on_ingress(struct __sk_buff *skb) { return count(skb, INGRESS); }

SEC("tc")
int on_egress(struct __sk_buff *skb) { return count(skb, EGRESS); }
