# Fuzz seed 30487 (tools/fuzz.py --replay 30487), unchanged: a regression test input, not a test.
# First input set: {'a': 3513730755, 'b': 1}
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
    a: c_uint32
    b: i16

@bpf
@struct
class Outputs:
    o1: i64
    o2: i64
    o3: i64
    o4: i64
    o5: i64
    o6: i64
    o7: i64

inputs = ArrayMap(key=u32, value=Inputs, max_entries=1)
results = ArrayMap(key=u32, value=Outputs, max_entries=1)
counts = HashMap(key=c_int8, value=i8, max_entries=32)
slots = ArrayMap(key=u32, value=u32, max_entries=8)


@bpf
@section("xdp")
def run(ctx: c_void_p) -> c_int64:
    v = inputs.lookup(0)
    out = results.lookup(0)
    if not v or not out:
        return 1
    a = v.a
    b = v.b
    out.o2 = out.o1
    x1 = (~(b & out.o3)) + out.o2
    x2, b = min(-4, out.o3, out.o1) & 3556347288330180583, b
    b %= (~u16(55094)) << a
    w1: c_int16 = 23
    while w1 >= (-1):
        w1 -= 1
        w2: c_uint8 = 2
        while w2 <= 5:
            w2 += 1
            out.o2 = (~(out.o1 if (x1 <= out.o3 >= (-9)) else x2)) | (65535 // (~u16(30187)))
            if out.o1 == (x2 // (out.o2 >> b)):
                x3 = max((x2 >> w1) + (x2 >> 40), 9)
            elif i32(c_int64(out.o2)) <= (-8):
                x4, x5 = u64(1), c_ubyte(0)
                if (i8(out.o3) >= x4) or (out.o1 > (x2 % out.o1)) or (out.o1 < 13):
                    break
            elif ((x2 & w2) >> max(b, w2, b)) < c_uint64(x2 % out.o3):
                if (((x1 if (w1 >= 1) else a) == 14) ^ abs(x1)) == ((u64(0) and x1 and x1) * min(b, out.o3)):
                    break
                x6 = i32(out.o3)
                a = out.o3 | 2
                a *= x2 % 0
            if x2 == (w2 - (a >> 30)):
                x2 >>= 3
                f1 = (w2 | (18446744073709551615 | i64(12))) != 18201356285354809153
                x7 = a
                x2 %= x2
            x8 = out.o1
        out.o1 //= (x2 if (a >= out.o2) else out.o2) ^ (-1)
        w3: i16 = 2
        while w3 < 5:
            w3 += 1
            x9 = 46634
            out.o1 = i64(64) // x9
            a *= -1769297355
            if (u64(w1) & c_ulonglong(46518)) >= ((x9 if (x1 >= (-7341680510198573245) != out.o2) else out.o2) if (not (16 > c_uint8(7))) else (x9 & out.o2)):
                x10 = max((6 % w1) if (min(278279835334265366, i16(-32768), out.o2) == (w3 + (b < 18178746641378934475))) else x2, out.o2)
                x11 = x1
                b = 32767
            elif max(abs(w3), -out.o3, -9) >= out.o3 == out.o1:
                f2 = (out.o3 * 7923448750330254626) > (out.o2 % (-2))
            else:
                x12 = out.o3 | i16(w3 - u8(0))
                x13: i32 = a if (x2 == (-4610393444252721707) <= 16) else ((0 % w3) if (out.o2 >= (out.o3 // 0)) else x9)
                x14: c_uint16 = x1
        x15, x16 = x2 + ((a | w1) < (-b)), (-a) >> (w1 & (-8))
    out.o3 = c_longlong(out.o2 if (c_int64(out.o2 | (out.o2 != out.o1 >= c_longlong(-3))) > (x1 % (-1335879211246272630))) else (-2))
    x17 = a * abs(b << 14)
    for mi1 in range(6):
        out.o4 = 1 if 2 in counts else 0
        x18 = slots.lookup(mi1)
        if x18 is not None:
            out.o5 = x18
            out.o5 = i64(x18)
        else:
            out.o5 -= i64(c_short(44249) * v.a)
        out.o6 = 1 if v.a & 7 in slots else 0
    x19 = slots.lookup(3)
    if x19 and x19 > 2973374635:
        out.o7 = min(2 if (x19 > v.a) else v.a, 8)
    else:
        out.o7 = 0 % v.a
    counts.delete(1)
    return 2


@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
