/* examples/profile.py: 99 Hz stack samples counted per (pid, kernel stack, user stack, comm). */
#include "common.h"

#define MAX_STACK_DEPTH 127

struct sample { __u32 pid; __s32 kernel_stack, user_stack; char comm[16]; };

struct {
    __uint(type, BPF_MAP_TYPE_STACK_TRACE);
    __uint(max_entries, 16384);
    __uint(key_size, sizeof(__u32));
    __uint(value_size, MAX_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16384);
    __type(key, struct sample);
    __type(value, __u64);
} counts SEC(".maps");

const volatile __u32 TARGET_PID = 0;

SEC("perf_event")
int on_sample(void *ctx)
{
    __u32 pid = bpf_get_current_pid_tgid() >> 32;
    struct sample s = {};
    __u64 zero = 0, *count;

    if (pid == 0)
        return 0;
    if (TARGET_PID && pid != TARGET_PID)
        return 0;
    s.pid = pid;
    s.kernel_stack = bpf_get_stackid(ctx, &stacks, 0);
    s.user_stack = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
    bpf_get_current_comm(s.comm, sizeof(s.comm));
    count = bpf_map_lookup_elem(&counts, &s);
    if (!count) {
        bpf_map_update_elem(&counts, &s, &zero, BPF_NOEXIST);
        count = bpf_map_lookup_elem(&counts, &s);
    }
    if (count)
        __sync_fetch_and_add(count, 1);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
