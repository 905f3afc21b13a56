/* examples/pythongc.py: garbage collection pauses and collections per generation. */
#include "common.h"
#include "usdt.h"

struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 4096); __type(key, __u32); __type(value, __u64); } started SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 64); __type(key, __u32); __type(value, __u64); } pauses SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 4); __type(key, __u32); __type(value, __u64); } generations SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u64); } collected SEC(".maps");

SEC("usdt")
int on_start(void *ctx)
{
    __u32 tid = bpf_get_current_pid_tgid(), gen;
    __u64 now = bpf_ktime_get_ns(), *n;

    bpf_map_update_elem(&started, &tid, &now, BPF_ANY);
    gen = usdt_arg(ctx, 0) & 3;
    n = bpf_map_lookup_elem(&generations, &gen);
    if (n)
        __sync_fetch_and_add(n, 1);
    return 0;
}

SEC("usdt")
int on_done(void *ctx)
{
    __u32 tid = bpf_get_current_pid_tgid(), slot, zero = 0;
    __u64 *t, *n;

    t = bpf_map_lookup_elem(&started, &tid);
    if (t) {
        slot = log2_u64((bpf_ktime_get_ns() - *t) / 1000);
        n = bpf_map_lookup_elem(&pauses, &slot);
        if (n)
            __sync_fetch_and_add(n, 1);
        bpf_map_delete_elem(&started, &tid);
    }
    n = bpf_map_lookup_elem(&collected, &zero);
    if (n)
        __sync_fetch_and_add(n, usdt_arg(ctx, 0));
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
