"""BPF helpers: one row per kernel helper pythonbpf calls, and the language's functions over them.

A `Helper` is the kernel's: its id (what a BPF call instruction carries), its name without
`bpf_`, its C signature, whether only GPL-compatible programs may call it, and the Linux
version that added it. Lowering emits calls by name through these rows, the frontend refuses
a GPL-only call under another license, and the loader names a helper the kernel lacks.

Which program kinds may call a helper is measured, not assumed: tools/helper_matrix.py loads a
minimal program per (function, kind) into the running kernel (and, under tools/kmatrix.py, into
Debian's 6.1 and 6.12), and `programs` / `later` below record what it found. The frontend refuses
a call the newest measured kernel refuses, at its line; `later` names the kinds older kernels
refused, so that the loader's error on such a kernel says which Linux lets them call it.

A `Function` is the language's (`pid()`, `ktime()`): a name programs call and the one helper
behind it. A function with a `result` type is *plain*: integer arguments in, one integer out,
checked and lowered by the same code for every such row, so adding one is a row here and a
stub in `pythonbpf.helper` (lang/helpers.py). Functions without a result type (`comm()`,
`probe_read_kernel()`, the packet helpers) have their own rules in the frontend; their row
still names the helper they call, for the license check and the docs.
"""
from __future__ import annotations

from ..record import record

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Dict, Tuple


@record(frozen=True)
class Helper:
    """One kernel helper. Types are C's, as in linux/bpf.h ("u64", "long", "void *", "ctx",
    "map"); `programs` the program kinds (kinds/programs.py names, as the compiler applies
    them: `tcx/ingress` is `tc`) that may call it on the newest kernel measured, empty for every
    kind the compiler builds; `later` pairs of (kinds, Linux version) for kinds that could call
    it only from a later Linux than `since`: the oldest measured kernel that loaded the call
    (tools/helper_matrix.py; older measured kernels refused it, so the true version lies
    between); `stable`: its result cannot change while one program runs (the current task, its
    ids, the CPU), so LLVM may compute it once."""

    id: int
    name: str
    since: str
    returns: str
    args: "Tuple[str, ...]" = ()
    gpl_only: bool = False
    programs: "Tuple[str, ...]" = ()
    stable: bool = False
    later: "Tuple[Tuple[Tuple[str, ...], str], ...]" = ()


# Program kinds in groups, by what the kernel lets them call (tools/helper_matrix.py measures).
_SKB = ("tc", "socket", "cgroup_skb")  # an __sk_buff the skb helpers read
_PACKET = ("xdp", *_SKB)  # packet hooks, run in whatever task the packet meets
_NETWORK = (*_PACKET, "netfilter")
_SOCK_CGROUP = ("cgroup/connect4", "cgroup/connect6", "cgroup/getsockopt", "cgroup/setsockopt")
_TRACING = ("tracepoint", "raw_tp", "tp_btf", "uprobe", "uretprobe", "usdt", "kprobe",
            "kretprobe", "fentry", "fexit", "lsm", "perf_event", "iter")
# The current task's ids and cgroup: packet hooks may read them since some 6.x (6.1 refuses,
# 6.12 allows; upstream: "Allow helper bpf_get_[ns_]current_pid_tgid() for all prog types",
# Linux 6.10), its uid, gid and comm later still (6.12 refuses, the host's 6.18 allows).
_TASK_IDS = ((_PACKET, "6.12"),)
_TASK_CREDS = ((_NETWORK, "6.18"),)

HELPERS: "Tuple[Helper, ...]" = (
    Helper(1, "map_lookup_elem", "3.19", "void *", ("map", "const void *key")),
    Helper(2, "map_update_elem", "3.19", "long", ("map", "const void *key", "const void *value", "u64 flags")),
    Helper(3, "map_delete_elem", "3.19", "long", ("map", "const void *key")),
    Helper(5, "ktime_get_ns", "4.1", "u64"),
    Helper(6, "trace_printk", "4.1", "long", ("const char *fmt", "u32 fmt_size", "..."), gpl_only=True),
    Helper(7, "get_prandom_u32", "4.1", "u32"),
    Helper(8, "get_smp_processor_id", "4.1", "u32", stable=True),
    Helper(9, "skb_store_bytes", "4.1", "long",
           ("ctx", "u32 offset", "const void *from", "u32 len", "u64 flags"), programs=("tc",)),
    Helper(10, "l3_csum_replace", "4.1", "long", ("ctx", "u32 offset", "u64 from", "u64 to", "u64 size"),
           programs=("tc",)),
    Helper(11, "l4_csum_replace", "4.1", "long", ("ctx", "u32 offset", "u64 from", "u64 to", "u64 flags"),
           programs=("tc",)),
    Helper(12, "tail_call", "4.2", "long", ("ctx", "map", "u32 index")),
    Helper(14, "get_current_pid_tgid", "4.2", "u64", stable=True, later=_TASK_IDS),
    Helper(15, "get_current_uid_gid", "4.2", "u64", stable=True, later=_TASK_CREDS),
    Helper(16, "get_current_comm", "4.2", "long", ("void *buf", "u32 size"), later=_TASK_CREDS),
    Helper(23, "redirect", "4.4", "long", ("u32 ifindex", "u64 flags"), programs=("xdp", "tc")),
    Helper(25, "perf_event_output", "4.4", "long",
           ("ctx", "map", "u64 flags", "void *data", "u64 size"), gpl_only=True,
           programs=(*_PACKET, *_SOCK_CGROUP, *_TRACING)),
    Helper(26, "skb_load_bytes", "4.5", "long", ("ctx", "u32 offset", "void *to", "u32 len"),
           programs=_SKB),
    Helper(27, "get_stackid", "4.6", "long", ("ctx", "map", "u64 flags"), gpl_only=True,
           programs=_TRACING),
    Helper(35, "get_current_task", "4.8", "u64", gpl_only=True, stable=True),
    Helper(44, "xdp_adjust_head", "4.10", "long", ("ctx", "int delta"), programs=("xdp",)),
    Helper(51, "redirect_map", "4.14", "long", ("map", "u64 key", "u64 flags"), programs=("xdp",)),
    Helper(65, "xdp_adjust_tail", "4.18", "long", ("ctx", "int delta"), programs=("xdp",)),
    Helper(80, "get_current_cgroup_id", "4.18", "u64", stable=True, later=_TASK_IDS),
    Helper(87, "map_push_elem", "4.20", "long", ("map", "const void *value", "u64 flags")),
    Helper(88, "map_pop_elem", "4.20", "long", ("map", "void *value")),
    Helper(89, "map_peek_elem", "4.20", "long", ("map", "void *value")),
    Helper(112, "probe_read_user", "5.5", "long", ("void *dst", "u32 size", "const void *src"), gpl_only=True),
    Helper(113, "probe_read_kernel", "5.5", "long", ("void *dst", "u32 size", "const void *src"), gpl_only=True),
    Helper(114, "probe_read_user_str", "5.5", "long", ("void *dst", "u32 size", "const void *src"),
           gpl_only=True),
    Helper(115, "probe_read_kernel_str", "5.5", "long", ("void *dst", "u32 size", "const void *src"),
           gpl_only=True),
    Helper(125, "ktime_get_boot_ns", "5.8", "u64"),
    Helper(126, "seq_printf", "5.7", "long",
           ("struct seq_file *m", "const char *fmt", "u32 fmt_size", "const void *data", "u32 data_len"),
           gpl_only=True),
    Helper(130, "ringbuf_output", "5.8", "long", ("map", "void *data", "u64 size", "u64 flags")),
    Helper(131, "ringbuf_reserve", "5.8", "void *", ("map", "u64 size", "u64 flags")),
    Helper(132, "ringbuf_submit", "5.8", "void", ("void *data", "u64 flags")),
    Helper(133, "ringbuf_discard", "5.8", "void", ("void *data", "u64 flags")),
    Helper(174, "get_attach_cookie", "5.15", "u64", ("ctx",)),
    Helper(177, "trace_vprintk", "5.16", "long",
           ("const char *fmt", "u32 fmt_size", "const void *data", "u32 data_len"), gpl_only=True),
    Helper(181, "loop", "5.17", "long", ("u32 nr_loops", "void *callback_fn", "void *callback_ctx", "u64 flags")),
    Helper(189, "xdp_load_bytes", "5.18", "long", ("ctx", "u32 offset", "void *buf", "u32 len"),
           programs=("xdp",)),
)


@record(frozen=True)
class Function:
    """A function programs call by name, and the helper it calls. `result` (an integer type
    name, "u32") makes it plain: `args` are integer type names, the value is the helper's
    result shifted right by `shift` bits and cut to `result`. `doc` is its one-line
    description (the stub's docstring and the docs' table)."""

    name: str
    helper: str
    doc: str
    result: str = ""
    args: "Tuple[str, ...]" = ()
    shift: int = 0


FUNCTIONS: "Tuple[Function, ...]" = (
    Function("pid", "get_current_pid_tgid", "Process id (the kernel's tgid) of the current task.",
             "u32", shift=32),
    Function("tid", "get_current_pid_tgid", "Thread id (the kernel's pid) of the current task.", "u32"),
    Function("uid", "get_current_uid_gid", "User id of the current task.", "u32"),
    Function("gid", "get_current_uid_gid", "Group id of the current task.", "u32", shift=32),
    Function("ktime", "ktime_get_ns", "Monotonic time in nanoseconds (bpf_ktime_get_ns).", "u64"),
    Function("cpu", "get_smp_processor_id", "The CPU the program runs on.", "u32"),
    Function("random", "get_prandom_u32", "A pseudo-random u32.", "u32"),
    Function("cgroup_id", "get_current_cgroup_id", "The current task's cgroup v2 id.", "u64"),
    Function("ktime_boot", "ktime_get_boot_ns",
             "Nanoseconds since boot, time suspended included (bpf_ktime_get_boot_ns).", "u64"),
    Function("comm", "get_current_comm", "The current task's command name, or fill a str(16) with it."),
    Function("current_task", "get_current_task", "The current task_struct, with CO-RE field access."),
    Function("probe_read_kernel", "probe_read_kernel", "Copy kernel memory into a local or field."),
    Function("probe_read_user", "probe_read_user", "Copy user memory into a local or field."),
    Function("probe_read_kernel_str", "probe_read_kernel_str", "Copy a kernel string; its length incl. NUL."),
    Function("probe_read_user_str", "probe_read_user_str", "Copy a user string; its length incl. NUL."),
    Function("redirect", "redirect", "Redirect the packet to an interface index (XDP/tc)."),
    Function("xdp_adjust_head", "xdp_adjust_head", "Grow or shrink the packet at its front."),
    Function("xdp_adjust_tail", "xdp_adjust_tail", "Grow or shrink the packet at its end."),
    Function("skb_load_bytes", "skb_load_bytes", "Copy packet bytes at an offset into a buffer."),
    Function("skb_store_bytes", "skb_store_bytes", "Write a buffer into the packet at an offset."),
    Function("l3_csum_replace", "l3_csum_replace", "Update an L3 checksum for a changed value."),
    Function("l4_csum_replace", "l4_csum_replace", "Update an L4 checksum for a changed value."),
)

HELPERS_BY_NAME: "Dict[str, Helper]" = {h.name: h for h in HELPERS}
HELPERS_BY_ID: "Dict[int, Helper]" = {h.id: h for h in HELPERS}
FUNCTIONS_BY_NAME: "Dict[str, Function]" = {f.name: f for f in FUNCTIONS}
PLAIN: "Dict[str, Function]" = {f.name: f for f in FUNCTIONS if f.result}


def allowed_in(helper: str, kind: "str | None") -> bool:
    """Whether programs of `kind` (a kinds/programs.py name, as the compiler applies it) may
    call `helper` on the newest kernel measured. A subprogram (`kind` None) is checked at each
    program that calls it."""
    kinds = HELPERS_BY_NAME[helper].programs
    return not kinds or kind in kinds


def allowed_phrase(helper: str) -> str:
    """The kinds that may call `helper`, in words: groups by name ("tracing programs")."""
    kinds = list(HELPERS_BY_NAME[helper].programs)
    words = []
    for group, name in ((_TRACING, "tracing (kprobe, tracepoint, fentry, perf_event, ...)"),
                        (_SOCK_CGROUP, "cgroup socket (connect, sockopt)")):
        if set(group) <= set(kinds):
            kinds = [k for k in kinds if k not in group]
            words.append(name)
    words = kinds + words
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def since_in(helper: str, kind: str) -> str:
    """The Linux version from which programs of `kind` may call `helper`, as far as measured:
    the helper's own version, or a `later` one."""
    found = HELPERS_BY_NAME[helper]
    return next((version for kinds, version in found.later if kind in kinds), found.since)


def refusal_note(helper: str, kind: str) -> str:
    """Plain words for a kernel that refused `kind` programs (a kind name or a section) a call
    of `helper` ("bpf_x" or "x"), when the registry knows why: the kind may call it only on a
    later Linux, or not at all. '' when it knows nothing."""
    from .programs import kind_named, kind_of

    found = HELPERS_BY_NAME.get(helper[4:] if helper.startswith("bpf_") else helper)
    row = kind_named(kind) or kind_of(kind)
    if found is None or row is None:
        return ""
    kind = row.rules
    if not allowed_in(found.name, kind):
        return f"{kind} programs cannot call bpf_{found.name} on any Linux"
    version = since_in(found.name, kind)
    if version != found.since:
        return (f"{kind} programs may call bpf_{found.name} from Linux {version} on (measured; "
                f"older kernels refuse it)")
    return f"bpf_{found.name} needs Linux {version}"


def helper_of(function: str) -> "Helper | None":
    """The kernel helper behind a language function ("pid" -> get_current_pid_tgid), or None."""
    found = FUNCTIONS_BY_NAME.get(function)
    return HELPERS_BY_NAME[found.helper] if found is not None else None


def describe(helper_id: int, prog_type: int = -1) -> str:
    """'the bpf_loop helper (Linux 5.17)', or 'helper 250 (not in pythonbpf's table)'; for a
    program type whose kind got the helper later, or never: 'the bpf_get_current_pid_tgid
    helper in xdp programs (Linux 6.12)'."""
    found = HELPERS_BY_ID.get(helper_id)
    if found is None:
        return f"helper {helper_id} (not in pythonbpf's table)"
    from .programs import PROGRAM_KINDS

    kind = next((k.rules for k in PROGRAM_KINDS if k.prog_type == prog_type and k.language), "")
    if kind and not allowed_in(found.name, kind):
        return f"the bpf_{found.name} helper in {kind} programs (no Linux has it there)"
    if kind and since_in(found.name, kind) != found.since:
        version = since_in(found.name, kind)
        return f"the bpf_{found.name} helper in {kind} programs (Linux {version})"
    return f"the bpf_{found.name} helper (Linux {found.since})"
