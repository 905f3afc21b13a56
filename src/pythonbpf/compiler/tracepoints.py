"""The typed arguments of a BTF tracepoint (`tp_btf/<name>`), read from a kernel's BTF.

A pure function of the BTF given: the frontend types `ctx.<argument>` with it, and the
simulator numbers a run's arguments with it, so both agree on every argument's slot.
"""
from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, List, Optional, Tuple

__all__ = ["tracepoint_params", "trace_stubs"]


def tracepoint_params(btf: "Any", name: str) -> "Optional[List[Any]]":
    """The BTF parameters of tracepoint `name` after the private data pointer; None when the
    kernel has no BTF tracepoint of that name.

    `btf_trace_<name>` gives their types; the names come from the tracepoint's BPF stub,
    `__bpf_trace_<name>`, or for events sharing a class, the class's stub (found by type: of
    the stubs with the same parameter types, the one whose name shares the longest prefix)."""
    from ..btf import KernelTypeError

    try:
        proto = btf.type_by_name(f"btf_trace_{name}", "typedef").strip().target.strip()
    except (KernelTypeError, AttributeError):
        return None
    want = [p.type_id for p in proto.params]
    best, best_score = None, -1
    for func, by_name in trace_stubs(btf, name):
        params = func.proto.params
        if [p.type_id for p in params] != want or not all(p.name for p in params[1:]):
            continue
        if func.name == f"__bpf_trace_{name}":
            return params[1:]
        # events of one class share its stub: sched_wakeup_new -> sched_wakeup_template
        stem = func.name[len("__bpf_trace_"):].removesuffix("_template")
        score = len(os.path.commonprefix([stem, name]))
        if score > best_score:
            best, best_score = params[1:], score
        if by_name:  # a class named after a prefix of `name`: the scan would find no closer one
            break
    return best if best is not None else list(proto.params[1:])


def trace_stubs(btf: "Any", name: str) -> "Iterator[Tuple[Any, bool]]":
    """(`__bpf_trace_*` function, found by name) pairs, the likeliest first.

    First by name (a few index lookups): the event's own stub, then the stub of a class named
    after `name` or a shorter prefix of it at an underscore, longest first
    (`sched_wakeup_new` -> `__bpf_trace_sched_wakeup_template`). Then, lazily, every other stub:
    a scan of all the kernel's function names (~50 ms), which only an event whose class is
    named otherwise reaches."""
    from ..btf.format import Kind

    seen = set()
    stem = name
    while stem:
        for candidate in (f"__bpf_trace_{stem}", f"__bpf_trace_{stem}_template"):
            # ids_by_name, not type_by_name: a miss is expected here, and type_by_name's error
            # ranks every name in BTF for suggestions (seconds).
            for type_id in btf.ids_by_name(candidate):
                found = btf.type_by_id(type_id)
                if found.kind == "func" and type_id not in seen:
                    seen.add(type_id)
                    yield found, True
        stem = stem.rpartition("_")[0]
    for type_id, found in btf.names([Kind.FUNC]):
        if found.startswith("__bpf_trace_") and type_id not in seen:
            yield btf.type_by_id(type_id), False
