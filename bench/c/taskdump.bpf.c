/* examples/taskdump.py: a task iterator printing tgid, pid, parent's tgid and comm. */
#include "common.h"

struct task_struct { int pid, tgid; struct task_struct *real_parent; char comm[16]; } __core;
struct seq_file;
struct bpf_iter_meta { struct seq_file *seq; } __core;
struct bpf_iter__task { struct bpf_iter_meta *meta; struct task_struct *task; } __core;

const volatile __u8 THREADS = 0;

SEC("iter/task")
int dump_task(struct bpf_iter__task *ctx)
{
    static const char fmt[] = "%lld %lld %lld %s\n";
    struct task_struct *task = ctx->task;
    __u64 args[4];

    if (!task)
        return 0;
    if (THREADS == 0 && task->pid != task->tgid)
        return 0;
    args[0] = task->tgid;
    args[1] = task->pid;
    args[2] = task->real_parent->tgid;
    args[3] = (__u64)task->comm;
    bpf_seq_printf(ctx->meta->seq, fmt, sizeof(fmt), args, sizeof(args));
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
