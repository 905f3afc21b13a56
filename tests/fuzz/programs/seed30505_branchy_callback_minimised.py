# Fuzz seed 30505, cut down by tools/fuzz.py --minimise 30505 (on kernel 6.18.44-fc-v1300):
# a regression test input, not a test.
from ctypes import c_void_p, c_bool, c_int8, c_byte, c_uint8, c_ubyte, c_int16, c_short, c_uint16, c_ushort, c_int32, c_int, c_uint32, c_uint, c_int64, c_longlong, c_uint64, c_ulonglong
from pythonbpf import bpf, bpfglobal, map, section, struct, xdp
from pythonbpf.helper import BPF_ANY, BPF_EXIST, BPF_NOEXIST
from pythonbpf.maps import ArrayMap, HashMap
from pythonbpf.types import i8, i16, i32, i64, u8, u16, u32, u64

@bpf
@struct
class Inputs:
    a: i8
    b: i16
    c: i16

@bpf
@struct
class Outputs:
    o1: i64
    o2: c_longlong
    o3: i64
inputs = ArrayMap(key=u32, value=Inputs, max_entries=1)
results = ArrayMap(key=u32, value=Outputs, max_entries=1)

@bpf
@section('xdp')
def run(ctx: c_void_p) -> c_int64:
    v = inputs.lookup(0)
    out = results.lookup(0)
    if v is None:
        return 1
    if out is None:
        return 1
    a = v.a
    b = v.b
    c = v.c
    if b < 21:
        for j1 in range(b):
            if i64(out.o1 ^ out.o2) < j1 >= 16:
                if abs(out.o2) + (i64(-1) if j1 > out.o2 else u32(4294967295)) < max(out.o1 << i8(-5), c):
                    break
                x1 = max(u8(a), b | c, out.o3 << a) * c_int8(28964)
                out.o2 //= out.o2 & out.o3
                if 0 % (7589805603588551294 if x1 > b else i64(21912)) > i8(c & b):
                    a &= c
                    x2 = max(u8(out.o2 if b != out.o1 > u32(14) else x1), -73)
                    if (c_uint(32) and b and 3550810445) >> 19 < u16(i64(54855) * j1) != x2:
                        continue
                else:
                    c |= c_byte(48204)
                    x3 = 48252
                    if c_ushort(17973) % (c_short(-2) or u8(-26)):
                        break
                    x4: u16 = out.o2 - (j1 < 6) >> 42 & (x1 > abs(out.o2 - x1))
            else:
                if not min(out.o3, i64(4)) > -144575947560064804 < -1:
                    x5 = out.o3
                    c ^= 16
                    x6: u64 = b
                elif max(~c, u64(out.o2), j1 + j1) <= b % j1 | 32767:
                    out.o1 = i64((u32(out.o3) if a < (c if c <= b else out.o3) else ~out.o3) << 22)
                    a ^= a
                    x7: i64 = c
                    out.o1 = c
                elif ~max(b, -9223372036854775808, out.o1) >= (out.o3 + c or 0):
                    c >>= 10
                    out.o3 <<= 64
                    out.o3 = abs((out.o3 if j1 == c else a) >> ~a)
                else:
                    a <<= u64(a) << out.o2
                    x8: c_int32 = 1038580903
                    x9 = j1
                    a ^= 40
                out.o1, a = (a, out.o1)
    out.o3 <<= 50
    return 2

@bpf
@bpfglobal
def LICENSE() -> str:
    return 'GPL'