"""Packet lengths and variable-length copies (a sampler's needs): `pkt.len` is the bytes left
from the cursor, `ctx.data_end - ctx.data` the whole packet, and `pkt.load(buf, n)` copies a
run-time n proven to fit the buffer (bpf_xdp_load_bytes / bpf_skb_load_bytes), in XDP and tc, in
the kernel and the simulator; an n the compiler cannot bound is a located error."""
from __future__ import annotations

import pytest

from pythonbpf import BPF, CompileError
from pythonbpf.compiler import compile_source
from pythonbpf.testing import simulate

SAMPLER = '''
from pythonbpf import bpf, bpfglobal, struct, HOOK
from pythonbpf.maps import ArrayMap
from pythonbpf.types import u8, u32, u64
from pythonbpf.vmlinux import ethhdr

@bpf
@struct
class Sample:
    whole: u64
    left: u64
    copied: u32
    status: u32
    data: u8 * 64

last = ArrayMap(key=u32, value=Sample, max_entries=1)

@HOOK
def sampler(ctx):
    pkt = ctx.packet()
    e = last.lookup(0)
    if not e:
        return RET
    e.whole = pkt.len
    eth = pkt.header(ethhdr)
    if not eth:
        return RET
    n = pkt.len
    e.left = n
    e.copied = 0
    if n > 0:
        take = min(n, 64)
        e.copied = take
        e.status = pkt.load(e.data, take)
    return RET

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''

HOOKS = {"xdp": "2", "tc": "0"}  # XDP_PASS, TC_ACT_OK


def source(hook: str) -> str:
    return SAMPLER.replace("HOOK", hook).replace("RET", HOOKS[hook])


def frame(size: int) -> bytes:
    return bytes(range(256))[:size] if size <= 256 else bytes(i % 251 for i in range(size))


@pytest.mark.kernel
@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_lengths_and_bounded_copies_in_the_kernel(hook):
    with BPF(source=source(hook)) as b:
        for size, copied in ((20, 6), (78, 64), (300, 64)):
            b.programs["sampler"].test_run(frame(size))
            s = b["last"][0]
            assert (s.whole, s.left, s.copied, s.status) == (size, size - 14, copied, 0)
            assert bytes(s.data)[:copied] == frame(size)[14:14 + copied]


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_the_simulator_agrees(hook):
    sim = simulate(source(hook))
    for size, copied in ((20, 6), (300, 64)):
        sim.programs["sampler"].run(data=frame(size))
        s = sim.maps["last"][0]
        assert (s.whole, s.left, s.copied, s.status) == (size, size - 14, copied, 0)
        assert bytes(s.data)[:copied] == frame(size)[14:14 + copied]


@pytest.mark.kernel
def test_data_end_minus_data_is_the_packet_length():
    program = SAMPLER.replace("HOOK", "xdp").replace("RET", "2").replace(
        "    e.whole = pkt.len\n", "    e.whole = ctx.data_end - ctx.data\n")
    with BPF(source=program) as b:
        b.programs["sampler"].test_run(frame(99))
        assert b["last"][0].whole == 99


def test_an_unbounded_length_is_a_located_error():
    program = source("xdp").replace("take = min(n, 64)", "take = n")
    with pytest.raises(CompileError) as info:
        compile_source(program, "s.py")
    err = info.value
    assert "cannot prove that take is within 1..64" in err.message and "min(take, 64)" in str(err)
    assert err.line == program.splitlines().index("        e.status = pkt.load(e.data, take)") + 1
