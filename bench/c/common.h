/* Just what the reference programs need: no kernel headers and no vmlinux.h (the pythonbpf
 * side needs none either). Helper ids and map types are the kernel's UAPI numbers; kernel
 * structs read through CO-RE are declared per program with only the members it uses. */
typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;
typedef long long __s64;
typedef _Bool bool;

#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __always_inline inline __attribute__((always_inline))
#define __core __attribute__((preserve_access_index))

enum {
    BPF_MAP_TYPE_HASH = 1, BPF_MAP_TYPE_ARRAY = 2, BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4,
    BPF_MAP_TYPE_PERCPU_HASH = 5, BPF_MAP_TYPE_PERCPU_ARRAY = 6, BPF_MAP_TYPE_STACK_TRACE = 7,
    BPF_MAP_TYPE_RINGBUF = 27,
};
#define BPF_ANY 0
#define BPF_NOEXIST 1
#define BPF_F_CURRENT_CPU 0xffffffffULL
#define BPF_F_USER_STACK (1ULL << 8)

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value, __u64 flags) = (void *)2;
static long (*bpf_map_delete_elem)(void *map, const void *key) = (void *)3;
static __u64 (*bpf_ktime_get_ns)(void) = (void *)5;
static __u64 (*bpf_get_current_pid_tgid)(void) = (void *)14;
static long (*bpf_get_current_comm)(void *buf, __u32 size) = (void *)16;
static long (*bpf_perf_event_output)(void *ctx, void *map, __u64 flags, void *data, __u64 size) = (void *)25;
static long (*bpf_skb_load_bytes)(const void *skb, __u32 offset, void *to, __u32 len) = (void *)26;
static long (*bpf_get_stackid)(void *ctx, void *map, __u64 flags) = (void *)27;
static __u64 (*bpf_get_current_task)(void) = (void *)35;
static long (*bpf_probe_read_kernel)(void *dst, __u32 size, const void *src) = (void *)113;
static long (*bpf_probe_read_user_str)(void *dst, __u32 size, const void *src) = (void *)114;
static long (*bpf_probe_read_kernel_str)(void *dst, __u32 size, const void *src) = (void *)115;
static long (*bpf_seq_printf)(void *m, const char *fmt, __u32 fmt_size, const void *data, __u32 data_len) = (void *)126;
static long (*bpf_ringbuf_output)(void *ringbuf, void *data, __u64 size, __u64 flags) = (void *)130;
static void *(*bpf_ringbuf_reserve)(void *ringbuf, __u64 size, __u64 flags) = (void *)131;
static void (*bpf_ringbuf_submit)(void *data, __u64 flags) = (void *)132;

/* One CO-RE read of a kernel member: the address is relocated by libbpf for this kernel. */
#define READ_KERNEL(dst, src) bpf_probe_read_kernel(&(dst), sizeof(dst), &(src))

/* The two trace record layouts of the syscall tracepoints (common header, then the arguments
 * as longs), and of raw_syscalls:sys_enter. */
struct trace_entry { __u16 type; __u8 flags, preempt_count; __s32 pid; };
struct syscall_enter { struct trace_entry ent; long nr; unsigned long args[6]; };
struct syscall_exit { struct trace_entry ent; long nr; long ret; };

/* floor(log2(v)), 0 for 0: a branch-free binary search over 64 bits, as the histogram tools
 * compute their slot. */
static __always_inline __u64 log2_u32(__u32 v)
{
    __u32 r, shift;

    r = (v > 0xFFFF) << 4; v >>= r;
    shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
    shift = (v > 0xF) << 2; v >>= shift; r |= shift;
    shift = (v > 0x3) << 1; v >>= shift; r |= shift;
    return r | (v >> 1);
}

static __always_inline __u64 log2_u64(__u64 v)
{
    __u32 hi = v >> 32;

    return hi ? log2_u32(hi) + 32 : log2_u32(v);
}
