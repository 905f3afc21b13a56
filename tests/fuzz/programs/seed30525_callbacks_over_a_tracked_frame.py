# Fuzz seed 30525 (tools/fuzz.py --replay 30525), unchanged: a regression test input, not a test.
# First input set: {'a': 2, 'b': -10, 'c': 22, 'd': 6}
from ctypes import (c_void_p, c_bool, c_int8, c_byte, c_uint8, c_ubyte, c_int16, c_short,
                    c_uint16, c_ushort, c_int32, c_int, c_uint32, c_uint, c_int64, c_longlong,
                    c_uint64, c_ulonglong)
from pythonbpf import bpf, bpfglobal, map, section, struct, xdp
from pythonbpf.helper import BPF_ANY, BPF_EXIST, BPF_NOEXIST
from pythonbpf.maps import ArrayMap, HashMap
from pythonbpf.types import i8, i16, i32, i64, u8, u16, u32, u64

@bpf
@struct
class Rec:
    f0: i32
    f1: u8
    arr: c_ushort * 2

@bpf
@struct
class Inputs:
    a: u64
    b: i8
    c: c_ubyte
    d: i64

@bpf
@struct
class Outputs:
    o1: i64
    o2: i64
    o3: i64

inputs = ArrayMap(key=u32, value=Inputs, max_entries=1)
results = ArrayMap(key=u32, value=Outputs, max_entries=1)
counts = HashMap(key=u8, value=c_longlong, max_entries=32)
@bpf
@map
def recs() -> ArrayMap:
    return ArrayMap(key=c_uint, value=Rec, max_entries=8)



@bpf
def sub1(p1: u16) -> u32:
    p1, x1, x2 = 7 % (c_uint32(32378) // p1), p1, (p1 - p1) | 32767
    x3 = ~u32(abs(p1))
    return 15


@bpf
@section("xdp")
def run(ctx: c_void_p) -> c_int64:
    v = inputs.lookup(0)
    out = results.lookup(0)
    if not v or not out:
        return 1
    a = v.a
    b = v.b
    c = v.c
    d = v.d
    x4 = (out.o2 * out.o3) - 4
    out.o3 //= max(sub1(i16(3)), out.o2)
    x5 = min(14, i64(abs(a)))
    x6: i16 = -1
    w1: i32 = 2
    while w1 <= 19:
        w1 += 2
        x5 >>= 19
        for j1 in range(4):
            d = max(x5 if (c < 15) else 64, out.o3, ~out.o2) if (a != (sub1(b) + ((x5 <= (-3)) * i64(18446744073709551614)))) else 12374321152076184509
            if ((out.o1 >= j1) or (i8(8) < 3) or (c > 254 <= w1)) and c_bool(x6) and (d <= (x4 & (w1 == a >= (-5209692082652303785)))):
                x7: i32 = ~min(b, b | x6, d)
                out.o1 = -sub1(-14716)
                x5 = i32(44785)
            elif sub1(out.o3) and d and (out.o2 >= (x5 if (w1 < c >= a) else out.o2)):
                f1 = out.o2 >= (~(x4 if (c == out.o2) else (-1)))
                out.o1 >>= 22
            w2: i16 = -1
            while w2 < 6:
                w2 += 2
                x8 = (-(~x4)) & out.o2
                a += d
                x9 = max(c_bool(~i32(1)), (c * 15) | 119, min(x5, i64(14187)) if ((c_int(1) if (w1 < c_int16(50014)) else 32) > (w2 and c and a) < (d - x8)) else sub1(65535))
                x10: c_int64 = u64(max(5, w2) % b)
            x11: i16 = (min(x4, out.o3) & (c_byte(1) % 4)) % (1 * b)
        for j2 in range(min(a, 6)):
            sub1(-25298)
            for j3 in range(x6 % 1):
                x12 = 15 if (((j3 if (1 > out.o3) else out.o3) >> (~j2)) == ((x5 + u32(-2147483648)) + (out.o2 if (x5 <= (-6)) else x5))) else ((j3 * 7) << (a >> 46))
                x13 = x12 % (out.o3 << j3)
                x14 = c
                x15 = (-(out.o3 << d)) if (not ((-1) == (a & 7))) else (out.o3 if ((u8(15) and 122) > (x4 // x6)) else sub1(x14))
            x16 = x5
        else:
            x17: u8 = out.o1
            if x17 < 8:
                for j4 in range(x17):
                    continue
                    sub1(x5)
        if (min(w1, x5) if ((x5 ^ 0) <= (-d)) else sub1(8)) < (u8(45186) | (b if (out.o2 != d >= x4) else a)) <= 18446744073709551614:
            continue
    for j5 in range(22):
        if (c != 1) or ((x5 == 16375490198713365650) or (u32(4294967295) != (-8)) or (out.o1 > 8)) or (b <= (-816275834904716508)):
            out.o3 = i64(out.o1)
            a |= u64(a or 3)
        x18 = sub1(x5)
        sub1(out.o2)
    for j6 in range(out.o1 % 10):
        out.o2 = x4
    counts[v.a & 7] -= (v.c if (v.b == v.d) else v.c) if (v.a >= (v.b ^ v.d)) else (-1)
    counts.increment(v.c % 8)
    return 2


@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
