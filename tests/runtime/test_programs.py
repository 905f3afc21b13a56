"""`b.programs[name]` and test_run through the user-facing BPF class."""
from __future__ import annotations

import textwrap
from collections.abc import Mapping

import pytest

from pythonbpf import BPF

pytestmark = pytest.mark.kernel

XDP_SOURCE = textwrap.dedent("""
    from ctypes import c_void_p, c_int64
    from pythonbpf import bpf, section, bpfglobal

    @bpf
    @section("xdp")
    def drop_all(ctx: c_void_p) -> c_int64:
        return 1

    @bpf
    @section("xdp")
    def pass_all(ctx: c_void_p) -> c_int64:
        return 2

    @bpf
    @bpfglobal
    def LICENSE() -> str:
        return "GPL"
""")

PACKET = bytes(range(64))


def test_programs_load_on_first_use_and_test_run():
    with BPF(source=XDP_SOURCE) as b:
        assert not b.is_loaded()
        progs = b.programs
        assert isinstance(progs, Mapping)
        assert sorted(progs) == ["drop_all", "pass_all"]
        assert b.is_loaded()
        result = progs["drop_all"].test_run(PACKET)
        assert result.retval == 1
        assert result.data_out == PACKET
        assert progs["pass_all"].test_run(PACKET, repeat=10).retval == 2


def test_program_attributes():
    with BPF(source=XDP_SOURCE) as b:
        prog = b.programs["pass_all"]
        assert prog.name == "pass_all"
        assert prog.section == "xdp"
        assert prog.fd >= 0
        assert prog.info().type == 6  # BPF_PROG_TYPE_XDP
        assert len(b.programs) == 2 and "drop_all" in b.programs


def test_programs_is_read_only_and_names_unknown_keys():
    with BPF(source=XDP_SOURCE) as b:
        with pytest.raises(TypeError):
            b.programs["x"] = None  # type: ignore[index]
        with pytest.raises(KeyError, match="drop_all, pass_all"):
            b.programs["missing"]


def test_short_packet_is_a_value_error():
    with BPF(source=XDP_SOURCE) as b:
        with pytest.raises(ValueError, match="Ethernet"):
            b.programs["drop_all"].test_run(b"short")
