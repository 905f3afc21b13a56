/* examples/tcpstates.py: TCP state changes with addresses and time in the previous state. */
#include "common.h"

#define IPPROTO_TCP 6
#define TCP_CLOSE 7
#define AF_INET 2

struct inet_sock_set_state {
    struct trace_entry ent;
    const void *skaddr;
    int oldstate, newstate;
    __u16 sport, dport, family, protocol;
    __u8 saddr[4], daddr[4], saddr_v6[16], daddr_v6[16];
};

struct state_change {
    __u64 skaddr, span_ns;
    __u32 pid;
    __s32 oldstate, newstate;
    __u16 family, sport, dport;
    __u8 saddr[4], daddr[4], saddr6[16], daddr6[16];
    char comm[16];
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 10240);
    __type(key, __u64);
    __type(value, __u64);
} last_change SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 1 << 18);
} events SEC(".maps");

SEC("tracepoint/sock/inet_sock_set_state")
int on_state(struct inet_sock_set_state *ctx)
{
    struct state_change *e;
    __u64 now, sk, *before;

    if (ctx->protocol != IPPROTO_TCP)
        return 0;
    now = bpf_ktime_get_ns();
    sk = (__u64)ctx->skaddr;
    e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e)
        return 0;
    e->skaddr = sk;
    before = bpf_map_lookup_elem(&last_change, &sk);
    e->span_ns = before ? now - *before : 0;
    e->pid = bpf_get_current_pid_tgid() >> 32;
    e->oldstate = ctx->oldstate;
    e->newstate = ctx->newstate;
    e->family = ctx->family;
    e->sport = ctx->sport;
    e->dport = ctx->dport;
    if (ctx->family == AF_INET) {
        __builtin_memcpy(e->saddr, ctx->saddr, sizeof(e->saddr));
        __builtin_memcpy(e->daddr, ctx->daddr, sizeof(e->daddr));
    } else {
        __builtin_memcpy(e->saddr6, ctx->saddr_v6, sizeof(e->saddr6));
        __builtin_memcpy(e->daddr6, ctx->daddr_v6, sizeof(e->daddr6));
    }
    bpf_get_current_comm(e->comm, sizeof(e->comm));
    bpf_ringbuf_submit(e, 0);
    if (ctx->newstate == TCP_CLOSE)
        bpf_map_delete_elem(&last_change, &sk);
    else
        bpf_map_update_elem(&last_change, &sk, &now, BPF_ANY);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
