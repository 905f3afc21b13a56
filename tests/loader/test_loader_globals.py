"""Global data through the loader: Consts before load, Globals both ways after load."""

from __future__ import annotations

import errno

import pytest

from loader_support import bpf_fds
from pythonbpf.loader import BPFError, BpfObject

pytestmark = pytest.mark.kernel

PACKET = bytes(14)


def test_globals_are_found_by_name(globals_elf):
    with BpfObject.open(globals_elf) as obj:
        data = obj.globals
        assert data.consts() == ["LIMIT"]
        assert data.globals() == ["counter", "total"]
        assert {n: v.section for n, v in data.vars.items()} == {
            "LIMIT": ".rodata", "counter": ".data", "total": ".bss"}
        assert [data.get(n) for n in ("LIMIT", "counter", "total")] == [10, 5, 0]
        with pytest.raises(KeyError, match="counter, total"):
            data.get("nope")


def test_const_set_before_load_reaches_the_program(globals_elf):
    with BpfObject.open(globals_elf) as obj:
        obj.globals.set("LIMIT", 1234)
        obj.load()
        assert obj.programs["bump"].test_run(PACKET).retval == 1234
        assert obj.globals.get("LIMIT") == 1234
        with pytest.raises(BPFError, match="frozen") as info:
            obj.globals.set("LIMIT", 1)
        assert info.value.errno == errno.EPERM
        assert obj.programs["bump"].test_run(PACKET).retval == 1234


def test_globals_read_and_written_in_the_kernel(globals_elf):
    with BpfObject.open(globals_elf) as obj:
        obj.load()
        data, bump, peek = obj.globals, obj.programs["bump"], obj.programs["peek"]
        bump.test_run(PACKET)
        bump.test_run(PACKET)
        assert data.get("counter") == 7
        assert data.get("total") == 6 + 7
        data.set("counter", -10)
        assert peek.test_run(PACKET).signed_retval == -10
        bump.test_run(PACKET)
        assert data.get("counter") == -9
        data.set("total", 2**64 - 1)
        assert data.get("total") == 2**64 - 1
        data.set("total", 0)
        assert data.get("total") == 0
        # a map lookup agrees with the mmap view
        raw = obj.maps[next(n for n in obj.maps if n.endswith(".data"))].lookup(bytes(4))
        assert int.from_bytes(raw, "little", signed=True) == -9


def test_ranges_are_checked(globals_elf):
    with BpfObject.open(globals_elf) as obj:
        with pytest.raises(ValueError, match="32-bit signed"):
            obj.globals.set("counter", 2**31)
        with pytest.raises(ValueError, match="64-bit unsigned"):
            obj.globals.set("LIMIT", -1)
        with pytest.raises(TypeError):
            obj.globals.set("LIMIT", "10")


def test_close_unmaps_and_frees_the_global_maps(globals_elf):
    before = bpf_fds()
    obj = BpfObject.open(globals_elf)
    obj.load()
    obj.globals.get("counter")
    assert len(bpf_fds()) > len(before)
    assert _bpf_map_mappings() == 1
    data = obj.globals
    obj.close()
    assert bpf_fds() == before
    assert _bpf_map_mappings() == 0  # an mmap would keep the kernel map alive
    with pytest.raises(BPFError, match="closed"):
        data.get("counter")


def _bpf_map_mappings() -> int:
    with open("/proc/self/maps") as maps:
        return sum("anon_inode:bpf-map" in line for line in maps)
