"""The reference's known-answer table, in the kernel: hand-written expected values.

Operands come from a map, so the kernel computes every result at run time; a second group
writes the same expressions on literals and module constants, which the compiler may fold.
"""
from __future__ import annotations

import pytest

from lang_support import PACKET, XDP_PASS

SOURCE = '''\
from pythonbpf import bpf, section, struct, map, bpfglobal
from pythonbpf.maps import ArrayMap
from pythonbpf.types import u8, u16, u32, u64, i8, i16, i32, i64
from ctypes import c_void_p, c_int64, c_uint32

SEVEN = 7


@bpf
@struct
class Inputs:
    m7: i64
    two: i64
    zero: i64
    u250: u8
    u10: u8
    i8min: i8
    i8m1: i8
    i8one: i8
    u32one: u32
    c32: u32
    i32m8: i32
    c40: u8
    u64zero: u64
    i64m1: i64
    u16max: u16
    u16zero: u16
    u8five: u8
    u8big: u8


@bpf
@struct
class Outputs:
    floordiv: i64
    mod: i64
    div0: i64
    mod0: i64
    u8wrap: i64
    mindiv: i64
    minmod: i64
    shl32: i64
    sar40: i64
    gt_mixed: i64
    lt_mixed: i64
    u16wrap: i64
    extend: i64
    absmin: i64
    minmix: i64
    maxmix: i64
    eq_lit: i64
    neg_u32: i64
    lit_floordiv: i64
    lit_mod: i64
    lit_div0: i64
    lit_mod0: i64
    lit_mix: i64


@bpf
@map
def inputs() -> ArrayMap:
    return ArrayMap(key=c_uint32, value=Inputs, max_entries=1)


@bpf
@map
def results() -> ArrayMap:
    return ArrayMap(key=c_uint32, value=Outputs, max_entries=1)


@bpf
@section("xdp")
def run(ctx: c_void_p) -> c_int64:
    v = inputs().lookup(0)
    out = results().lookup(0)
    if v and out:
        out.floordiv = v.m7 // v.two
        out.mod = v.m7 % v.two
        out.div0 = v.m7 // v.zero
        out.mod0 = v.m7 % v.zero
        out.u8wrap = i64(v.u250 + v.u10)
        out.mindiv = i64(v.i8min // v.i8m1)
        out.minmod = i64(v.i8min % v.i8m1)
        out.shl32 = i64(v.u32one << v.c32)
        out.sar40 = i64(v.i32m8 >> v.c40)
        out.gt_mixed = i64(v.u64zero > v.i64m1)
        out.lt_mixed = i64(v.i64m1 < v.u64zero)
        out.u16wrap = i64(v.u16max + v.i8one)
        out.extend = i64(v.i8m1 + v.u16zero)
        out.absmin = i64(abs(v.i8min))
        out.minmix = i64(min(v.i8m1, v.u8five))
        out.maxmix = i64(max(v.i8m1, v.u8five))
        out.eq_lit = i64(v.u8big == 300)
        out.neg_u32 = i64(-v.u32one)
        out.lit_floordiv = -SEVEN // 2
        out.lit_mod = -SEVEN % 2
        out.lit_div0 = -SEVEN // 0
        out.lit_mod0 = -SEVEN % 0
        out.lit_mix = i64(u8(250) + u8(10))
    return 2


@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''

INPUTS = dict(m7=-7, two=2, zero=0, u250=250, u10=10, i8min=-128, i8m1=-1, i8one=1, u32one=1,
              c32=32, i32m8=-8, c40=40, u64zero=0, i64m1=-1, u16max=65535, u16zero=0, u8five=5,
              u8big=44)

EXPECTED = dict(
    floordiv=-4,         # -7 // 2
    mod=1,               # -7 % 2
    div0=0,              # -7 // 0
    mod0=-7,             # -7 % 0
    u8wrap=4,            # u8(250) + u8(10)
    mindiv=-128,         # i8(-128) // i8(-1)
    minmod=0,            # i8(-128) % i8(-1)
    shl32=0,             # u32(1) << 32
    sar40=-1,            # i32(-8) >> 40
    gt_mixed=1,          # u64(0) > i64(-1)
    lt_mixed=1,          # i64(-1) < u64(0)
    u16wrap=0,           # u16(65535) + i8(1) is u16(0)
    extend=65535,        # i8(-1) + u16(0) is u16(65535)
    absmin=-128,         # abs(i8(-128))
    minmix=255,          # min(i8(-1), u8(5)): -1 chosen, as u8
    maxmix=5,            # max(i8(-1), u8(5))
    eq_lit=0,            # u8(44) == 300
    neg_u32=4294967295,  # -u32(1)
    lit_floordiv=-4, lit_mod=1, lit_div0=0, lit_mod0=-7, lit_mix=4,
)


@pytest.mark.kernel
def test_known_answers_in_the_kernel():
    from pythonbpf import BPF

    with BPF(source=SOURCE, name="langknown").load() as b:
        b["inputs"][0] = INPUTS
        assert b.programs["run"].test_run(data=PACKET).retval == XDP_PASS
        got = b["results"][0]._asdict()
    wrong = {k: (got[k], want) for k, want in EXPECTED.items() if got[k] != want}
    assert not wrong, "field: (kernel, expected): " + repr(wrong)
