"""Pinned maps: `pin="name"` reuses a map across runs, `view.pin(path)`, `open_pinned(path)`.

Pins live in a directory of bpffs made for the test and removed afterwards."""
from __future__ import annotations

import os

import pytest

from pythonbpf import BPF, Record, open_pinned
from pythonbpf.compiler import compile_source

pytestmark = pytest.mark.kernel

SOURCE = '''
from ctypes import c_void_p, c_int64
from pythonbpf import bpf, section, struct
from pythonbpf.types import u32, u64
from pythonbpf.maps import HashMap

@bpf
@struct
class Seen:
    count: u64
    last: u32

counts = HashMap(key=u32, value=Seen, max_entries=64, pin="counts")
renamed = HashMap(key=u32, value=u64, max_entries=8, pin="pythonbpf_renamed")
scratch = HashMap(key=u32, value=u64, max_entries=8)

@bpf
@section("xdp")
def bump(ctx: c_void_p) -> c_int64:
    s = counts.lookup(1)
    if s:
        s.count += 1
        s.last = 7
    else:
        fresh = Seen()
        fresh.count = 1
        counts[1] = fresh
    return 2
'''


def test_declared_pin_is_reused_by_the_next_run(pin_root):
    with BPF(source=SOURCE, pin_root=pin_root) as first:
        first.programs["bump"].test_run(bytes(64))
        first["renamed"][3] = 33
        assert first["counts"].map.pinned
        assert first["counts"].map.pin_path == f"{pin_root}/counts"
    assert sorted(os.listdir(pin_root)) == ["counts", "pythonbpf_renamed"]
    with BPF(source=SOURCE, pin_root=pin_root) as second:
        second.programs["bump"].test_run(bytes(64))  # the map of the first run, reused
        assert second["counts"][1] == Record(count=2, last=7)
        assert second["renamed"][3] == 33


def test_open_pinned_decodes_by_the_maps_btf(pin_root):
    with BPF(source=SOURCE, pin_root=pin_root) as b:
        b.programs["bump"].test_run(bytes(64))
    view = open_pinned(f"{pin_root}/counts")  # no program, no declaration: BTF says the types
    try:
        assert view[1] == Record(count=1, last=0)
        assert type(view[1]).__name__ == "Seen"
        view[2] = {"count": 5, "last": 1}
    finally:
        view.map.close()
    with BPF(source=SOURCE, pin_root=pin_root) as b:
        assert b["counts"][2].count == 5
    with pytest.raises(FileNotFoundError):
        open_pinned(f"{pin_root}/missing")


def test_pin_and_unpin_a_view(pin_root):
    path = f"{pin_root}/scratch_pin"
    elf = compile_source(SOURCE, "prog.py").elf
    with BPF(obj=elf, pin_root=pin_root) as b:  # obj= works the same way
        scratch = b["scratch"]
        scratch[1] = 11
        assert scratch.pin(path) == path and os.path.exists(path)
        other = open_pinned(path)
        assert other[1] == 11 and other.map.info().id == scratch.map.info().id
        other.map.close()
        scratch.unpin()
        assert not os.path.exists(path)
