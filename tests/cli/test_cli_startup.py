"""Start-up: a start served from the compile cache loads and attaches with the loader alone.

The cache entry holds no typed program (the frontend checks the source again when something asks
for it): loading and attaching read the entry's load summary, map views and event records its
ObjectSpec (pythonbpf/spec/objects.py).
bench/startup.py measures the time; these tests pin down what is imported and that the lazily
read parts say exactly what the compiled program says.
"""
from __future__ import annotations

import warnings

import pytest

from pythonbpf.compiler import CompiledObject, compile_source

COUNTER = '''\
from ctypes import c_void_p, c_int64, c_int32, c_uint64
from pythonbpf import bpf, map, section, bpfglobal
from pythonbpf.helper import pid
from pythonbpf.maps import HashMap

@bpf
@map
def counts() -> HashMap:
    return HashMap(key=c_int32, value=c_uint64, max_entries=10240)

@bpf
@section("tracepoint/syscalls/sys_enter_getppid")
def count_getppid(ctx: c_void_p) -> c_int64:
    p = pid()
    seen = counts().lookup(p)
    if seen:
        counts().update(p, seen + 1)
    else:
        counts().update(p, 1)
    return 0

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''

PERF = '''\
from pythonbpf import bpfglobal, perf_event, struct
from pythonbpf.maps import HashMap, RingBuf
from pythonbpf.types import u32, u64
from pythonbpf.helper import pid, ktime

@struct
class Sample:
    pid: u32
    ts: u64

samples = HashMap(key=u32, value=u64, max_entries=64, pin="startup_test_samples")
events = RingBuf(max_entries=5000)  # not a power of two: rounded up, with a warning

@perf_event(frequency=49)
def sample(ctx):
    samples[pid()] += 1
    e = Sample()
    e.pid = pid()
    e.ts = ktime()
    events.output(e)
    return 0

@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''

# Modules a cached start must not import: the compiler, kernel type reading, and the
# standard library's slow starters (each costs milliseconds). pythonbpf.btf's reader and model
# are the loader's too (one BTF model: an object's globals are found in its BTF), so only the
# kernel-type lookups (fields, tracepoints, network headers, enumerators) are listed.
HEAVY = ("llvmlite", "pythonbpf.compiler.frontend", "pythonbpf.compiler.lower",
         "pythonbpf.compiler.emit", "pythonbpf.btf.fields", "pythonbpf.btf.tracepoints",
         "pythonbpf.btf.netheaders", "pythonbpf.btf.enums", "pythonbpf.btf.table",
         "pythonbpf.diagnostics", "pickle", "typing", "dataclasses", "inspect", "re")


def _hit(source: str, filename: str) -> CompiledObject:
    compile_source(source, filename)  # fills the cache
    hit = compile_source(source, filename)
    assert not hit.program_loaded, "the second compile should come from the cache"
    return hit


def test_a_hit_reads_the_spec_without_the_program(tmp_path):
    path = str(tmp_path / "perf.py")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fresh = compile_source(PERF, path)
        hit = _hit(PERF, path)
    assert hit.elf == fresh.elf
    assert hit.spec == fresh.spec
    spec = hit.spec
    assert spec.pins() == {"samples": "startup_test_samples"}
    assert spec.programs["sample"].attach == fresh.program.functions["sample"].attach
    assert spec.programs["sample"].attach["frequency"] == 49
    assert spec.programs["sample"].kind.name == "perf_event"
    assert spec.warnings == tuple(fresh.program.warnings) and spec.warnings
    assert (spec.maps["samples"].key, spec.maps["samples"].value) == (
        fresh.program.maps["samples"].key, fresh.program.maps["samples"].value)
    assert spec.events == fresh.program.event_types and spec.events["events"].name == "Sample"
    assert not hit.program_loaded  # the spec comes with the entry
    assert hit.program == fresh.program  # checked again on first use, and the same
    assert hit.program_loaded


def test_cached_warnings_are_still_shown(tmp_path):
    path = str(tmp_path / "perf.py")
    with warnings.catch_warnings(record=True) as first:
        warnings.simplefilter("always")
        fresh = compile_source(PERF, path)
    with warnings.catch_warnings(record=True) as again:
        warnings.simplefilter("always")
        hit = compile_source(PERF, path)
    assert not hit.program_loaded
    assert [str(w.message) for w in again] == [str(w.message) for w in first] \
        == list(fresh.program.warnings)
    assert any("5000" in str(w.message) for w in again)


PROGRAM_CHILD = '''
import json, sys
from pythonbpf.compiler import compile_source
compiled = compile_source(open({path!r}).read(), {path!r})
loaded = compiled.program_loaded
program = compiled.program
print(json.dumps({{"loaded": loaded, "maps": sorted(program.maps),
                   "functions": sorted(program.functions),
                   "lower": "pythonbpf.compiler.lower" in sys.modules,
                   "llvmlite": sorted(m for m in sys.modules if m.startswith("llvmlite"))}}))
'''


def test_a_hit_checks_the_source_again_for_the_typed_program(tmp_path, python_child):
    """The entry holds no typed program: `program` of a hit comes from the frontend alone
    (no lowering, no LLVM), and equals the compiled one."""
    path = tmp_path / "prog.py"
    path.write_text(COUNTER)
    fresh = compile_source(COUNTER, str(path))
    hit = compile_source(COUNTER, str(path))
    assert not hit.program_loaded
    assert hit.program == fresh.program
    report = python_child(PROGRAM_CHILD.format(path=str(path)))
    assert report == {"loaded": False, "maps": sorted(fresh.program.maps),
                      "functions": sorted(fresh.program.functions), "lower": False,
                      "llvmlite": []}


CHILD = '''
import json, sys
before = set(sys.modules)
from pythonbpf import BPF
b = BPF(path={path!r})
b.load_and_attach()
attached = sorted(set(sys.modules) - before)
import os
os.getppid()
counts = b["counts"]
viewed = sorted(set(sys.modules) - before)
print(json.dumps({{"attached": attached, "viewed": viewed, "mine": counts.get(os.getpid(), 0),
                   "program_maps": sorted(b.program.maps)}}))
b.close()
'''


@pytest.mark.kernel
def test_a_cached_start_imports_only_what_loading_and_attaching_need(tmp_path, python_child):
    path = tmp_path / "counter.py"
    path.write_text(COUNTER)
    compile_source(COUNTER, str(path))  # fills the cache
    report = python_child(CHILD.format(path=str(path)))

    def heavy(modules):
        return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]

    assert heavy(report["attached"]) == []
    # a declared map's view needs the spec's type classes, not the program model
    assert "pythonbpf.compiler.typed" not in report["viewed"]
    # ... and reads no BTF (pythonbpf.btf.kernel names the kernel the cache entry is for)
    assert not [m for m in report["viewed"]
                if m.startswith(("llvmlite", "pythonbpf.btf.reader", "pythonbpf.btf.decode"))]
    assert report["mine"] >= 1  # the attached program counted this process's getppid()
    assert report["program_maps"] == ["counts"]


COLD_CHILD = '''
import json, sys
from pythonbpf.compiler import compile_source
compiled = compile_source(open({path!r}).read(), {path!r})
print(json.dumps(sorted(sys.modules)))
'''
# What a cold compile must not import: dataclass's class building and inspect (the model and
# types are pythonbpf.record records), and the verifier diagnostics beyond the ELF reader that
# the frame check uses.
COLD_AVOIDS = ("dataclasses", "inspect", "pythonbpf.diagnostics.report",
               "pythonbpf.diagnostics.advice", "pythonbpf.diagnostics.verifier_log")


def test_a_cold_compile_imports_no_dataclasses_inspect_or_diagnosis(tmp_path, python_child):
    path = tmp_path / "xdp.py"
    path.write_text(COUNTER.replace('@section("tracepoint/syscalls/sys_enter_openat")',
                                    '@section("xdp")'))
    modules = python_child(COLD_CHILD.format(path=str(path)), PYTHONBPF_NO_CACHE="1")
    assert "llvmlite.binding" in modules  # it did compile
    assert [m for m in COLD_AVOIDS if m in modules] == []


@pytest.mark.parametrize("package", ["pythonbpf.loader", "pythonbpf.btf", "pythonbpf",
                                     "pythonbpf.diagnostics"])
def test_every_lazily_exported_name_resolves(package):
    import importlib

    import pythonbpf.loader.globals  # noqa: F401 - a submodule named like the builtin

    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None, name
    namespace = {}
    exec(f"from {package} import *", namespace)
    assert set(module.__all__) <= set(namespace)


TOOL = '''\
from pythonbpf import Const, Global, bpf, bpfglobal, section, uprobe
from pythonbpf.helper import pid
from pythonbpf.types import u32, u64

WANTED = Const(u32, 0)
hits = Global(u64)
later_hits = Global(u64)

@uprobe("libc", "abs")
def on_abs(ctx):
    global hits
    if pid() == WANTED:
        hits += 1
    return 0

@bpf
@section("uprobe")
def on_labs(ctx):
    global later_hits
    if pid() == WANTED:
        later_hits += 1
    return 0

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''

TOOL_CHILD = '''
import ctypes, json, os, sys
before = set(sys.modules)
from pythonbpf import BPF
b = BPF(path={path!r}, consts={{"WANTED": os.getpid()}})
b.load_and_attach()
b.attach_uprobe("on_labs", {libc!r}, "labs")
attached = sorted(set(sys.modules) - before)
libc = ctypes.CDLL("libc.so.6")
libc.labs.argtypes = [ctypes.c_long]
libc.abs(-3); libc.abs(-4); libc.labs(-5)
print(json.dumps({{"attached": attached, "hits": b.globals["hits"],
                   "later": b.globals["later_hits"]}}))
b.close()
'''


@pytest.mark.kernel
def test_a_cached_start_with_consts_and_uprobes_imports_nothing_heavy(tmp_path, python_child):
    """A Const (BPF(consts=...)), uprobes attached by section and one at run time by path: the
    loader's globals and uprobe_multi modules, not typing, re or the compiler's frontend."""
    from pythonbpf.binaries import resolve_library

    path = tmp_path / "tool.py"
    path.write_text(TOOL)
    compile_source(TOOL, str(path))  # fills the cache
    report = python_child(TOOL_CHILD.format(path=str(path), libc=resolve_library("libc")))
    assert (report["hits"], report["later"]) == (2, 1)  # the Const reached the programs
    assert [m for m in report["attached"]
            if any(m == h or m.startswith(h + ".") for h in HEAVY)] == []
