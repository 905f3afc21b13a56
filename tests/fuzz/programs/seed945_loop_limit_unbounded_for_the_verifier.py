# Fuzz seed 945 (tools/fuzz.py --replay 945), unchanged: a regression test input, not a test.
from ctypes import (c_void_p, c_bool, c_int8, c_byte, c_uint8, c_ubyte, c_int16, c_short,
                    c_uint16, c_ushort, c_int32, c_int, c_uint32, c_uint, c_int64, c_longlong,
                    c_uint64, c_ulonglong)
from pythonbpf import bpf, bpfglobal, map, section, struct, xdp
from pythonbpf.helper import BPF_ANY, BPF_EXIST, BPF_NOEXIST
from pythonbpf.maps import ArrayMap, HashMap
from pythonbpf.types import i8, i16, i32, i64, u8, u16, u32, u64

@bpf
@struct
class Inputs:
    a: i16
    b: u64
    c: u64
    d: c_uint64

@bpf
@struct
class Outputs:
    o1: i64
    o2: i64
    o3: i64
    o4: i64
    o5: i64
    o6: i64

inputs = ArrayMap(key=u32, value=Inputs, max_entries=1)
results = ArrayMap(key=u32, value=Outputs, max_entries=1)
@bpf
@map
def counts() -> HashMap:
    return HashMap(key=i8, value=u16, max_entries=32)



@bpf
def sub1(p1: i64, p2: i64) -> u16:
    if p1 if ((p1 <= i32(3)) or (p2 > (-4))) else (-3269777879691440821):
        x1: c_int16 = (-1) * c_int64(p2)
        x2 = (-2) if (not ((~p2) > (p2 << x1))) else (x1 if ((17427420975168638940 if (i8(254) == i32(5410)) else p2) == (x1 % 8)) else (p1 >> x1))
        x1 *= p1
        x3 = x2
    else:
        p1 = min((p1 >> p1) ^ (~p1), p1)
    f1 = ((p1 if (p1 > 1) else u64(9507191835763638901)) << 36) <= c_uint8(12)
    p2 += 64
    return (max(p2 % 0, i32(53647) if (u32(2147483647) < p2 != p2) else p2) == (-8768533481758858877)) ^ p2


@xdp
def run(ctx):
    v = inputs.lookup(0)
    out = results.lookup(0)
    if not v or not out:
        return 1
    a = v.a
    b = v.b
    c = v.c
    d = v.d
    a = out.o3 + (a >> (out.o2 if (out.o3 == b) else out.o3))
    b = 11
    if sub1(15, 9223372036854775807) > 0:
        for j1 in range(2, c % 11):
            x4: i8 = 13
            out.o3 = i64(u16(61541))
        c = 14
    else:
        x5 = a
        c //= (-7) ^ (d ^ a)
    d ^= abs(b | u64(-211901608414136648))
    if i16(b + i32(-9)):
        w1: u32 = 1
        while w1 < 23:
            w1 += 1
            x6 = i64(out.o1)
            out.o3 = c_int64(c)
    counts().update(v.a & 7, 1023)
    x7 = counts().lookup(v.d & 7)
    if not x7:
        out.o4 = i64(max(-v.a, sub1(v.c, u32(-9))))
    else:
        out.o4 = x7
    x8 = counts().lookup(v.d & 7)
    if x8:
        out.o5 = i64(x8)
        out.o5 = i64(i8(v.c) if ((x8 == (-7402316302097080628)) or (v.c >= v.b) or ((-9223372036854775808) < v.d)) else x8)
    x9 = counts().lookup(0)
    if x9 is not None:
        out.o6 = x9
    counts()[0] |= (v.b if (u64(4) != v.b > v.a) else (-1960155838025108606)) << (u64(6) * 14)
    return 2



