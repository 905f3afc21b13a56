/* examples/runqlat.py: run queue latency, BTF-typed tracepoints (direct task_struct reads). */
#include "common.h"

#define TASK_RUNNING 0

struct task_struct { int pid; } __core;

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 10240);
    __type(key, __u32);
    __type(value, __u64);
} enqueued SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 64);
    __type(key, __u32);
    __type(value, __u64);
} hist SEC(".maps");

static __always_inline int enqueue(__u32 tid)
{
    __u64 ts = bpf_ktime_get_ns();

    bpf_map_update_elem(&enqueued, &tid, &ts, BPF_ANY);
    return 0;
}

/* tp_btf arguments: an array of u64, one per tracepoint argument */
SEC("tp_btf/sched_wakeup")
int on_wakeup(__u64 *ctx)
{
    struct task_struct *p = (void *)ctx[0];

    return enqueue(p->pid);
}

SEC("tp_btf/sched_wakeup_new")
int on_wakeup_new(__u64 *ctx)
{
    struct task_struct *p = (void *)ctx[0];

    return enqueue(p->pid);
}

SEC("tp_btf/sched_switch")
int on_switch(__u64 *ctx)
{
    struct task_struct *prev = (void *)ctx[1], *next = (void *)ctx[2];
    __u32 prev_state = ctx[3], tid, slot;
    __u64 now = bpf_ktime_get_ns(), *since, *count;

    if (prev_state == TASK_RUNNING) {
        tid = prev->pid;
        bpf_map_update_elem(&enqueued, &tid, &now, BPF_ANY);
    }
    tid = next->pid;
    since = bpf_map_lookup_elem(&enqueued, &tid);
    if (!since)
        return 0;
    slot = log2_u64((now - *since) / 1000);
    count = bpf_map_lookup_elem(&hist, &slot);
    if (count)
        __sync_fetch_and_add(count, 1);
    bpf_map_delete_elem(&enqueued, &tid);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
