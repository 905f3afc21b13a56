/* examples/bashreadline.py: readline()'s return value read as a string, sent by perf buffer. */
#include "common.h"

struct pt_regs { unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di; };

struct line { __u32 pid; char text[128]; };

struct {
    __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
    __uint(key_size, 4);
    __uint(value_size, 4);
} events SEC(".maps");

SEC("uretprobe//bin/bash:readline")
int on_readline_return(struct pt_regs *ctx)
{
    const char *text = (const char *)ctx->ax;
    struct line e = {};

    if (!text)
        return 0;
    e.pid = bpf_get_current_pid_tgid() >> 32;
    bpf_probe_read_user_str(e.text, sizeof(e.text), text);
    bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
