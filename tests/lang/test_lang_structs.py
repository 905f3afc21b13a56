"""Structs with arrays and nested structs as map values and keys, updated in place in the kernel,
read back (and written) from user space; str(N) locals, fields and comparisons."""
from __future__ import annotations

import pytest

from pythonbpf import BPF, Record

SOURCE = '''
from ctypes import c_void_p, c_int64
from pythonbpf import bpf, section, struct
from pythonbpf.types import u8, u16, u32, u64, i32
from pythonbpf.maps import HashMap, ArrayMap

@bpf
@struct
class Point:
    x: i32
    y: i32

@bpf
@struct
class Shape:
    name: str(8)
    origin: Point
    corners: Point * 3
    mac: u8 * 6
    hits: u64
    weights: u16 * 4

@bpf
@struct
class Key:
    id: u32
    tag: str(4)

shapes = HashMap(key=Key, value=Shape, max_entries=16)
control = ArrayMap(key=u32, value=u32, max_entries=2)

@bpf
@section("xdp")
def run(ctx: c_void_p) -> c_int64:
    k = Key()
    k.id = 7
    k.tag = "abc"
    s = shapes.lookup(k)
    if s is None:
        fresh = Shape()
        fresh.name = "tri"
        fresh.origin.x = -1
        fresh.origin.y = 2
        shapes.update(k, fresh)
        return 1
    s.hits += 1
    for i in range(3):
        s.corners[i].x = s.origin.x + i
        s.corners[i].y = s.origin.y * (i + 1)
    n = control.lookup(0)
    if n:
        idx = n % 6
        s.mac[idx] = s.mac[idx] + 1
    for j in range(4):
        s.weights[j] += j
    if s.name == "tri":
        s.origin.x -= 10
    elif s.name == "quad":
        s.origin.y += 100
    return 2
'''


@pytest.fixture(scope="module")
def b():
    b = BPF(source=SOURCE)
    b.load()
    yield b
    b.close()


def run(b) -> int:
    return b.programs["run"].test_run(data=bytes(64)).retval


@pytest.mark.kernel
def test_struct_values_update_in_place(b):
    key = {"id": 7, "tag": "abc"}
    assert run(b) == 1  # inserted a fresh value
    value = b["shapes"][key]
    assert value.name == "tri" and value.origin == Record(x=-1, y=2) and value.hits == 0
    assert value.mac == bytes(6) and value.weights == [0, 0, 0, 0]

    b["control"][0] = 8  # bumps mac[8 % 6]
    assert run(b) == 2
    value = b["shapes"][key]
    assert value.hits == 1
    assert value.corners == [Record(x=-1, y=2), Record(x=0, y=4), Record(x=1, y=6)]
    assert value.mac == bytes([0, 0, 1, 0, 0, 0])
    assert value.weights == [0, 1, 2, 3]
    assert value.origin == Record(x=-11, y=2)  # name == "tri"

    # user space rewrites the value; the program sees the new name and fields
    b["shapes"][key] = {"name": "quad", "origin": {"x": 5, "y": -3}, "mac": b"\x01\x02",
                        "hits": 40, "weights": [1, 1, 1, 1]}
    assert run(b) == 2
    value = b["shapes"][key]
    assert value.name == "quad" and value.hits == 41
    assert value.origin == Record(x=5, y=97)
    assert value.corners == [Record(x=5, y=-3), Record(x=6, y=-6), Record(x=7, y=-9)]
    assert value.mac == bytes([1, 2, 1, 0, 0, 0])
    assert value.weights == [1, 2, 3, 4]
    assert list(b["shapes"].keys()) == [Record(id=7, tag="abc")]


REFERENCE_ARGS = '''
from ctypes import c_void_p, c_int64
from pythonbpf import bpf, section, struct
from pythonbpf.types import u32, u64
from pythonbpf.maps import ArrayMap

@bpf
@struct
class Acc:
    n: u64
    total: u64
    vals: u32 * 4

store = ArrayMap(key=u32, value=Acc, max_entries=1)

@bpf
def add(a: Acc, x: u64) -> u64:
    a.n += 1
    a.total += x
    a.vals[a.n % 4] = x
    return a.total

@bpf
@section("xdp")
def run(ctx: c_void_p) -> c_int64:
    local = Acc()
    add(local, 5)
    add(local, 7)
    v = store.lookup(0)
    if v:
        add(v, local.total)
    return 2
'''


@pytest.mark.kernel
def test_structs_pass_to_subprograms_by_reference():
    """A @struct parameter is the caller's object, as in Python: changes are shared."""
    with BPF(source=REFERENCE_ARGS) as b:
        for _ in range(2):
            b.programs["run"].test_run(data=bytes(64))
        assert b["store"][0] == Record(n=2, total=24, vals=[0, 12, 12, 0])
