"""Program kinds: which section names mean which kind of program, and what each kind is.

A section is parsed once (`parse_section`) into its kind and the target after the prefix;
every layer asks the kind instead of splitting the section string itself. A kind is one row:
the compiler reads its context and packet access, the loader its program and expected attach
types, how it attaches and what it needs from tracefs, the kernel and libbpf.

Adding a program kind:
1. a row here: section prefixes (or the whole section name), program type, expected attach
   type, context, how it attaches, writable context fields, what it needs (`needs`); the loader
   sets the types itself where the system libbpf predates the section;
2. a new context: its layout in kinds/contexts.py, at the UAPI offsets (tests/test_kinds.py
   checks them against the kernel's BTF);
3. a new way to attach: a loader module whose attachment owns the link (an `FdLink`), and a
   `b.attach_...` method in runtime/network.py. A kind that attaches like an existing one
   (another cgroup hook, interface hook or auto-attached section) needs neither;
then a kernel test of a real effect and its entry in docs/language.md.
"""
from __future__ import annotations

from . import constants as C

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Dict, Optional, Tuple

# How a kind attaches. AUTO: by its section alone (libbpf's bpf_program__attach), done by
# attach_all(). The others need a target known only at run time, so attach_all() leaves them
# to an explicit call: an interface (b.attach_xdp, b.attach_tc), a socket (b.attach_socket),
# a cgroup v2 directory (b.attach_cgroup), a netfilter hook (b.attach_netfilter), a sockmap.
AUTO, PERF_EVENT, XDP, TC, SOCKET, CGROUP, NETFILTER, SOCKMAP = (
    "auto", "perf_event", "xdp", "tc", "socket", "cgroup", "netfilter", "sockmap")
RUN_TIME_TARGETS = (XDP, TC, SOCKET, CGROUP, NETFILTER, SOCKMAP)
# What a kind needs of tracefs when it attaches.
REQUIRED, HELPFUL = "required", "helpful"


class ProgramKind:
    """One kind of program, as the compiler and the loader see it.

    `name` is the kind's own name; `prefixes` every section prefix that means it (the part
    before the first `/` and any `.suffix`), or whole section names containing a `/` that
    mean it only exactly (`cgroup/connect4`); `prog_type` the kernel's `enum bpf_prog_type`;
    `attach_type` the expected `enum bpf_attach_type` it is loaded with (-1: none);
    `context` its context layout (kinds/contexts.py) or what its argument is; `writes` the
    context fields it may assign; `packet` whether it reads a packet through data/data_end,
    `writable` whether it may write it; `kernel_types` whether its compile reads the kernel's
    BTF or tracepoint formats; `attach` how it attaches (AUTO, PERF_EVENT, or the kind of
    target it needs at run time); `tracefs` REQUIRED or HELPFUL when its attach reads tracefs;
    `trampoline` whether it needs BPF trampolines; `needs` the libbpf and Linux it needs, when
    newer than the oldest supported ones; `compiles_as` the kind whose language rules it
    follows (`tcx/ingress` compiles as `tc`); `language` False for kinds libbpf knows and the
    loader handles in objects built elsewhere, but the compiler does not build; `returns` the
    (low, high) return values the verifier allows, when it limits them.
    """

    # A plain class rather than a record: every start imports this module (attach_all and the
    # loader read the rows), and a record's class set-up and `operator` cost a millisecond.
    __slots__ = ("name", "prefixes", "prog_type", "context", "packet", "writable",
                 "kernel_types", "attach_type", "attach", "writes", "tracefs", "trampoline",
                 "needs", "compiles_as", "language", "returns")

    def __init__(self, name: str, prefixes: "Tuple[str, ...]", prog_type: int, context: str, *,
                 packet: bool = False, writable: bool = False, kernel_types: bool = False,
                 attach_type: int = -1, attach: str = AUTO, writes: "Tuple[str, ...]" = (),
                 tracefs: str = "", trampoline: bool = False, needs: str = "",
                 compiles_as: str = "", language: bool = True,
                 returns: "Optional[Tuple[int, int]]" = None) -> None:
        self.name, self.prefixes, self.prog_type, self.context = name, prefixes, prog_type, context
        self.packet, self.writable, self.kernel_types = packet, writable, kernel_types
        self.attach_type, self.attach, self.writes = attach_type, attach, writes
        self.tracefs, self.trampoline, self.needs = tracefs, trampoline, needs
        self.compiles_as, self.language, self.returns = compiles_as, language, returns

    @property
    def rules(self) -> str:
        """The kind name the compiler applies its rules for."""
        return self.compiles_as or self.name

    def __repr__(self) -> str:
        return f"ProgramKind({self.name!r}, prog_type={self.prog_type}, context={self.context!r})"


class Section:
    """A parsed section name: `kind/target`, with the prefix exactly as written."""

    __slots__ = ("text", "prefix", "kind", "target")

    def __init__(self, text: str, prefix: str, kind: ProgramKind, target: str) -> None:
        self.text, self.prefix, self.kind, self.target = text, prefix, kind, target

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Section) and (self.text, self.kind) == (other.text, other.kind)

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return (f"Section({self.text!r}, prefix={self.prefix!r}, kind={self.kind.name!r}, "
                f"target={self.target!r})")


# enum bpf_prog_type and enum bpf_attach_type values, short names for the table
_SOCKET_FILTER, _KPROBE, _SCHED_CLS, _TRACEPOINT, _XDP, _PERF_EVENT, _CGROUP_SKB = (
    C.BPF_PROG_TYPE_SOCKET_FILTER, C.BPF_PROG_TYPE_KPROBE, C.BPF_PROG_TYPE_SCHED_CLS,
    C.BPF_PROG_TYPE_TRACEPOINT, C.BPF_PROG_TYPE_XDP, C.BPF_PROG_TYPE_PERF_EVENT,
    C.BPF_PROG_TYPE_CGROUP_SKB)
_RAW_TRACEPOINT, _CGROUP_SOCK_ADDR, _SK_SKB, _SK_MSG, _CGROUP_SOCKOPT = (
    C.BPF_PROG_TYPE_RAW_TRACEPOINT, C.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, C.BPF_PROG_TYPE_SK_SKB,
    C.BPF_PROG_TYPE_SK_MSG, C.BPF_PROG_TYPE_CGROUP_SOCKOPT)
_TRACING, _EXT, _LSM, _NETFILTER = (C.BPF_PROG_TYPE_TRACING, C.BPF_PROG_TYPE_EXT,
                                    C.BPF_PROG_TYPE_LSM, C.BPF_PROG_TYPE_NETFILTER)
_INET4_CONNECT, _INET6_CONNECT, _GETSOCKOPT, _SETSOCKOPT = (
    C.BPF_CGROUP_INET4_CONNECT, C.BPF_CGROUP_INET6_CONNECT, C.BPF_CGROUP_GETSOCKOPT,
    C.BPF_CGROUP_SETSOCKOPT)
_BPF_NETFILTER, _TCX_INGRESS, _TCX_EGRESS, _NETKIT_PRIMARY = (
    C.BPF_NETFILTER, C.BPF_TCX_INGRESS, C.BPF_TCX_EGRESS, C.BPF_NETKIT_PRIMARY)

_TRACE = dict(kernel_types=True)
_PROBE = dict(kernel_types=True, tracefs=HELPFUL)
_TRAMPOLINE = dict(kernel_types=True, trampoline=True)

PROGRAM_KINDS: "Tuple[ProgramKind, ...]" = (
    ProgramKind("xdp", ("xdp",), _XDP, "xdp_md", packet=True, writable=True, attach=XDP),
    ProgramKind("tc", ("tc", "classifier"), _SCHED_CLS, "__sk_buff (tc)", packet=True,
                writable=True, attach=TC),
    ProgramKind("tcx/ingress", ("tcx/ingress",), _SCHED_CLS, "__sk_buff (tc)", packet=True,
                writable=True, attach=TC, attach_type=_TCX_INGRESS, compiles_as="tc",
                needs="libbpf 1.3 and Linux 6.6"),
    ProgramKind("tcx/egress", ("tcx/egress",), _SCHED_CLS, "__sk_buff (tc)", packet=True,
                writable=True, attach=TC, attach_type=_TCX_EGRESS, compiles_as="tc",
                needs="libbpf 1.3 and Linux 6.6"),
    ProgramKind("socket", ("socket",), _SOCKET_FILTER, "__sk_buff", packet=True, attach=SOCKET),
    ProgramKind("cgroup_skb", ("cgroup_skb",), _CGROUP_SKB, "__sk_buff", packet=True,
                attach=CGROUP, returns=(0, 1)),  # egress: 0..3 (return_range)
    ProgramKind("cgroup/connect4", ("cgroup/connect4",), _CGROUP_SOCK_ADDR,
                "bpf_sock_addr (ipv4)", attach=CGROUP, attach_type=_INET4_CONNECT,
                writes=("user_ip4", "user_port"), returns=(0, 1)),
    ProgramKind("cgroup/connect6", ("cgroup/connect6",), _CGROUP_SOCK_ADDR,
                "bpf_sock_addr (ipv6)", attach=CGROUP, attach_type=_INET6_CONNECT,
                writes=("user_ip6", "user_port"), returns=(0, 1)),
    ProgramKind("cgroup/getsockopt", ("cgroup/getsockopt",), _CGROUP_SOCKOPT,
                "bpf_sockopt (get)", attach=CGROUP, attach_type=_GETSOCKOPT,
                writes=("optlen", "retval"), returns=(0, 1)),
    ProgramKind("cgroup/setsockopt", ("cgroup/setsockopt",), _CGROUP_SOCKOPT,
                "bpf_sockopt (set)", attach=CGROUP, attach_type=_SETSOCKOPT,
                writes=("level", "optname", "optlen"), returns=(0, 1)),
    ProgramKind("netfilter", ("netfilter",), _NETFILTER, "bpf_nf_ctx", kernel_types=True,
                attach=NETFILTER, attach_type=_BPF_NETFILTER, needs="libbpf 1.2 and Linux 6.4",
                returns=(0, 1)),
    ProgramKind("tracepoint", ("tracepoint", "tp"), _TRACEPOINT, "tracepoint record",
                kernel_types=True, tracefs=REQUIRED),
    ProgramKind("raw_tp", ("raw_tp", "raw_tracepoint"), _RAW_TRACEPOINT, "u64 arguments", **_TRACE),
    ProgramKind("tp_btf", ("tp_btf",), _TRACING, "BTF-typed arguments", **_TRACE),
    ProgramKind("uprobe", ("uprobe",), _KPROBE, "pt_regs", **_PROBE),
    ProgramKind("uretprobe", ("uretprobe",), _KPROBE, "pt_regs", **_PROBE),
    ProgramKind("usdt", ("usdt",), _KPROBE, "pt_regs", **_PROBE),
    ProgramKind("kprobe", ("kprobe",), _KPROBE, "pt_regs", **_PROBE),
    ProgramKind("kretprobe", ("kretprobe",), _KPROBE, "pt_regs", **_PROBE),
    ProgramKind("fentry", ("fentry",), _TRACING, "BTF-typed arguments", **_TRAMPOLINE),
    ProgramKind("fexit", ("fexit",), _TRACING, "BTF-typed arguments", **_TRAMPOLINE),
    ProgramKind("lsm", ("lsm",), _LSM, "BTF-typed arguments", **_TRAMPOLINE),
    ProgramKind("perf_event", ("perf_event",), _PERF_EVENT, "bpf_perf_event_data",
                attach=PERF_EVENT),
    ProgramKind("iter", ("iter",), _TRACING, "iterator context", returns=(0, 1), **_TRAMPOLINE),
    # libbpf kinds the loader meets in objects built elsewhere; the compiler does not build them
    ProgramKind("ksyscall", ("ksyscall",), _KPROBE, "pt_regs", tracefs=HELPFUL, language=False),
    ProgramKind("kretsyscall", ("kretsyscall",), _KPROBE, "pt_regs", tracefs=HELPFUL,
                language=False),
    ProgramKind("fmod_ret", ("fmod_ret",), _TRACING, "BTF-typed arguments", trampoline=True,
                language=False),
    ProgramKind("freplace", ("freplace",), _EXT, "the replaced function's arguments",
                trampoline=True, language=False),
    ProgramKind("sk_skb", ("sk_skb",), _SK_SKB, "__sk_buff", attach=SOCKMAP, language=False),
    ProgramKind("sk_msg", ("sk_msg",), _SK_MSG, "sk_msg_md", attach=SOCKMAP, language=False),
    ProgramKind("netkit", ("netkit",), _SCHED_CLS, "__sk_buff", attach=TC,
                attach_type=_NETKIT_PRIMARY, needs="libbpf 1.3 and Linux 6.7", language=False),
)

# Section variants (`prefix.suffix`) newer than their kind: what loading them needs.
VARIANT_NEEDS: "Dict[str, str]" = {
    "uprobe.multi": "libbpf 1.2 and Linux 6.6", "uretprobe.multi": "libbpf 1.2 and Linux 6.6",
    "uprobe.multi.s": "libbpf 1.2 and Linux 6.6", "uretprobe.multi.s": "libbpf 1.2 and Linux 6.6",
    "kprobe.session": "libbpf 1.5 and Linux 6.10",
}

_BY_PREFIX: "Dict[str, ProgramKind]" = {p: k for k in PROGRAM_KINDS for p in k.prefixes}
_BY_NAME: "Dict[str, ProgramKind]" = {k.name: k for k in PROGRAM_KINDS}


def parse_section(section: str) -> "Optional[Section]":
    """The kind and target of a section name; None when no kind has its prefix.

    A whole-name kind (`cgroup/connect4`) matches exactly; otherwise the prefix is what comes
    before the first `/`, and a `.suffix` on it (`kprobe.multi`, `uprobe.s`) names a variant
    of the same kind.
    """
    exact = _BY_PREFIX.get(section) if "/" in section else None
    if exact is not None:
        return Section(section, section, exact, "")
    prefix, _, target = section.partition("/")
    kind = _BY_PREFIX.get(prefix.split(".", 1)[0])
    return Section(section, prefix, kind, target) if kind is not None else None


def kind_of(section: str) -> "Optional[ProgramKind]":
    """The kind of a section name, or None."""
    parsed = parse_section(section)
    return parsed.kind if parsed is not None else None


def kind_named(name: str) -> "Optional[ProgramKind]":
    """The row whose name is `name` (`tc`, `cgroup/connect4`), or None."""
    return _BY_NAME.get(name)


def needs_of(section: str) -> str:
    """What loading a section's programs needs of libbpf and Linux, when newer than the oldest
    supported ones ('' otherwise)."""
    parsed = parse_section(section)
    if parsed is None:
        return ""
    return VARIANT_NEEDS.get(parsed.prefix) or parsed.kind.needs


def return_range(section: str) -> "Optional[Tuple[int, int]]":
    """The (low, high) return values the verifier allows programs of a section, or None."""
    parsed = parse_section(section)
    if parsed is None:
        return None
    if parsed.kind.name == "cgroup_skb" and parsed.target == "egress":
        return 0, 3  # egress may also ask for congestion notification (bit 1)
    return parsed.kind.returns


def section_label(section: str) -> str:
    """The kind as a section writes it (`uprobe.multi`, `cgroup/connect4`), for messages."""
    parsed = parse_section(section)
    return parsed.prefix if parsed is not None else section.partition("/")[0]


def tracepoint_name(section: str) -> "Optional[Tuple[str, str]]":
    """(category, name) of `tracepoint/CATEGORY/NAME` (or `tp/...`); None for any other
    section, a variant (`tp.s`) included, or a tracepoint section without both parts."""
    parsed = parse_section(section)
    if parsed is None or parsed.kind.name != "tracepoint" or parsed.prefix not in parsed.kind.prefixes:
        return None
    category, sep, name = parsed.target.partition("/")
    return (category, name) if sep and "/" not in name else None


def section_prefixes() -> "Tuple[str, ...]":
    """Every section prefix the compiler builds, sorted (for "did you mean" suggestions)."""
    return tuple(sorted(p for p, k in _BY_PREFIX.items() if k.language))
