/* examples/syscount.py: syscalls counted per number (or per process) in a per-CPU hash. */
#include "common.h"

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
    __uint(max_entries, 10240);
    __type(key, __u32);
    __type(value, __u64);
} counts SEC(".maps");

const volatile __u8 BY_PROCESS = 0;

SEC("tracepoint/raw_syscalls/sys_enter")
int on_sys_enter(struct syscall_enter *ctx)
{
    __u32 key = BY_PROCESS ? bpf_get_current_pid_tgid() >> 32 : ctx->nr;
    __u64 zero = 0, *count;

    count = bpf_map_lookup_elem(&counts, &key);
    if (!count) {
        bpf_map_update_elem(&counts, &key, &zero, BPF_NOEXIST);
        count = bpf_map_lookup_elem(&counts, &key);
        if (!count)
            return 0;
    }
    *count += 1;
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
