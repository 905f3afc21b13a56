/* examples/execsnoop.py: one ring buffer record per exec, parent pid read through CO-RE. */
#include "common.h"

struct task_struct { int tgid; struct task_struct *real_parent; } __core;

struct sched_process_exec { struct trace_entry ent; __u32 filename_loc; int pid, old_pid; };

struct exec_event { __u64 ts; __u32 pid, ppid; char comm[16]; char filename[128]; };

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 1 << 18);
} events SEC(".maps");

SEC("tracepoint/sched/sched_process_exec")
int on_exec(struct sched_process_exec *ctx)
{
    struct task_struct *task, *parent;
    struct exec_event *e;

    e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e)
        return 0;
    e->ts = bpf_ktime_get_ns();
    e->pid = bpf_get_current_pid_tgid() >> 32;
    task = (struct task_struct *)bpf_get_current_task();
    READ_KERNEL(parent, task->real_parent);
    READ_KERNEL(e->ppid, parent->tgid);
    bpf_get_current_comm(e->comm, sizeof(e->comm));
    bpf_probe_read_kernel_str(e->filename, sizeof(e->filename),
                              (void *)ctx + (ctx->filename_loc & 0xFFFF));
    bpf_ringbuf_submit(e, 0);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
