/* The per-PID counter job, the way libbpf-tools writes it: lookup-or-try-init, atomic add. */
#include "common.h"

struct {
    __uint(type, 1); /* BPF_MAP_TYPE_HASH */
    __uint(max_entries, 10240);
    __type(key, __u32);
    __type(value, __u64);
} counts SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int count(void *ctx)
{
    __u32 pid = bpf_get_current_pid_tgid() >> 32;
    __u64 zero = 0, *value;

    value = bpf_map_lookup_elem(&counts, &pid);
    if (!value) {
        bpf_map_update_elem(&counts, &pid, &zero, BPF_NOEXIST);
        value = bpf_map_lookup_elem(&counts, &pid);
        if (!value)
            return 0;
    }
    __sync_fetch_and_add(value, 1);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
