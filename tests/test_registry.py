"""The registry's map kinds, helpers and UAPI constants (pythonbpf/kinds): the rows agree with
the kernel, with the public modules that expose them, and with the docs' support tables."""
from __future__ import annotations

import os
import time

import pytest

from pythonbpf.kinds import PROGRAM_KINDS, constants, tables
from pythonbpf.kinds.helpers import FUNCTIONS, HELPERS, HELPERS_BY_NAME, PLAIN, describe
from pythonbpf.kinds.maps import MAP_KINDS
from pythonbpf.spec.types import CTYPES_INTS
from scripts import ROOT


def kernel_enum(name: str, prefix: str) -> dict:
    """NAME -> value of a kernel enum, from this machine's BTF (a new machine has it too:
    every kernel the suite runs on is built with CONFIG_DEBUG_INFO_BTF)."""
    from pythonbpf.btf import kernel_btf

    enum = kernel_btf().type_by_name(name, "enum")
    return {v.name[len(prefix):].lower(): v.value for v in enum.values if v.name.startswith(prefix)}


def test_helper_ids_are_the_kernels():
    kernel = kernel_enum("bpf_func_id", "BPF_FUNC_")
    assert {h.name: h.id for h in HELPERS} == {h.name: kernel[h.name] for h in HELPERS}


def test_map_types_are_the_kernels():
    kernel = kernel_enum("bpf_map_type", "BPF_MAP_TYPE_")
    assert {k.name: k.map_type for k in MAP_KINDS} == {k.name: kernel[k.name] for k in MAP_KINDS}
    assert len({k.map_type for k in MAP_KINDS}) == len(MAP_KINDS)


def test_uapi_constants_are_the_kernels():
    programs = kernel_enum("bpf_prog_type", "BPF_PROG_TYPE_")
    maps = kernel_enum("bpf_map_type", "BPF_MAP_TYPE_")
    xdp = kernel_enum("xdp_action", "XDP_")
    for name, value in vars(constants).items():
        if name.startswith("BPF_PROG_TYPE_"):
            assert programs[name[len("BPF_PROG_TYPE_"):].lower()] == value, name
        elif name.startswith("BPF_MAP_TYPE_"):
            assert maps[name[len("BPF_MAP_TYPE_"):].lower()] == value, name
        elif name.startswith("XDP_"):
            assert xdp[name[len("XDP_"):].lower()] == value, name
    # TC_ACT_* and NF_DROP/NF_ACCEPT are #defines, absent from BTF: NF_DROP and NF_ACCEPT are
    # checked by what the kernel does with them (tests/net/test_netfilter.py)
    assert {k.prog_type for k in PROGRAM_KINDS} <= set(constants.PROGRAM_TYPES)


def test_rows_refer_to_rows():
    kinds = {k.name for k in PROGRAM_KINDS}
    for helper in HELPERS:
        assert set(helper.programs) <= kinds, helper.name
    for fn in FUNCTIONS:
        assert fn.helper in HELPERS_BY_NAME, fn.name
        if fn.result:
            assert {fn.result, *fn.args} <= set(CTYPES_INTS), fn.name


def test_every_row_is_exposed_to_programs():
    import pythonbpf.helper as helper
    import pythonbpf.maps as maps

    declared = {name for name in maps.__all__ if name != "MapDeclaration"}
    assert declared == {c for k in MAP_KINDS for c in k.classes}
    for kind in MAP_KINDS:
        for cls in kind.classes:
            assert (getattr(maps, cls).map_type, getattr(maps, cls).kind) == (kind.map_type, kind.name)
    for fn in FUNCTIONS:
        stub = getattr(helper, fn.name)
        assert fn.name in helper.__all__
        with pytest.raises(RuntimeError, match="only has a value inside a BPF program"):
            stub()


def test_docs_tables_are_the_registrys():
    path = os.path.join(ROOT, tables.DOC)
    text = open(path).read()
    assert tables.render(text) == text, (
        f"{tables.DOC}'s support tables differ from the registry: run "
        "`python -m pythonbpf.kinds.tables --write` and commit the result")


def test_loader_errors_name_what_a_kernel_lacks():
    from pythonbpf.kinds.constants import describe_program_type
    from pythonbpf.kinds.maps import describe as describe_map_type

    assert describe(181) == "the bpf_loop helper (Linux 5.17)"
    assert describe(250) == "helper 250 (not in pythonbpf's table)"
    assert describe_map_type(27) == "the ring buffer map type (Linux 5.8)"
    assert describe_program_type(6) == "the XDP program type (Linux 4.8)"


# ---- a helper added through the registry alone (docs/architecture.md's checklist) ------
KTIME_BOOT = '''
from pythonbpf import bpf, bpfglobal, xdp
from pythonbpf.helper import XDP_PASS, ktime, ktime_boot
from pythonbpf.maps import ArrayMap
from pythonbpf.types import u32, u64

out = ArrayMap(key=u32, value=u64, max_entries=4)

@xdp
def prog(ctx):
    out[0] = ktime()
    out[1] = ktime_boot()
    out[2] = ktime()
    return XDP_PASS

@bpf
@bpfglobal
def LICENSE() -> str:
    return "Dual MIT/GPL"
'''


def helper_ids_called(elf: bytes, section: str) -> set:
    from pythonbpf.elf import ElfFile

    f = ElfFile(elf)
    code = f.contents(f.section(section))
    return {int.from_bytes(code[i + 4:i + 8], "little", signed=True)
            for i in range(0, len(code), 8) if code[i] == 0x85 and code[i + 1] >> 4 == 0}


@pytest.mark.kernel
def test_ktime_boot_reads_the_boot_clock():
    from pythonbpf import BPF
    from pythonbpf.compiler import compile_source

    assert 125 in helper_ids_called(compile_source(KTIME_BOOT, "boot.py").elf, "xdp")
    with BPF(source=KTIME_BOOT) as b:
        before = time.clock_gettime_ns(time.CLOCK_BOOTTIME)
        assert b.programs["prog"].test_run(bytes(64)).retval == 2
        after = time.clock_gettime_ns(time.CLOCK_BOOTTIME)
        mono_before, boot, mono_after = (b["out"][i] for i in range(3))
    assert before <= boot <= after
    assert mono_before <= mono_after and boot >= mono_before  # suspended time only adds


def test_ktime_boot_is_checked_like_any_plain_function():
    from pythonbpf.compiler import CompileError, compile_source

    bad = KTIME_BOOT.replace("ktime_boot()", "ktime_boot(1)")
    with pytest.raises(CompileError, match=r"ktime_boot\(\) takes no arguments") as info:
        compile_source(bad, "boot.py")
    assert info.value.location.line == 12
    assert "ktime_boot" in PLAIN and not HELPERS_BY_NAME["ktime_get_boot_ns"].gpl_only
    # the kernel's name works too, as ktime_get_ns() does
    assert compile_source(KTIME_BOOT.replace("ktime_boot()", "ktime_get_boot_ns()"), "boot.py").elf
