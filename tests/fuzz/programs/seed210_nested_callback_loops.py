# Fuzz seed 210, cut down by tools/fuzz.py --minimise 210 (x9 set to 3 so that the loops
# run, and `return 2` added):
# a regression test input, not a test.
from ctypes import c_int8, c_int32, c_ubyte
from pythonbpf import bpfglobal

@bpf
@struct
class Inputs:
    a: c_ubyte
    c: u32
    d: u8

@bpf
@struct
class Outputs:
    o1: i64
    o2: i64
inputs = ArrayMap(key=u32, value=Inputs, max_entries=1)
results = ArrayMap(key=u32, value=Outputs, max_entries=1)

@xdp
def run(ctx):
    v = inputs.lookup(0)
    out = results.lookup(0)
    if not v or not out:
        return 1
    a = v.a
    c = v.c
    d = v.d
    x8, x9, a = (d, 3, a)
    if x9 < 9:
        for j2 in range(x9):
            for j3 in range(6):
                x10 = 36319
                for j4 in range(3):
                    out.o1, out.o2, x11 = (u32(2522431272) >> j4, x10, max(c, j2, out.o1))
                for j5 in range(x10):
                    x12 = c and x9
                    x13 = max(j3 if out.o1 >> 57 <= c_int8(c_int32(18649)) else 42575, max(-4, x12, j3))
    return 2

@bpf
@bpfglobal
def LICENSE() -> str:
    return 'GPL'
