"""`BPF(consts=...)` and `b.globals` over a compiled object with .rodata/.data/.bss globals."""
from __future__ import annotations

from collections.abc import MutableMapping

import pytest

from loader_support import compile_ir, read_ir
from pythonbpf import BPF, BPFError

pytestmark = pytest.mark.kernel

PACKET = bytes(14)


@pytest.fixture(scope="module")
def elf() -> bytes:
    return compile_ir(read_ir("globals.ll"))


def test_const_set_at_construction_is_what_the_program_returns(elf):
    with BPF(obj=elf, consts={"LIMIT": 5}) as b:
        assert b.globals["LIMIT"] == 5
        assert b.programs["bump"].test_run(PACKET).retval == 5
        assert b.globals["LIMIT"] == 5
    with BPF(obj=elf) as b:
        assert b.programs["bump"].test_run(PACKET).retval == 10


def test_globals_view_reads_and_writes_kernel_values(elf):
    with BPF(obj=elf) as b:
        g = b.globals
        assert isinstance(g, MutableMapping)
        assert dict(g) == {"LIMIT": 10, "counter": 5, "total": 0}  # initial values
        assert len(g) == 3 and "counter" in g and "nope" not in g
        b.load()
        b.programs["bump"].test_run(PACKET)
        assert g["counter"] == 6 and g["total"] == 6
        g["counter"] = 41
        assert b.programs["peek"].test_run(PACKET).retval == 41
        b.programs["bump"].test_run(PACKET)
        assert (g["counter"], g["total"]) == (42, 48)
        g.update(total=0)
        assert g["total"] == 0


def test_global_set_before_load_is_its_initial_value(elf):
    with BPF(obj=elf) as b:
        b.globals["counter"] = 100
        assert b.programs["peek"].test_run(PACKET).retval == 100


def test_const_is_frozen_after_load(elf):
    with BPF(obj=elf, consts={"LIMIT": 7}) as b:
        b.load()
        with pytest.raises(BPFError, match="Const.*frozen"):
            b.globals["LIMIT"] = 8
        assert b.globals["LIMIT"] == 7
        with pytest.raises(TypeError, match="cannot be deleted"):
            del b.globals["counter"]


def test_bad_consts_are_reported_at_construction(elf):
    with pytest.raises(KeyError, match=r"'LIMT' is not a Const.*Consts: LIMIT"):
        BPF(obj=elf, consts={"LIMT": 5})
    with pytest.raises(ValueError, match=r"Global, not a Const.*b.globals\['counter'\]"):
        BPF(obj=elf, consts={"counter": 5})
    with pytest.raises(ValueError, match="64-bit unsigned"):
        BPF(obj=elf, consts={"LIMIT": -1})
    with pytest.raises(KeyError, match="Consts: none"):
        BPF(obj=compile_ir(read_ir("xdp.ll")), consts={"X": 1})


def test_unknown_global_is_a_key_error(elf):
    with BPF(obj=elf) as b:
        with pytest.raises(KeyError, match="globals: LIMIT, counter, total"):
            b.globals["nope"]
        assert b.globals.get("nope", "dflt") == "dflt"


def test_views_refuse_to_reopen_a_closed_object(elf):
    b = BPF(obj=elf)
    g, progs = b.globals, b.programs
    assert g["counter"] == 5 and "bump" in progs
    b.close()
    with pytest.raises(RuntimeError, match="closed"):
        g["counter"]
    with pytest.raises(RuntimeError, match="closed"):
        progs["bump"]
