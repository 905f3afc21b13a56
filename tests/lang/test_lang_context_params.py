"""Subprograms that take the program's context: `def helper(ctx)` called as `helper(ctx)` sees
the calling program's context (fields, packet, helpers), unannotated or as `c_void_p`, through
further subprograms and loops; contexts that differ, or a context given an integer type, are
located errors that say what to write."""
from __future__ import annotations

import os

import pytest

from pythonbpf import BPF, CompileError
from pythonbpf.compiler import compile_source

PACKET = '''
from ctypes import c_void_p
from pythonbpf import bpf, bpfglobal, xdp
from pythonbpf.maps import ArrayMap
from pythonbpf.types import u32, u64
from pythonbpf.vmlinux import ethhdr

out = ArrayMap(key=u32, value=u64, max_entries=8)

@bpf
def proto(ctx, slot: u32) -> u64:
    pkt = ctx.packet()
    eth = pkt.header(ethhdr)
    if not eth:
        return 0
    out[slot] = eth.h_proto
    return queue(ctx)

@bpf
def queue(c: c_void_p) -> u64:
    out[2] = c.rx_queue_index + 5
    for i in range(3):
        out[3] += 1
    return 1

@xdp
def prog(ctx):
    if proto(ctx, 1) == 1:
        return 2
    return 1

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''

TRACEPOINT = '''
from pythonbpf import bpf, bpfglobal, tracepoint
from pythonbpf.helper import pid
from pythonbpf.maps import HashMap
from pythonbpf.types import u32, u64

modes = HashMap(key=u32, value=u64, max_entries=64)

@bpf
def note(ctx):
    if pid() == TARGET:
        modes[ctx.mode] += 1

@tracepoint("syscalls:sys_enter_fchmodat")
def chmod(ctx):
    note(ctx)
    return 0

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''


@pytest.mark.kernel
def test_a_packet_context_passes_through_two_subprograms():
    frame = bytes(12) + b"\x08\x00" + bytes(50)
    with BPF(source=PACKET) as b:
        assert b.programs["prog"].test_run(frame).retval == 2
        seen = dict(b["out"])
        assert seen[1] == 0x0008 and seen[2] == 5 and seen[3] == 3  # h_proto as stored, queue 0 + 5
        assert b.programs["prog"].test_run(bytes(12) + b"\x86\xdd" + bytes(50)).retval == 2
        assert b["out"][1] == 0xDD86 and b["out"][3] == 6


@pytest.mark.kernel
def test_a_tracepoint_context_in_a_subprogram_reads_its_fields(tmp_path):
    (tmp_path / "f").write_text("x")
    folder = os.open(tmp_path, os.O_RDONLY)
    try:
        with BPF(source=TRACEPOINT.replace("TARGET", str(os.getpid()))) as b:
            b.load_and_attach()
            for _ in range(3):
                os.chmod("f", 0o640, dir_fd=folder)  # fchmodat(2)
            os.chmod("f", 0o600, dir_fd=folder)
            modes = dict(b["modes"])
    finally:
        os.close(folder)
    assert modes == {0o640: 3, 0o600: 1}


def _error(source: str) -> CompileError:
    with pytest.raises(CompileError) as info:
        compile_source(source, "ctx.py")
    return info.value


def test_contexts_that_differ_are_refused_at_the_second_call():
    source = TRACEPOINT.replace("TARGET", "1") + '''
@tracepoint("syscalls:sys_enter_openat")
def opened(ctx):
    note(ctx)
    return 0
'''
    err = _error(source)
    lines = source.splitlines()
    assert err.line == lines.index("def opened(ctx):") + 2 and err.col == 10
    assert "which differ" in err.message and "pass them as integers" in str(err)


def test_a_context_parameter_with_an_integer_type_says_what_to_write():
    err = _error(TRACEPOINT.replace("def note(ctx):", "def note(ctx: u64):").replace("TARGET", "1"))
    assert "receives the program's context" in err.message
    assert "leave it unannotated" in str(err) and err.line == TRACEPOINT.splitlines().index("def note(ctx):") + 1


def test_c_void_p_without_a_context_passed_names_the_call_to_write():
    err = _error(PACKET.replace("return queue(ctx)", "return 1"))
    assert "no call passes queue() a program's context" in err.message
    assert "call it as `queue(ctx)`" in str(err)


def test_an_unannotated_parameter_hint_offers_both_meanings():
    err = _error(PACKET.replace("proto(ctx, 1)", "proto(7, 1)"))
    assert "parameter 'ctx' needs a type" in err.message and "proto(ctx)" in str(err)
