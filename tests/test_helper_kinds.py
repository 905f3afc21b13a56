"""Which program kinds may call which helper: the registry (kinds/helpers.py `programs`, `later`)
against the running kernel, in both directions.

For every language function tools/helper_matrix.py measures and every program kind the compiler
builds: a pair the registry allows compiles and loads here (or, where `later` says the kind got
the helper after this kernel, the verifier refuses the helper itself); a pair it refuses is a
CompileError at the call's line, and the same program compiled without the rule is refused by
this kernel's verifier for that helper. Kinds this kernel cannot load at all (BPF trampolines
refused on some hosts) are measured in guest kernels by the tool instead (docs/reliability.md).
"""
from __future__ import annotations

import os
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tools"))

import helper_matrix as hm  # noqa: E402

from pythonbpf.compiler import CompileError, compile_source  # noqa: E402
from pythonbpf.kinds.constants import PROGRAM_TYPES  # noqa: E402
from pythonbpf.kinds.helpers import HELPERS, HELPERS_BY_NAME, allowed_in, since_in  # noqa: E402
from pythonbpf.kinds.programs import PROGRAM_KINDS, kind_named  # noqa: E402

# every kind may call it on every kernel: a kind where it fails cannot load here at all
BASELINE = "ktime()"


def _body_lines(probe: str, kind: str) -> range:
    source = hm.source_of(probe, kind).splitlines()
    first = next(i for i, line in enumerate(source, 1) if line.startswith("def probe"))
    return range(first + 1, first + 1 + hm.PROBES[probe][2].count("\n") + 1)


def _newer_than_this_kernel(kind: str) -> bool:
    """Whether the kind's program type came after this kernel (PROGRAM_TYPES: netfilter 6.4)."""
    since = PROGRAM_TYPES[kind_named(kind).prog_type][1]
    release = os.uname().release.split("-")[0].split(".")[:2]
    return tuple(map(int, release)) < tuple(map(int, since.split(".")))


@pytest.mark.kernel
def test_the_registry_agrees_with_this_kernel_both_ways():
    release = os.uname().release
    with tempfile.TemporaryDirectory() as unchecked:
        cells = hm.load(unchecked) if hm.build(unchecked) else {}  # every pair, rule off
    loadable = {c["kind"] for c in cells.values() if c["probe"] == BASELINE and c["result"] == "ok"}
    for kind in set(hm.KINDS) - loadable:  # only a kind whose every program is refused here
        reason = cells[hm.file_stem(BASELINE, kind)]["reason"]
        assert kind_named(kind).trampoline or _newer_than_this_kernel(kind), f"{kind}: {reason}"
    assert {"xdp", "tc", "socket", "tracepoint", "raw_tp", "perf_event"} <= loadable
    checked = refused = 0
    for cell in cells.values():
        probe, kind, helper = cell["probe"], cell["kind"], cell["helper"]
        rules = kind_named(kind).rules  # tcx/ingress compiles as tc
        if allowed_in(helper, rules):
            elf = compile_source(hm.source_of(probe, kind), "pair.py").elf  # the compiler accepts
            if kind in loadable:
                assert hm.load_one(elf)[0] == hm.expected(helper, kind, release), (probe, kind)
                checked += 1
            continue
        with pytest.raises(CompileError) as info:
            compile_source(hm.source_of(probe, kind), "pair.py")
        assert info.value.location.line in _body_lines(probe, kind), (probe, kind)
        assert f"is not available in {rules} programs" in info.value.message, info.value.message
        if kind in loadable:  # and the kernel agrees: without the rule, it refuses the helper
            assert cell["result"] == "helper", (probe, kind, cell["reason"])
            refused += 1
    assert checked > 300 and refused > 100, (checked, refused)


SHARED = '''\
from pythonbpf import bpf, section, bpfglobal, xdp
from pythonbpf.helper import redirect, XDP_PASS
from pythonbpf.maps import ArrayMap
from pythonbpf.types import u32, u64

out = ArrayMap(key=u32, value=u64, max_entries=1)

@bpf
def forward(port: u64) -> u64:
    return u64(redirect(u32(port), u64(0)))

@xdp
def fast(ctx):
    out[0] = forward(1)
    return XDP_PASS

@bpf
@section("tracepoint/syscalls/sys_enter_getpid")
def traced(ctx) -> i32:
    out[0] = forward(2)
    return 0

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''


def test_a_subprogram_is_checked_for_each_program_that_calls_it():
    """The kernel checks a subprogram's helper calls in each program that reaches it: from an
    XDP program forward() may redirect, from a tracepoint it may not."""
    source = SHARED.replace("from pythonbpf.types import u32, u64",
                            "from pythonbpf.types import u32, u64, i32")
    with pytest.raises(CompileError) as info:
        compile_source(source, "shared.py")
    assert info.value.location.line == 10  # the call in forward(), not the programs' calls
    assert "redirect() is not available in tracepoint programs" in info.value.message
    assert "called from tracepoint program traced(), line 20" in info.value.message
    assert "xdp and tc" in info.value.hint
    alone = source.replace("    out[0] = forward(2)\n", "")
    assert compile_source(alone, "shared.py").elf  # only fast() calls it: accepted


def test_later_notes_name_kinds_and_versions_after_the_helper():
    names = {k.name for k in PROGRAM_KINDS if k.language}
    for helper in HELPERS:
        for kinds, version in helper.later:
            assert set(kinds) <= names, helper.name
            as_tuple = lambda v: tuple(int(p) for p in v.split("."))  # noqa: E731
            assert as_tuple(version) > as_tuple(helper.since), helper.name
            assert all(since_in(helper.name, k) == version for k in kinds)
    pid_tgid = HELPERS_BY_NAME["get_current_pid_tgid"]
    assert since_in(pid_tgid.name, "kprobe") == pid_tgid.since


def test_the_loaders_probe_names_the_kind_and_version():
    """When a load fails, the loader probes each helper for the program's type
    (loader/features.py); the helper's words then say for which kind and from which Linux."""
    from pythonbpf.kinds.constants import BPF_PROG_TYPE_KPROBE, BPF_PROG_TYPE_XDP
    from pythonbpf.kinds.helpers import describe

    pid_tgid = HELPERS_BY_NAME["get_current_pid_tgid"].id
    stackid = HELPERS_BY_NAME["get_stackid"].id
    version = since_in("get_current_pid_tgid", "xdp")
    assert describe(pid_tgid, BPF_PROG_TYPE_XDP) == \
        f"the bpf_get_current_pid_tgid helper in xdp programs (Linux {version})"
    assert describe(pid_tgid, BPF_PROG_TYPE_KPROBE) == \
        "the bpf_get_current_pid_tgid helper (Linux 4.2)"
    assert "in xdp programs (no Linux has it there)" in describe(stackid, BPF_PROG_TYPE_XDP)
