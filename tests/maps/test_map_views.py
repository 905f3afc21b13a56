"""Map views from user space against real kernel maps: typed keys and values, the dict
interface, per-CPU values, batch reads and their key-by-key fallback; both directions
(the program writes and user space reads, user space writes and the program reads)."""
from __future__ import annotations

import pytest

from pythonbpf import BPF, PerCpu, Record

pytestmark = pytest.mark.kernel

SOURCE = '''
from ctypes import c_void_p, c_int64
from pythonbpf import bpf, section, struct
from pythonbpf.types import u8, u16, u32, u64, i32, i64
from pythonbpf.maps import (HashMap, ArrayMap, PerCPUHashMap, PerCPUArrayMap, LRUHashMap,
                            LRUPerCPUHashMap, LPMTrieMap)

@bpf
@struct
class Point:
    x: i32
    y: i32

@bpf
@struct
class Stats:
    name: str(8)
    where: Point
    mac: u8 * 6
    hits: u64
    hist: u16 * 3

@bpf
@struct
class Prefix:
    prefixlen: u32
    addr: u8 * 4

counts = HashMap(key=u32, value=u64, max_entries=8192)
signed = HashMap(key=i32, value=i64, max_entries=64)
stats = HashMap(key=u32, value=Stats, max_entries=16)
names = HashMap(key=str(8), value=u64, max_entries=16)
table = ArrayMap(key=u32, value=u64, max_entries=8)
pc_hash = PerCPUHashMap(key=u32, value=u64, max_entries=16)
pc_array = PerCPUArrayMap(key=u32, value=u64, max_entries=4)
pc_points = PerCPUArrayMap(key=u32, value=Point, max_entries=2)
lru = LRUHashMap(key=u32, value=u64, max_entries=16)
lru_pc = LRUPerCPUHashMap(key=u32, value=u64, max_entries=16)
routes = LPMTrieMap(key=Prefix, value=u32, max_entries=16)

@bpf
@section("xdp")
def run(ctx: c_void_p) -> c_int64:
    counts[1] += 1
    signed[-5] = -7
    pc_hash[3] += 2
    pc_array[1] += 3
    lru_pc[4] += 1
    lru[6] = 60
    want = table.lookup(0)
    if want:
        table[1] = want * 2
    s = stats.lookup(7)
    if s:
        s.hits += 1
        s.where.x += 10
    return 2
'''


@pytest.fixture(scope="module")
def b():
    with BPF(source=SOURCE) as loaded:
        loaded.load()
        yield loaded


@pytest.fixture(autouse=True)
def empty_maps(b):
    for name in ("counts", "signed", "stats", "names", "pc_hash", "lru", "lru_pc"):
        b[name].clear()
    yield


def run(b) -> None:
    assert b.programs["run"].test_run(bytes(64)).retval == 2


def test_program_writes_user_space_reads(b):
    run(b)
    run(b)
    assert b["counts"][1] == 2
    assert b["signed"][-5] == -7  # signed keys and values keep their sign
    assert b["lru"][6] == 60
    assert b["counts"].get(99) is None and b["counts"].get(99, 0) == 0
    assert 1 in b["counts"] and 2 not in b["counts"]
    with pytest.raises(KeyError):
        b["counts"][2]


def test_user_space_writes_program_reads(b):
    table = b["table"]
    table[0] = 21
    run(b)
    assert table[1] == 42
    stats = b["stats"]
    stats[7] = {"name": "first", "where": {"x": 1, "y": 2}, "mac": b"\x01\x02",
                    "hits": 5, "hist": [1, 2, 3]}
    run(b)
    value = stats[7]
    assert isinstance(value, Record)
    assert value.name == "first" and value.hits == 6
    assert value.where == Record(x=11, y=2) and value.where.y == 2
    assert value.mac == b"\x01\x02\x00\x00\x00\x00"
    assert value.hist == [1, 2, 3]
    stats[7] = value._replace(hits=0)  # records are snapshots: write back a copy
    run(b)
    assert stats[7].hits == 1
    with pytest.raises(AttributeError, match="_replace"):
        value.hits = 3


def test_dict_interface(b):
    m = b["counts"]
    m.update({10: 1, 11: 2})
    m.update(12, 3)  # the seed project's spelling
    m[13] = 4
    assert sorted(m) == [10, 11, 12, 13]
    assert sorted(m.keys()) == [10, 11, 12, 13]
    assert sorted(m.values()) == [1, 2, 3, 4]
    assert sorted(m.items()) == [(10, 1), (11, 2), (12, 3), (13, 4)]
    assert len(m) == 4 and m.lookup(12) == 3 and m.lookup(99) is None
    del m[10]
    with pytest.raises(KeyError):
        del m[10]
    assert m.pop(11) == 2 and m.pop(11, "gone") == "gone"
    assert dict(m) == {12: 3, 13: 4}
    m.clear()
    assert len(m) == 0 and list(m) == []
    with pytest.raises(ValueError):
        m[1] = 1 << 64  # does not fit a u64


def test_array_maps_have_every_key(b):
    table = b["table"]
    assert len(table) == 8
    table[3] = 9
    assert dict(table.items())[3] == 9
    table.clear()  # arrays cannot lose keys: clear() zeroes them
    assert len(table) == 8 and set(table.values()) == {0}


def test_per_cpu_values(b):
    run(b)
    pc_hash, pc_array, lru_pc = b["pc_hash"], b["pc_array"], b["lru_pc"]
    value = pc_hash[3]
    assert isinstance(value, PerCpu) and isinstance(value, list)
    assert len(value) == pc_hash._ncpus >= 1
    assert value.sum() == 2 and pc_array[1].sum() >= 3 and lru_pc[4].sum() == 1
    pc_hash[5] = 7  # one value: every CPU gets it
    assert pc_hash[5] == [7] * pc_hash._ncpus
    per_cpu = list(range(1, pc_hash._ncpus + 1))
    pc_hash[6] = per_cpu  # a list: one value per CPU
    assert pc_hash[6] == per_cpu and pc_hash[6].sum() == sum(per_cpu)
    with pytest.raises(ValueError, match="per-CPU"):
        pc_hash[7] = per_cpu + [0]
    items = dict(pc_hash.items())
    assert items[6] == per_cpu and items[5].sum() == 7 * pc_hash._ncpus
    points = b["pc_points"]
    points[0] = {"x": 1, "y": -2}
    assert points[0].sum() == Record(x=pc_hash._ncpus, y=-2 * pc_hash._ncpus)


def test_batch_and_key_by_key_agree(b):
    m = b["counts"]
    m.update({k: k * 3 for k in range(5000)})
    fast = m.items()
    assert m.map.batch_ops is True  # the kernel has batch ops for hash maps
    m.batch = False
    try:
        slow = m.items()
        assert len(m) == 5000
    finally:
        m.batch = True
    assert sorted(fast) == sorted(slow) == [(k, k * 3) for k in range(5000)]
    assert len(m) == 5000 and sorted(m.keys()) == list(range(5000))
    drained = m.items(delete=True)  # lookup_and_delete_batch
    assert sorted(drained) == sorted(fast) and len(m) == 0


def test_lpm_trie_keys(b):
    routes = b["routes"]
    routes[{"prefixlen": 24, "addr": bytes([10, 1, 2, 0])}] = 42
    routes[(16, bytes([10, 1, 0, 0]))] = 7  # a tuple in field order works too
    items = routes.items()
    assert sorted(v for _, v in items) == [7, 42]
    keys = {(k.prefixlen, k.addr) for k, _ in items}
    assert keys == {(24, bytes([10, 1, 2, 0])), (16, bytes([10, 1, 0, 0]))}
    assert len(routes) == 2
    routes.clear()
    assert len(routes) == 0


def test_struct_values_and_string_keys(b):
    stats, names = b["stats"], b["names"]
    stats[1] = {"hits": 1}
    stats[2] = (b"", {"x": 3, "y": 4})  # a tuple in field order; missing fields are zero
    assert stats[1].name == "" and stats[1].where == Record(x=0, y=0) and stats[1].hits == 1
    assert stats[2].where == {"x": 3, "y": 4}
    names["k1"] = 1
    names["k2"] = 2
    assert sorted(names.keys()) == ["k1", "k2"] and names["k2"] == 2
    with pytest.raises(ValueError):
        names["much too long"] = 3
