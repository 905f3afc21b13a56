# Fuzz seed 6196, cut down by tools/fuzz.py --minimise 6196: a regression test input, not a test.
from ctypes import c_int16, c_short, c_ubyte, c_uint, c_uint8, c_uint16, c_uint32
from pythonbpf import bpfglobal, map

@bpf
@struct
class Inner:
    p0: u8

@bpf
@struct
class Rec:
    f0: i16
    arr: u8 * 5
    inner: Inner

@bpf
@struct
class Inputs:
    a: i32
    b: u32

@bpf
@struct
class Outputs:
    o1: i64
    o2: i64
    o5: i64
inputs = ArrayMap(key=u32, value=Inputs, max_entries=1)
results = ArrayMap(key=u32, value=Outputs, max_entries=1)

@bpf
@map
def recs() -> ArrayMap:
    return ArrayMap(key=c_uint, value=Rec, max_entries=8)

@bpf
def sub1(p1: u64) -> u16:
    pass

@bpf
def sub2(p1: i32, p2: i8, p3: u32) -> i64:
    for j1 in range(-1, 19, 2):
        p2 = 255
        if p1 + -6 >> sub1(p1) >= -1:
            continue
    for j2 in range(2, p1 % 16):
        if max(p2, p1, p3) >= -p2 and p1 | -5 >= -6947279310643959858 and (min(p2, p2) >= max(j2, p2)):
            break
            p3 ^= p1
            x5 = j2 // 14
            x6: i32 = max(max(sub1(14), ~p2, c_uint16(j2)), i8(p3), sub1(x5 + j2))
        else:
            p3, p1 = (min(p1, p1, j2) % (p1 * j2), -p3 ^ j2 & p2)
            x7 = c_ubyte(j2)
            x8 = p2
            f1 = p2 >= abs(~j2) <= x8
        f2 = max(p2, u64(p3), p3 >> p1) <= min(p2, p3, p2) * 3990928349
        if j2 < 8:
            for j3 in range(j2):
                p1, x9, p3 = (c_uint32(22500) & (14 & p3), p1 & (j2 % p1 > c_short(p1)), p3)
        w1: i32 = -2
        while True:
            if w1 >= 9:
                break
            w1 += 3
            x10: i8 = w1
            x11: u32 = p1

@xdp
def run(ctx):
    v = inputs.lookup(0)
    out = results.lookup(0)
    if not v or not out:
        return 1
    a = v.a
    b = v.b
    w2: i64 = -1
    while True:
        w2 += 1
        if w2 >= 19:
            break
        b %= 10
        out.o1 <<= 15
    x19, out.o2, x20 = ((b if a > 31 else out.o2) + c_int64(14), (out.o2 & out.o1) * (c_uint8(11) // a), out.o1)
    out.o1 <<= out.o1 * b >> max(out.o2, x19)
    out.o2 //= out.o1 and x20 << 12 and u8(out.o2)
    sub2(-(b & out.o1), b, a & (u64(33935) & x20))
    w3: c_uint = 2
    while w3 <= 26:
        w3 += 1
        x21: u32 = u16(out.o2)
    x22 = 82455
    r1 = recs().lookup(v.a % 8)
    if r1 is None:
        pass
    else:
        r1.arr[v.b % 5] |= v.b
        r1.f0 = c_bool(-9223372036854775808 if r1.inner.p0 > -2 == 8 else u64(11))
    for mi1 in range(1):
        r2 = recs().lookup(mi1)
        if r2:
            r2.arr[-2] *= r2.arr[min(v.b, 4)] + mi1
            r2.arr[v.a % 5] = 4
            r2.arr[v.b % 5] = 12
        s1 = Rec()
        recs()[mi1] = s1
    r3 = recs().lookup(v.b & 7)
    if r3 is None:
        out.o5 = i64((u32(5) ^ v.b) // v.b)
    else:
        out.o5 = i64(r3.arr[0])
    s2 = Rec()
    recs().update(5, s2)
    return 2

@bpf
@bpfglobal
def LICENSE() -> str:
    return 'GPL'