/* examples/exitsnoop.py: process exits with exit code and age, CO-RE reads of task_struct. */
#include "common.h"

struct task_struct {
    int tgid; int exit_code; __u64 start_time; struct task_struct *real_parent;
} __core;

struct exit_event { __u64 lifetime_ns; __u32 pid, ppid; __s32 exit_code; char comm[16]; };

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 1 << 18);
} events SEC(".maps");

SEC("tracepoint/sched/sched_process_exit")
int on_exit(void *ctx)
{
    __u64 id = bpf_get_current_pid_tgid();
    struct task_struct *task, *parent;
    struct exit_event e = {};
    __u64 start_time;

    if (id >> 32 != (__u32)id)
        return 0;
    task = (struct task_struct *)bpf_get_current_task();
    e.pid = id >> 32;
    READ_KERNEL(parent, task->real_parent);
    READ_KERNEL(e.ppid, parent->tgid);
    READ_KERNEL(e.exit_code, task->exit_code);
    READ_KERNEL(start_time, task->start_time);
    e.lifetime_ns = bpf_ktime_get_ns() - start_time;
    bpf_get_current_comm(e.comm, sizeof(e.comm));
    bpf_ringbuf_output(&events, &e, sizeof(e), 0);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
