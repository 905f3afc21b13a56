/* examples/opensnoop.py: every openat() with pid, flags, comm and path, by ring buffer. */
#include "common.h"

struct open_event { __u32 pid; __s32 flags; char comm[16]; char path[256]; };

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 1 << 18);
} events SEC(".maps");

const volatile __u32 TARGET_PID = 0;

SEC("tracepoint/syscalls/sys_enter_openat")
int on_openat(struct syscall_enter *ctx)
{
    __u32 pid = bpf_get_current_pid_tgid() >> 32;
    struct open_event *e;

    if (TARGET_PID && pid != TARGET_PID)
        return 0;
    e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e)
        return 0;
    e->pid = pid;
    e->flags = (__s32)ctx->args[2];
    bpf_get_current_comm(e->comm, sizeof(e->comm));
    bpf_probe_read_user_str(e->path, sizeof(e->path), (const char *)ctx->args[1]);
    bpf_ringbuf_submit(e, 0);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
