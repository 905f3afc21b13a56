"""`BPF(obj=...)`: a compiled object without its Python source decodes maps by its BTF."""
from __future__ import annotations

import os

import pytest

from pythonbpf import BPF, Record
from pythonbpf.compiler import compile_source

pytestmark = pytest.mark.kernel

SOURCE = '''
from ctypes import c_void_p, c_int64
from pythonbpf import bpf, section, struct
from pythonbpf.helper import pid
from pythonbpf.types import u8, u16, u32, u64, i16
from pythonbpf.maps import HashMap, PerCPUArrayMap, RingBuf, QueueMap

@bpf
@struct
class Inner:
    a: i16
    b: u8

@bpf
@struct
class Value:
    name: str(6)
    inner: Inner
    mac: u8 * 6
    shorts: u16 * 2
    total: u64

values = HashMap(key=u32, value=Value, max_entries=8)
percpu = PerCPUArrayMap(key=u32, value=u64, max_entries=2)
events = RingBuf(max_entries=4096)
fifo = QueueMap(value=Inner, max_entries=4)

@bpf
@section("xdp")
def run(ctx: c_void_p) -> c_int64:
    v = Value()
    v.name = "hello"
    v.inner.a = -3
    v.inner.b = 200
    v.mac[5] = 9
    v.shorts[1] = 65535
    v.total = 1 << 40
    values[1] = v
    percpu[1] += 1
    events.output(v)
    fifo.push(v.inner)
    return 2
'''


@pytest.fixture(scope="module")
def elf():
    return compile_source(SOURCE, "prog.py").elf


def test_obj_maps_decode_by_btf(elf, tmp_path):
    path = tmp_path / "prog.o"
    path.write_bytes(elf)
    with BPF(obj=str(path)) as b:
        assert b.program is None
        assert b.programs["run"].test_run(bytes(64)).retval == 2
        value = b["values"][1]
        assert value == Record(name="hello", inner=Record(a=-3, b=200),
                               mac=bytes([0, 0, 0, 0, 0, 9]), shorts=[0, 65535], total=1 << 40)
        assert type(value).__name__ == "Value"
        assert b["percpu"][1].sum() == 1
        assert b["fifo"].pop() == Record(a=-3, b=200)
        b["values"][2] = value._replace(name="x")
        assert b["values"][2].name == "x"


def test_obj_events_are_bytes_unless_a_record_type_is_named(elf):
    with BPF(obj=elf) as b:
        raw = []
        b.ringbuf("events", raw.append)
        b.programs["run"].test_run(bytes(64))
        assert b.poll(1000) == 1
        assert isinstance(raw[0], bytes) and raw[0].startswith(b"hello\0")
        typed = []
        b.ringbuf("events", typed.append, record="Value")  # a struct of the object's BTF
        b.programs["run"].test_run(bytes(64))
        assert b.poll(1000) == 1
        assert typed[0].name == "hello" and typed[0].total == 1 << 40
        with pytest.raises(KeyError, match="Nope"):
            b.ringbuf("events", typed.append, record="Nope")


def test_source_and_obj_decode_alike(elf):
    with BPF(source=SOURCE) as from_source, BPF(obj=elf) as from_obj:
        for b in (from_source, from_obj):
            b.programs["run"].test_run(bytes(64))
        assert from_source["values"][1] == from_obj["values"][1]
        assert from_source["values"].key_type == from_obj["values"].key_type
        assert from_source["values"].value_type.size == from_obj["values"].value_type.size
    assert os.path.exists("/proc/self/fd")
