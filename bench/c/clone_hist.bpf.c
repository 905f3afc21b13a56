/* examples/clone_hist.py (the seed): per-PID clone() counts, lookup then update. */
#include "common.h"

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 4096);
    __type(key, __s32);
    __type(value, __u64);
} hist SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_clone")
int hello(void *ctx)
{
    __s32 pid = bpf_get_current_pid_tgid() >> 32;
    __u64 one = 1, *prev, next;

    prev = bpf_map_lookup_elem(&hist, &pid);
    if (prev) {
        next = *prev + 1;
        bpf_map_update_elem(&hist, &pid, &next, BPF_ANY);
    } else {
        bpf_map_update_elem(&hist, &pid, &one, BPF_ANY);
    }
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
