# Fuzz seed 85 (tools/fuzz.py --replay 85), unchanged: a regression test input, not a test.
@bpf
@struct
class Inner:
    p0: c_int8
    p1: i16
    p2: i16

@bpf
@struct
class Rec:
    f0: u64
    arr: u32 * 3
    inner: Inner

@bpf
@struct
class Inputs:
    a: c_uint16
    b: i16

@bpf
@struct
class Outputs:
    o1: i64
    o2: i64
    o3: i64
    o4: i64

inputs = ArrayMap(key=u32, value=Inputs, max_entries=1)
results = ArrayMap(key=u32, value=Outputs, max_entries=1)
@bpf
@map
def recs() -> ArrayMap:
    return ArrayMap(key=u32, value=Rec, max_entries=8)



@bpf
def sub1(p1: i64) -> i16:
    p1 = p1 >> 55
    x1 = p1
    if x1:
        f1 = ((p1 & p1) * 9976732262452900228) > (-8) < ((x1 // 15) & p1)
        x1 = ((x1 >> x1) * (p1 >> 65)) & i8(56452)
        p1 //= -1
        p1 = (min(p1, x1) * p1) if (((p1 | x1) + (-7)) <= ((p1 << 35) if ((x1 > u8(15)) or (x1 >= p1)) else u64(32367)) != max(-x1, x1, p1 % (-3143515671140926303))) else ((~p1) and (p1 & 9))
    else:
        x2: i64 = p1 - ((p1 - x1) // p1)
        x3 = (x1 if ((p1 == (-4)) or (9223372036854775807 == x2)) else u32(8)) << 20
        for j1 in range(-2, -16, -2):
            p1 = -(x2 ^ ((x1 // x2) >= p1))
            x1 //= x2
            x1 //= (-4845366718493365090) * (x3 // x3)
            f2 = max(x3, i8(j1), u32(j1)) < i16(x3 if (x2 < x3) else x3)
        else:
            f3 = (-5) <= abs(x1)
            f4 = abs(x3 | p1) >= min(x3, x2 >> 52)
        x1 &= -max(x3, x1)
    x4 = p1
    return 11


@xdp
def run(ctx):
    v = inputs.lookup(0)
    out = results.lookup(0)
    if not v or not out:
        return 1
    a = v.a
    b = v.b
    x5: i32 = sub1(a)
    x6 = sub1(15236995953015499562)
    out.o2 = i64(sub1(-6))
    x6, out.o1 = out.o1, x6
    x7 = ((a + out.o2) // (out.o1 % out.o1)) and (-(out.o2 if (b <= a) else u8(58011)))
    for j2 in range(-3, 0):
        x8 = i16(i8(x6 > out.o3 >= x7) or 4 or 11)
        for j3 in range(min(out.o3, 0)):
            x9 = -(x8 & (i16(j2) > i64(6) <= max(out.o3, u8(11), u32(39948))))
            x10, x11 = (j2 << 26) if (not (out.o1 <= 8135475544517391820)) else (out.o2 or x7 or out.o3), a * (j2 * b)
            for j4 in range(3):
                x5 -= sub1(14)
                x12: u32 = c_ulonglong(x6)
                x13: u32 = -2147483648
            if ((-a) & a) >= min(abs(c_ulonglong(17256577424432938883)), x6 + j2):
                x14 = b
            elif sub1(sub1(j3)) <= out.o2:
                b &= 10
    s1 = Rec()
    s1.inner.p1 = -1
    s1.f0 = ~(v.a + v.a)
    s1.inner.p2 = v.b
    recs()[7] = s1
    r1 = recs().lookup(1)
    if not r1:
        pass
    else:
        r1.arr[min(v.a, 2)] ^= u32(max(v.a, 5))
        r1.arr[-1] = 2147483647
        out.o4 = r1.f0
    return 2



