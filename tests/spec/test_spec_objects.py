"""The ObjectSpec: what the compiler hands to loading, attaching, user space and export.

Kernel-free: these compile programs and check what their specs say - maps with kinds and
types, programs with the kind the registry parsed from their section, globals, event record
types, warnings - and that the compile cache gives back an equal spec in a process that never
imports the compiler's frontend.
"""
from __future__ import annotations

import warnings

import pytest

from pythonbpf.compiler import cache, compile_source
from pythonbpf.kinds import ProgramKind
from pythonbpf.spec import plain
from pythonbpf.spec.objects import MapSpec, ObjectSpec, ProgramSpec
from pythonbpf.spec.types import IntType, StrType, StructType

PROGRAM = '''\
from pythonbpf import Const, Global, bpf, bpfglobal, perf_event, section, struct, xdp
from pythonbpf.helper import comm, ktime, log2, pid
from pythonbpf.maps import ArrayMap, HashMap, RingBuf
from pythonbpf.types import u32, u64

@struct
class Key:
    pid: u32
    cpu: u32

@struct
class Sample:
    pid: u32
    ts: u64
    name: str(16)

WANTED = Const(u32, 7)
seen = Global(u64)

per_key = HashMap(key=Key, value=u64, max_entries=128, pin="spec_test_per_key")
hist = ArrayMap(key=u32, value=u64, max_entries=64)
events = RingBuf(max_entries=4096)

@perf_event(frequency=49)
def sample(ctx):
    global seen
    k = Key()
    k.pid = pid()
    k.cpu = 0
    per_key[k] += 1
    seen += 1
    e = Sample()
    e.pid = pid()
    e.ts = ktime()
    e.name = comm()
    events.output(e)
    return 0

@bpf
@section("tracepoint/syscalls/sys_enter_getppid")
def on_getppid(ctx):
    slot = log2(ktime() // 1000)
    hist[slot] += 1
    return 0

@xdp
def passer(ctx):
    if pid() == WANTED:
        return 1
    return 2

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''

XDP_ONLY = '''\
from pythonbpf import bpf, bpfglobal, xdp
from pythonbpf.maps import ArrayMap
from pythonbpf.types import u32, u64

packets = ArrayMap(key=u32, value=u64, max_entries=1)

@xdp
def count(ctx):
    packets[0] += 1
    return 2

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''


def _compile(source: str, path: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compile_source(source, path)


def test_maps_have_their_kind_types_and_options(tmp_path):
    spec = _compile(PROGRAM, str(tmp_path / "prog.py")).spec
    assert isinstance(spec, ObjectSpec)
    assert sorted(spec.maps) == ["events", "hist", "per_key"]
    per_key = spec.maps["per_key"]
    assert isinstance(per_key, MapSpec)
    assert (per_key.kind, per_key.map_type, per_key.max_entries) == ("hash", 1, 128)
    assert isinstance(per_key.key, StructType) and per_key.key.name == "Key"
    assert [f.name for f in per_key.key.fields] == ["pid", "cpu"]
    assert per_key.value == IntType(64, False)
    assert per_key.pin == "spec_test_per_key" and spec.pins() == {"per_key": "spec_test_per_key"}
    assert (spec.maps["hist"].kind, spec.maps["hist"].map_type) == ("array", 2)
    assert (spec.maps["events"].kind, spec.maps["events"].map_type) == ("ringbuf", 27)
    # which maps the program keys with log2(): the command line prints those as histograms
    assert [name for name, m in spec.maps.items() if m.log2_key] == ["hist"]


def test_programs_carry_the_kind_parsed_from_their_section(tmp_path):
    spec = _compile(PROGRAM, str(tmp_path / "prog.py")).spec
    assert list(spec.programs) == ["sample", "on_getppid", "passer"]
    tp = spec.programs["on_getppid"]
    assert isinstance(tp, ProgramSpec) and isinstance(tp.kind, ProgramKind)
    assert (tp.section, tp.kind.name, tp.kind.prog_type, tp.target) == (
        "tracepoint/syscalls/sys_enter_getppid", "tracepoint", 5, "syscalls/sys_enter_getppid")
    perf = spec.programs["sample"]
    assert (perf.kind.name, perf.kind.prog_type, perf.attach) == ("perf_event", 7,
                                                                    {"frequency": 49})
    xdp = spec.programs["passer"]
    assert (xdp.kind.name, xdp.kind.prog_type, xdp.target, xdp.kind.packet) == ("xdp", 6, "", True)
    assert spec.kernel_types  # the tracepoint's record comes from this kernel's format


def test_globals_events_warnings_and_license(tmp_path):
    compiled = _compile(PROGRAM, str(tmp_path / "prog.py"))
    spec = compiled.spec
    assert spec.filename == str(tmp_path / "prog.py") and spec.elf == compiled.elf
    assert spec.elf.startswith(b"\x7fELF")
    assert spec.license == "GPL"
    assert spec.globals["WANTED"].const and spec.globals["WANTED"].value == 7
    assert not spec.globals["seen"].const and spec.globals["seen"].type == IntType(64, False)
    record = spec.events["events"]
    assert isinstance(record, StructType) and record.name == "Sample"
    assert record.field("name").type == StrType(16)
    assert spec.warnings == tuple(compiled.program.warnings)
    # RingBuf(max_entries=4096) is a page multiple: no warning; 5000 would be rounded up
    assert not any("4096" in w for w in spec.warnings)


def test_a_program_that_reads_no_kernel_types_does_not_depend_on_the_kernel(tmp_path):
    spec = _compile(XDP_ONLY, str(tmp_path / "xdp.py")).spec
    assert not spec.kernel_types
    assert cache.uses_kernel_types(spec) is False


def test_the_plain_encoding_round_trips_and_refuses_what_a_spec_cannot_hold(tmp_path):
    spec = _compile(PROGRAM, str(tmp_path / "prog.py")).spec
    data = plain.dumps(spec)
    assert spec.elf not in data  # stored beside the spec, not twice
    again = plain.loads(data, spec.elf)
    assert again == spec
    assert again.programs["sample"].kind is spec.programs["sample"].kind  # the registry's row
    foreign = ObjectSpec("x.py", b"", maps={"m": MapSpec("m", "hash", 1, object(), None, 1)})
    with pytest.raises(TypeError):
        plain.dumps(foreign)
    with pytest.raises(ValueError):
        plain.loads(b"not marshal data", b"")
    unknown = ProgramKind("no_such_kind", ("no_such_kind",), 0, "")
    odd = ObjectSpec("x.py", b"", programs={"p": ProgramSpec("p", "no_such_kind", unknown, "")})
    with pytest.raises(ValueError):  # a kind the registry no longer has: a cache miss
        plain.loads(plain.dumps(odd), b"")


def test_an_entry_naming_a_kind_the_registry_lacks_is_a_miss(tmp_path):
    path = str(tmp_path / "xdp.py")
    good = _compile(XDP_ONLY, path)
    key = cache.entry_key(XDP_ONLY, path)
    assert cache.load_entry(key) is not None
    unknown = ProgramKind("retired_kind", ("retired_kind",), 6, "xdp_md")
    program = good.spec.programs["count"]
    spec = ObjectSpec(good.spec.filename, good.spec.elf, good.spec.maps,
                      {"count": ProgramSpec("count", program.section, unknown, "")})
    assert cache.store_entry(key, spec)
    assert cache.load_entry(key) is None
    assert _compile(XDP_ONLY, path).spec == good.spec  # recompiled, and the entry rewritten
    assert cache.load_entry(key).spec() == good.spec


def _replace_part(key, index, data):
    """Rewrite part `index` of entry `key` (0 ELF, 1 load summary, 2 spec) with
    `data`, sizes and checksum made to match: an entry that checks out but does not decode."""
    path = cache._entry_path(key)
    raw = open(path, "rb").read()
    sizes = [cache._size(raw, i) for i in range(cache._PARTS)]
    parts, offset = [], cache._PAYLOAD
    for size in sizes:
        parts.append(raw[offset:offset + size])
        offset += size
    parts[index] = data
    payload = b"".join(parts)
    header = cache.MAGIC + b"".join(len(p).to_bytes(cache._SIZE_BYTES, "little") for p in parts)
    kernel = raw[cache._KERNEL:cache._KERNEL + cache._ID_BYTES]
    open(path, "wb").write(header + cache._digest(payload) + kernel + payload)


def test_a_spec_that_does_not_decode_is_recompiled_when_first_read(tmp_path):
    path = str(tmp_path / "xdp.py")
    good = _compile(XDP_ONLY, path)
    key = cache.entry_key(XDP_ONLY, path)
    _replace_part(key, 2, b"not marshal data")
    hit = cache.load_entry(key)  # the ELF and the summary check out: a hit, decoded lazily
    assert hit is not None and hit.summary == cache.load_entry(key).summary
    with pytest.raises(ValueError):
        hit.spec()
    again = _compile(XDP_ONLY, path)
    assert not again.spec_loaded and again.elf == good.elf
    assert again.spec == good.spec  # recompiled on first read, and the entry rewritten
    assert cache.load_entry(key).spec() == good.spec


def test_a_summary_that_does_not_decode_is_a_miss(tmp_path):
    path = str(tmp_path / "xdp.py")
    good = _compile(XDP_ONLY, path)
    key = cache.entry_key(XDP_ONLY, path)
    _replace_part(key, 1, b"\x00garbage")
    assert cache.load_entry(key) is None
    assert _compile(XDP_ONLY, path).spec == good.spec
    assert cache.load_entry(key).summary.kinds == {"count": "xdp"}


CHILD = '''
import sys
from pythonbpf.compiler import compile_source
from pythonbpf.spec import plain
compiled = compile_source(open({path!r}).read(), {path!r})
spec = compiled.spec
modules = sorted(sys.modules)
import json  # (json imports re)
print(json.dumps({{"modules": modules, "loaded": compiled.program_loaded,
                   "spec": plain.dumps(spec).hex(), "elf": spec.elf.hex()}}))
'''
# A cache hit decodes the spec with spec/, kinds/ and record.py alone.
NOT_ON_A_HIT = ("pythonbpf.compiler.frontend", "pythonbpf.compiler.typed",
                "pythonbpf.compiler.lower", "pythonbpf.compiler.specs", "llvmlite", "typing",
                "pickle", "dataclasses", "re")


def test_a_cache_hit_gives_an_equal_spec_without_the_compiler(tmp_path, python_child):
    path = tmp_path / "prog.py"
    path.write_text(PROGRAM)
    fresh = _compile(PROGRAM, str(path))  # fills the cache
    report = python_child(CHILD.format(path=str(path)))
    assert not report["loaded"]  # served from the cache: the typed program stayed there
    heavy = [m for m in report["modules"]
             if any(m == h or m.startswith(h + ".") for h in NOT_ON_A_HIT)]
    assert heavy == []
    assert "pythonbpf.spec.objects" in report["modules"]
    hit = plain.loads(bytes.fromhex(report["spec"]), bytes.fromhex(report["elf"]))
    assert hit == fresh.spec


def test_bpf_reads_the_spec_it_is_given_or_makes_it_from_a_program(tmp_path):
    from pythonbpf import BPF

    compiled = _compile(PROGRAM, str(tmp_path / "prog.py"))
    with BPF(obj=compiled.elf, spec=compiled.spec) as given:
        assert given.spec is compiled.spec
        assert given._map_types("per_key").key.name == "Key"
        assert given._event_type("events").name == "Sample"
        assert given._attach_options("sample") == {"frequency": 49}
    with BPF(obj=compiled.elf, program=compiled.program) as made:
        assert made.spec == compiled.spec and made.program is compiled.program
    with BPF(obj=compiled.elf) as bare:  # a .o alone: types come from its BTF once loaded
        assert bare.spec is None and bare._attach_options("sample") == {}
        bare.program = compiled.program
        assert bare.spec == compiled.spec


ATTACH_ONLY = '''\
from pythonbpf import bpf, bpfglobal, perf_event, section
from pythonbpf.helper import pid
from pythonbpf.maps import HashMap
from pythonbpf.types import u32, u64

calls = HashMap(key=u32, value=u64, max_entries=64, pin="spec_attach_calls")

@perf_event(frequency=49)
def sample(ctx):
    calls[1] += 1
    return 0

@bpf
@section("tracepoint/syscalls/sys_enter_getppid")
def on_getppid(ctx):
    calls[pid()] += 1
    return 0

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''

ATTACH_CHILD = '''
import json, os, sys
from pythonbpf import BPF
b = BPF(path={path!r}, pin_root={pin_root!r})
b.load_and_attach()
before = sorted(m for m in sys.modules if m.startswith("pythonbpf.spec") or m == "pythonbpf.record")
options = b._attach_options("sample")
pinned = os.path.exists(os.path.join({pin_root!r}, "spec_attach_calls"))
os.getppid()
count = b["calls"][os.getpid()]
after = "pythonbpf.spec.objects" in sys.modules
b.close()
print(json.dumps({{"before": before, "options": options, "pinned": pinned, "count": count,
                   "after": after}}))
'''


@pytest.mark.kernel
def test_a_cached_start_attaches_from_the_summary_and_decodes_the_spec_at_the_first_view(
        tmp_path, python_child, pin_root):
    """Loading and attaching read pins and attach options from the entry's load summary; the
    spec (and the value types and records it is made of) is decoded at the first map view."""
    path = tmp_path / "attach.py"
    path.write_text(ATTACH_ONLY)
    _compile(ATTACH_ONLY, str(path))  # fills the cache
    report = python_child(ATTACH_CHILD.format(path=str(path), pin_root=pin_root))
    assert report["before"] == ["pythonbpf.spec", "pythonbpf.spec.summary"]
    assert report["options"] == {"frequency": 49} and report["pinned"]
    assert report["count"] >= 1 and report["after"]
