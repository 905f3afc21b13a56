# Fuzz seed 9082 (tools/fuzz.py --replay 9082), unchanged: a regression test input, not a test.
from ctypes import (c_void_p, c_bool, c_int8, c_byte, c_uint8, c_ubyte, c_int16, c_short,
                    c_uint16, c_ushort, c_int32, c_int, c_uint32, c_uint, c_int64, c_longlong,
                    c_uint64, c_ulonglong)
from pythonbpf import bpf, bpfglobal, map, section, struct, xdp
from pythonbpf.helper import BPF_ANY, BPF_EXIST, BPF_NOEXIST
from pythonbpf.maps import ArrayMap, HashMap
from pythonbpf.types import i8, i16, i32, i64, u8, u16, u32, u64

@bpf
@struct
class Inner:
    p0: c_int32
    p1: c_int8
    p2: i32

@bpf
@struct
class Rec:
    f0: u16
    f1: c_uint64
    inner: Inner

@bpf
@struct
class Inputs:
    a: u16
    b: u32

@bpf
@struct
class Outputs:
    o1: i64
    o2: i64

inputs = ArrayMap(key=u32, value=Inputs, max_entries=1)
results = ArrayMap(key=u32, value=Outputs, max_entries=1)
counts = HashMap(key=i64, value=i16, max_entries=32)
slots = ArrayMap(key=u32, value=i16, max_entries=8)
recs = HashMap(key=c_longlong, value=Rec, max_entries=16)


@bpf
def sub1(p1: c_int) -> u16:
    p1 //= min((-4) // p1, (-2147483648) if (0 >= p1) else p1, p1)
    x1: c_int32 = 14
    w1: i32 = 1
    while w1 > 0:
        w1 -= 1
        x2: i64 = abs(w1 + 10) * 4245730915
        x2 <<= 14
        w2: i8 = 3
        while True:
            w2 += 1
            if w2 >= 4:
                break
            x3 = max((x1 >> w1) | min(c_int16(46287), -4, x2), (~p1) - (p1 * w1), w2)
        x4 = p1
    if ((u32(52797) * p1) or (p1 and x1 and p1) or (x1 ^ p1)) <= ((x1 // 0) - x1):
        f1 = c_bool(p1) < 2
        p1 ^= ~(~x1)
        if x1 < 10:
            for j1 in range(x1):
                f2 = ((p1 // p1) >> 34) == (-192254270)
                x5 = x1 | (-5)
                if x5 < c_int16(16):
                    return 1
                x6: i16 = 8
        w3: c_longlong = 1
        while w3 <= 20:
            w3 += 2
            x7: u8 = x1 & (~(w3 << i16(-8339)))
            x8 = (0 % (x1 & w3)) and (-5)
    elif ((~p1) | x1) == (((x1 // 1) == (p1 & p1)) & i16(1)):
        w4: i8 = 0
        while w4 <= 24:
            w4 += 3
            x9 = (max(-8, p1) ^ (p1 >> 3)) << 13
            x10 = (x1 ^ min(x9, x9, w4)) | (u64(-1) // 17363426427988541521)
        else:
            x1 //= -5
        x11 = (~(x1 + x1)) | 3172996159
        x12, x13, x14 = i16(i8(-9) % 11), p1, x11 if (p1 >= 367020960) else 3
    elif x1 != (abs(p1) | min(p1, x1, x1)):
        x15 = p1
        x16: i16 = x15 // x1
        f3 = x15 <= x1
        x16 = (-5) | x15
    return 4


@bpf
def sub2(p1: u64) -> u8:
    for j2 in range(1, 17):
        if (sub1(j2) - 15) != abs(6 % j2):
            x17 = min(c_int16(9) & 38729, ~p1, p1 % p1) - (min(p1, p1) // (j2 + j2))
            x18, x17 = (0 - j2) // c_short(u64(14961)), ~((p1 == (-4)) & j2)
            x19 = j2
        else:
            x20 = i64(abs(j2) if (max(p1, j2, i16(61214)) >= (p1 & p1)) else p1)
            if not (sub1(-7) <= 2584):
                return -(i16(3) + 9)
            p1, x20 = x20, p1
    else:
        if i8((p1 if (p1 == p1) else i8(127)) >= (-3424168130065803582)) != (max(p1, p1) ^ (p1 % p1)):
            x21 = p1
            sub1(x21)
            x22: u16 = -5
        x23 = p1 % p1
    p1 <<= 45
    x24 = sub1(max(min(p1, p1, p1), 0 // p1))
    x24 = min((x24 * x24) & p1, min(x24, x24) + (u64(7) - x24), x24)
    return max(p1 >> x24, u16(42308), c_uint32(1) & x24) * (x24 and (x24 + p1) and u32(x24))


@xdp
def run(ctx):
    v = inputs.lookup(0)
    out = results.lookup(0)
    if v is None:
        return 1
    if out is None:
        return 1
    a = v.a
    b = v.b
    out.o1 -= (out.o1 // 16112800703203507136) if (i64(b) != out.o1) else (1 ^ a)
    if ((out.o1 if (a == u32(10001)) else u16(65534)) != sub1(-1)) * (a >> b):
        out.o1 //= 64
        for j3 in range(20):
            x25 = b
            for j4 in range(0, 4):
                out.o1 = i64(j3)
                x26: u64 = abs(j3)
            x27, x28 = ~(a ^ j3), abs(out.o1 - j3)
        out.o1 = sub1(3568922874) >> 7
        b <<= 14
    w5: c_byte = 0
    while w5 <= 6:
        w5 += 1
        if a == ((b ^ b) // (u64(7) - a)):
            continue
        a = ((c_byte(11) % out.o1) if ((out.o1 <= 731695043729006876) and (out.o1 > a <= b) and (w5 < (-7909702569217428384) >= (-7))) else 0) or a or (min(b, 4294967295) + 5)
    else:
        a, x29, x30 = (~b) - (c_int8(127) % 0), (a % out.o1) ^ (-a), (b ^ a) * out.o1
    slots.increment(1)
    s1 = Rec()
    s1.f0 = (i64(10) >> v.a) & 17982415212954765957
    s1.inner.p2 = min(v.b if (v.b <= (-8)) else v.a, 4294967295)
    s1.f1 = 0
    s1.f0 = 5
    recs.update(4, s1)
    out.o2 = slots.get(v.b & 7, 411)
    slots[v.b & 7] -= (v.b if ((-2147483648) == v.b) else v.b) - (v.b // v.b)
    return 2



