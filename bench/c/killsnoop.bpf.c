/* examples/killsnoop.py: kill() enter/exit joined through a per-thread map of records. */
#include "common.h"

struct kill_event { __u32 pid; __s32 target, sig, ret; char comm[16]; };

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, __u32);
    __type(value, struct kill_event);
} pending SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 1 << 16);
} events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_kill")
int on_kill_enter(struct syscall_enter *ctx)
{
    __u64 id = bpf_get_current_pid_tgid();
    __u32 tid = id;
    struct kill_event e = {};

    e.pid = id >> 32;
    e.target = (__s32)ctx->args[0];
    e.sig = (__s32)ctx->args[1];
    bpf_get_current_comm(e.comm, sizeof(e.comm));
    bpf_map_update_elem(&pending, &tid, &e, BPF_ANY);
    return 0;
}

SEC("tracepoint/syscalls/sys_exit_kill")
int on_kill_exit(struct syscall_exit *ctx)
{
    __u32 tid = bpf_get_current_pid_tgid();
    struct kill_event *e, *out;

    e = bpf_map_lookup_elem(&pending, &tid);
    if (!e)
        return 0;
    out = bpf_ringbuf_reserve(&events, sizeof(*out), 0);
    if (out) {
        out->pid = e->pid;
        out->target = e->target;
        out->sig = e->sig;
        out->ret = ctx->ret;
        __builtin_memcpy(out->comm, e->comm, sizeof(out->comm));
        bpf_ringbuf_submit(out, 0);
    }
    bpf_map_delete_elem(&pending, &tid);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
