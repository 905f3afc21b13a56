"""Program kinds: which section names mean which kind of program, and what each kind is.

A section is parsed once (`parse_section`) into its kind and the target after the first `/`;
every layer asks the kind instead of splitting the section string itself.
"""
from __future__ import annotations

from ..record import record

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Dict, Optional, Tuple


@record(frozen=True)
class ProgramKind:
    """One kind of program, as the compiler and the loader see it.

    `name` is the kind's own name (the first section prefix); `prefixes` every section prefix
    that means it (before the first `/` and any `.suffix`); `prog_type` the kernel's
    `enum bpf_prog_type`; `context` what the program's argument is; `packet` whether it reads
    a packet through data/data_end, `writable` whether it may write it; `kernel_types` whether
    its compile reads the kernel's BTF or tracepoint formats.
    """

    name: str
    prefixes: "Tuple[str, ...]"
    prog_type: int
    context: str
    packet: bool = False
    writable: bool = False
    kernel_types: bool = False


@record(frozen=True)
class Section:
    """A parsed section name: `kind/target`, with the prefix exactly as written."""

    text: str
    prefix: str
    kind: ProgramKind
    target: str


# enum bpf_prog_type values
_SOCKET_FILTER, _KPROBE, _SCHED_CLS, _TRACEPOINT, _XDP, _PERF_EVENT, _CGROUP_SKB = 1, 2, 3, 5, 6, 7, 8
_RAW_TRACEPOINT, _TRACING, _LSM = 17, 26, 29

PROGRAM_KINDS: "Tuple[ProgramKind, ...]" = (
    ProgramKind("xdp", ("xdp",), _XDP, "xdp_md", packet=True, writable=True),
    ProgramKind("tc", ("tc", "classifier"), _SCHED_CLS, "__sk_buff", packet=True, writable=True),
    ProgramKind("socket", ("socket",), _SOCKET_FILTER, "__sk_buff", packet=True),
    ProgramKind("cgroup_skb", ("cgroup_skb",), _CGROUP_SKB, "__sk_buff", packet=True),
    ProgramKind("tracepoint", ("tracepoint", "tp"), _TRACEPOINT, "tracepoint record",
                kernel_types=True),
    ProgramKind("raw_tp", ("raw_tp", "raw_tracepoint"), _RAW_TRACEPOINT, "u64 arguments",
                kernel_types=True),
    ProgramKind("tp_btf", ("tp_btf",), _TRACING, "BTF-typed arguments", kernel_types=True),
    ProgramKind("uprobe", ("uprobe",), _KPROBE, "pt_regs", kernel_types=True),
    ProgramKind("uretprobe", ("uretprobe",), _KPROBE, "pt_regs", kernel_types=True),
    ProgramKind("usdt", ("usdt",), _KPROBE, "pt_regs", kernel_types=True),
    ProgramKind("kprobe", ("kprobe",), _KPROBE, "pt_regs", kernel_types=True),
    ProgramKind("kretprobe", ("kretprobe",), _KPROBE, "pt_regs", kernel_types=True),
    ProgramKind("fentry", ("fentry",), _TRACING, "BTF-typed arguments", kernel_types=True),
    ProgramKind("fexit", ("fexit",), _TRACING, "BTF-typed arguments", kernel_types=True),
    ProgramKind("lsm", ("lsm",), _LSM, "BTF-typed arguments", kernel_types=True),
    ProgramKind("perf_event", ("perf_event",), _PERF_EVENT, "bpf_perf_event_data"),
    ProgramKind("iter", ("iter",), _TRACING, "iterator context", kernel_types=True),
)

_BY_PREFIX: "Dict[str, ProgramKind]" = {p: k for k in PROGRAM_KINDS for p in k.prefixes}


def parse_section(section: str) -> "Optional[Section]":
    """The kind and target of a section name; None when no kind has its prefix.

    The prefix is what comes before the first `/`; a `.suffix` on it (`kprobe.multi`,
    `uprobe.s`) names a variant of the same kind.
    """
    prefix, _, target = section.partition("/")
    kind = _BY_PREFIX.get(prefix.split(".", 1)[0])
    return Section(section, prefix, kind, target) if kind is not None else None


def section_prefixes() -> "Tuple[str, ...]":
    """Every known section prefix, sorted (for "did you mean" suggestions)."""
    return tuple(sorted(_BY_PREFIX))
