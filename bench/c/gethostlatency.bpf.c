/* examples/gethostlatency.py: uprobe/uretprobe pairs on libc lookups, joined per thread. */
#include "common.h"

struct pt_regs { unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di; };

struct lookup { __u64 start_ns, latency_ns; __u32 pid; char comm[16]; char host[80]; };

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, __u32);
    __type(value, struct lookup);
} started SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 1 << 16);
} events SEC(".maps");

static __always_inline int remember(const char *host)
{
    __u64 id = bpf_get_current_pid_tgid();
    __u32 tid = id;
    struct lookup e = {};

    e.start_ns = bpf_ktime_get_ns();
    e.pid = id >> 32;
    bpf_get_current_comm(e.comm, sizeof(e.comm));
    bpf_probe_read_user_str(e.host, sizeof(e.host), host);
    bpf_map_update_elem(&started, &tid, &e, BPF_ANY);
    return 0;
}

static __always_inline int report(void)
{
    __u32 tid = bpf_get_current_pid_tgid();
    struct lookup *e;

    e = bpf_map_lookup_elem(&started, &tid);
    if (!e)
        return 0;
    e->latency_ns = bpf_ktime_get_ns() - e->start_ns;
    bpf_ringbuf_output(&events, e, sizeof(*e), 0);
    bpf_map_delete_elem(&started, &tid);
    return 0;
}

SEC("uprobe")
int on_getaddrinfo(struct pt_regs *ctx) { return remember((const char *)ctx->di); }

SEC("uretprobe")
int on_getaddrinfo_return(struct pt_regs *ctx) { return report(); }

SEC("uprobe")
int on_gethostbyname(struct pt_regs *ctx) { return remember((const char *)ctx->di); }

SEC("uretprobe")
int on_gethostbyname_return(struct pt_regs *ctx) { return report(); }

char LICENSE[] SEC("license") = "GPL";
