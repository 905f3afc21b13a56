"""Decoding without the kernel: records, bulk decoding of runs, encoding back."""
from __future__ import annotations

import copy
import pickle
import struct

import pytest

from pythonbpf import Record
from pythonbpf.spec.types import ArrayType, Field, IntType, StrType, StructType
from pythonbpf.loader.runs import Run, runs_of
from pythonbpf.runtime.codec import Codec, Decoder, encode_value, sum_values

U8, U16, U32, U64, I32 = IntType(8, False), IntType(16, False), IntType(32, False), \
    IntType(64, False), IntType(32, True)
POINT = StructType("Point", (Field("x", I32, 0), Field("y", I32, 4)), 8, 4)
EVENT = StructType("Event", (Field("seq", U64, 0), Field("pid", U32, 8), Field("x", U32, 12)), 16, 8)
RICH = StructType("Rich", (
    Field("name", StrType(5), 0), Field("where", POINT, 8), Field("mac", ArrayType(U8, 3), 16),
    Field("corners", ArrayType(POINT, 2), 20), Field("shorts", ArrayType(U16, 2), 36),
    Field("total", U64, 40)), 48, 8)


def test_records_behave_like_named_snapshots():
    p = Decoder(POINT).one(struct.pack("<ii", -1, 2))
    assert p == Record(x=-1, y=2) == {"x": -1, "y": 2} and p != Record(x=-1, y=3)
    assert p != Record(y=-1, x=2) and isinstance(p, Record) and isinstance(p, tuple)
    assert (p.x, p.y) == (-1, 2) and p._fields == ("x", "y") and repr(p) == "Point(x=-1, y=2)"
    assert hash(p) == hash(Record(x=-1, y=2)) and {p: 1}[Record(x=-1, y=2)] == 1
    assert p._replace(y=5) == Record(x=-1, y=5) and p._asdict() == {"x": -1, "y": 2}
    assert copy.deepcopy(p) == p and pickle.loads(pickle.dumps(tuple(p))) == (-1, 2)
    with pytest.raises(AttributeError, match="read-only"):
        p.x = 3
    with pytest.raises(TypeError):
        Record(1, 2)


def test_nested_values_decode_to_python_types():
    raw = encode_value(RICH, {"name": "abc", "where": (3, 4), "mac": b"\x01\x02",
                              "corners": [{"x": 1, "y": 2}, Record(x=3, y=4)],
                              "shorts": [7, 65535], "total": 1 << 63})
    v = Decoder(RICH).one(raw)
    assert v == Record(name="abc", where=Record(x=3, y=4), mac=b"\x01\x02\x00",
                       corners=[Record(x=1, y=2), Record(x=3, y=4)], shorts=[7, 65535],
                       total=1 << 63)
    assert encode_value(RICH, v) == raw  # a decoded record writes back unchanged
    with pytest.raises(ValueError):
        encode_value(RICH, {"name": "toolong"})
    with pytest.raises(KeyError):
        encode_value(RICH, {"nope": 1})


def test_bulk_decoding_of_runs_with_headers_and_padding():
    records = [struct.pack("<QII", i, 100 + i, 7) for i in range(10)]
    framed = b"".join(struct.pack("<II", 16, 0) + r for r in records)  # ring-style headers
    decoded = Decoder(EVENT).many(framed, 10, stride=24, lead=8)
    assert [e.seq for e in decoded] == list(range(10)) and decoded[3].pid == 103
    padded = b"".join(r + b"\0\0\0\0" for r in records)  # perf-style padding to 20 bytes
    assert Decoder(EVENT).many(padded, 10, stride=20) == decoded
    (run,) = runs_of(records)
    assert run == Run(b"".join(records), 0, 16, 10, 0, 16) and list(run.records()) == records
    assert len(runs_of([b"ab", b"cd", b"xyz"])) == 2
    assert Decoder(U32).many(struct.pack("<3I", 1, 2, 3), 3) == [1, 2, 3]
    assert Decoder(None, 4).one(b"abcdef") == b"abcd"


def test_raw_codecs_and_sums():
    raw = Codec(None, 4)
    assert raw.decode(raw.encode(0xFFFFFFFF)) == 0xFFFFFFFF and raw.encode(-1) == b"\xff" * 4
    odd = Codec(None, 3)  # sizes without a struct code still decode
    assert odd.decode(b"\x01\x00\x01") == 0x10001
    assert Codec(I32, 4).decode(Codec(I32, 4).encode(-5)) == -5
    with pytest.raises(TypeError):
        Codec(U32, 4).encode("1")
    assert sum_values([1, 2, 3]) == 6
    assert sum_values([Record(x=1, y=2), Record(x=3, y=4)]) == Record(x=4, y=6)
