/* USDT arguments the way libbpf-tools read them (bpf/usdt.bpf.h's bpf_usdt_arg), declared here
 * since the reference programs use no libbpf headers: the two maps libbpf fills when it attaches
 * (names, sizes and the spec layout are libbpf's), and one subprogram that every probe calls.
 * The spec id is the attach cookie (kernels with BPF cookies, 5.15+). Operand kinds: constant,
 * register, memory at register + offset, and the scale-index-base form newer libbpf parses. */
static __u64 (*bpf_get_attach_cookie)(void *ctx) = (void *)174;
static long (*bpf_probe_read_user)(void *dst, __u32 size, const void *src) = (void *)112;

struct usdt_arg_spec { __u64 val_off; __u32 arg_type; short reg_off; bool arg_signed; char arg_bitshift; };
struct usdt_spec { struct usdt_arg_spec args[12]; __u64 usdt_cookie; short arg_cnt; };

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 256);
    __type(key, int);
    __type(value, struct usdt_spec);
} __bpf_usdt_specs SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, long);
    __type(value, __u32);
} __bpf_usdt_ip_to_spec_id SEC(".maps");

/* Argument n of this probe site, sized and sign-extended as its spec says; 0 if it has none. */
static __attribute__((noinline)) long usdt_arg(void *ctx, __u64 n)
{
    int id = bpf_get_attach_cookie(ctx);
    struct usdt_spec *spec = bpf_map_lookup_elem(&__bpf_usdt_specs, &id);
    struct usdt_arg_spec *arg;
    unsigned long val = 0;

    if (!spec || n >= 12 || n >= spec->arg_cnt)
        return 0;
    arg = &spec->args[n];
    switch (arg->arg_type & 0xff) {
    case 0:
        val = arg->val_off;
        break;
    case 1:
        bpf_probe_read_kernel(&val, sizeof(val), (void *)ctx + arg->reg_off);
        break;
    case 2:
        bpf_probe_read_kernel(&val, sizeof(val), (void *)ctx + arg->reg_off);
        bpf_probe_read_user(&val, sizeof(val), (void *)val + arg->val_off);
        break;
    case 3: {  /* base + (index << scale) + offset: newer libbpf's SIB operands */
        unsigned long base, index;

        bpf_probe_read_kernel(&base, sizeof(base), (void *)ctx + arg->reg_off);
        bpf_probe_read_kernel(&index, sizeof(index), (void *)ctx + ((arg->arg_type >> 8) & 0xfff));
        bpf_probe_read_user(&val, sizeof(val), (void *)(base + (index << ((arg->arg_type >> 20) & 0xf)) + arg->val_off));
        break;
    }
    default:
        return 0;
    }
    val <<= arg->arg_bitshift;
    return arg->arg_signed ? (long)val >> arg->arg_bitshift : val >> arg->arg_bitshift;
}
