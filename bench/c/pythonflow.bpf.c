/* examples/pythonflow.py: the call flow of a Python process through a ring buffer. */
#include "common.h"
#include "usdt.h"

struct step { __u64 ts_ns; __u32 tid, depth, entry, line; char file[96]; char name[48]; };

struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 4096); __type(key, __u32); __type(value, __u32); } depth SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 1 << 22); } events SEC(".maps");

static __attribute__((noinline)) int send(__u32 entry, __u32 d, __u64 file, __u64 name, __u32 line)
{
    struct step *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

    if (!e)
        return 0;
    e->ts_ns = bpf_ktime_get_ns();
    e->tid = bpf_get_current_pid_tgid();
    e->depth = d;
    e->entry = entry;
    e->line = line;
    bpf_probe_read_user_str(e->file, sizeof(e->file), (void *)file);
    bpf_probe_read_user_str(e->name, sizeof(e->name), (void *)name);
    bpf_ringbuf_submit(e, 0);
    return 0;
}

SEC("usdt")
int on_entry(void *ctx)
{
    __u32 tid = bpf_get_current_pid_tgid(), d = 0, *dp, next;

    dp = bpf_map_lookup_elem(&depth, &tid);
    if (dp)
        d = *dp;
    next = d + 1;
    bpf_map_update_elem(&depth, &tid, &next, BPF_ANY);
    return send(1, d, usdt_arg(ctx, 0), usdt_arg(ctx, 1), usdt_arg(ctx, 2));
}

SEC("usdt")
int on_return(void *ctx)
{
    __u32 tid = bpf_get_current_pid_tgid(), d = 0, *dp;

    dp = bpf_map_lookup_elem(&depth, &tid);
    if (dp)
        d = *dp;
    if (d > 0) {
        d -= 1;
        bpf_map_update_elem(&depth, &tid, &d, BPF_ANY);
    }
    return send(0, d, usdt_arg(ctx, 0), usdt_arg(ctx, 1), usdt_arg(ctx, 2));
}

SEC("usdt")
int on_line(void *ctx) { return 0; }

char LICENSE[] SEC("license") = "GPL";
