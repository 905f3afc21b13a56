/* examples/biolatency.py: issue/complete joined by (dev, sector); log2 histogram per disk. */
#include "common.h"

struct block_rq { struct trace_entry ent; __u32 dev; __u64 sector; };

struct request { __u32 dev; __u64 sector; };
struct slot { __u32 dev; __u32 bucket; };

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 10240);
    __type(key, struct request);
    __type(value, __u64);
} issued SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, struct slot);
    __type(value, __u64);
} hist SEC(".maps");

const volatile __u8 IN_MS = 0;

SEC("tracepoint/block/block_rq_issue")
int on_issue(struct block_rq *ctx)
{
    struct request r = {};
    __u64 ts;

    r.dev = ctx->dev;
    r.sector = ctx->sector;
    ts = bpf_ktime_get_ns();
    bpf_map_update_elem(&issued, &r, &ts, BPF_ANY);
    return 0;
}

SEC("tracepoint/block/block_rq_complete")
int on_complete(struct block_rq *ctx)
{
    struct request r = {};
    struct slot s = {};
    __u64 *start, delta, zero = 0, *count;

    r.dev = ctx->dev;
    r.sector = ctx->sector;
    start = bpf_map_lookup_elem(&issued, &r);
    if (!start)
        return 0;
    delta = (bpf_ktime_get_ns() - *start) / 1000;
    if (IN_MS)
        delta /= 1000;
    s.dev = ctx->dev;
    s.bucket = log2_u64(delta);
    count = bpf_map_lookup_elem(&hist, &s);
    if (!count) {
        bpf_map_update_elem(&hist, &s, &zero, BPF_NOEXIST);
        count = bpf_map_lookup_elem(&hist, &s);
    }
    if (count)
        __sync_fetch_and_add(count, 1);
    bpf_map_delete_elem(&issued, &r);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
