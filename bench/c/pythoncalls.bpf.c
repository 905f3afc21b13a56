/* examples/pythoncalls.py: calls and inclusive time per Python function, from CPython's USDT. */
#include "common.h"
#include "usdt.h"

struct function { char file[96]; char name[48]; __u32 line; };
struct calls { __u64 count, total_ns; };
struct entered { __u64 start_ns; __u32 line; };

struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 4096); __type(key, __u32); __type(value, __u32); } depth SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 65536); __type(key, __u64); __type(value, struct entered); } entered SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 10240); __type(key, struct function); __type(value, struct calls); } calls SEC(".maps");

SEC("usdt")
int on_entry(void *ctx)
{
    __u32 tid = bpf_get_current_pid_tgid(), d = 0, *dp, next;
    struct entered e = {};
    __u64 key;

    dp = bpf_map_lookup_elem(&depth, &tid);
    if (dp)
        d = *dp;
    if (d < 128) {
        e.start_ns = bpf_ktime_get_ns();
        e.line = usdt_arg(ctx, 2);
        key = ((__u64)tid << 32) | d;
        bpf_map_update_elem(&entered, &key, &e, BPF_ANY);
    }
    next = d + 1;
    bpf_map_update_elem(&depth, &tid, &next, BPF_ANY);
    return 0;
}

SEC("usdt")
int on_return(void *ctx)
{
    __u32 tid = bpf_get_current_pid_tgid(), d = 0, *dp;
    struct function key = {};
    struct calls zero = {}, *c;
    struct entered *e;
    __u64 elapsed = 0, slot;

    bpf_probe_read_user_str(key.file, sizeof(key.file), (void *)usdt_arg(ctx, 0));
    bpf_probe_read_user_str(key.name, sizeof(key.name), (void *)usdt_arg(ctx, 1));
    key.line = usdt_arg(ctx, 2);
    dp = bpf_map_lookup_elem(&depth, &tid);
    if (dp)
        d = *dp;
    if (d > 0) {
        d -= 1;
        bpf_map_update_elem(&depth, &tid, &d, BPF_ANY);
        slot = ((__u64)tid << 32) | d;
        e = bpf_map_lookup_elem(&entered, &slot);
        if (e) {
            elapsed = bpf_ktime_get_ns() - e->start_ns;
            key.line = e->line;
        }
    }
    c = bpf_map_lookup_elem(&calls, &key);
    if (!c) {
        bpf_map_update_elem(&calls, &key, &zero, BPF_ANY);
        c = bpf_map_lookup_elem(&calls, &key);
    }
    if (c) {
        c->count += 1;
        c->total_ns += elapsed;
    }
    return 0;
}

SEC("usdt")
int on_line(void *ctx) { return 0; }

char LICENSE[] SEC("license") = "GPL";
