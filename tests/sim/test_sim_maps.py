"""Map semantics in both back ends: full maps, update flags, LRU eviction, per-CPU slots, LPM
longest-prefix match, queue/stack order and overflow, array bounds, from programs and from
user space. Generated operation sequences run in the kernel and the simulator at once."""
from __future__ import annotations

import errno
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pythonbpf import BPFError
from pythonbpf.testing.sim import mirror, simulate

EXAMPLES = int(os.environ.get("PYTHONBPF_SIM_EXAMPLES", "40"))

SOURCE = '''
from pythonbpf import bpf, section, struct, bpfglobal
from pythonbpf.types import u8, u32, u64, i64
from pythonbpf.maps import (HashMap, LRUHashMap, ArrayMap, PerCPUHashMap, PerCPUArrayMap,
                            LPMTrieMap, QueueMap, StackMap, LRUPerCPUHashMap)

@bpf
@struct
class Cmd:
    which: u32
    key: u32
    value: u64
    flags: u64

@bpf
@struct
class Prefix:
    prefixlen: u32
    addr: u8 * 4

hashed = HashMap(key=u32, value=u64, max_entries=4)
lru = LRUHashMap(key=u32, value=u64, max_entries=4)
arr = ArrayMap(key=u32, value=u64, max_entries=4)
pcpu = PerCPUHashMap(key=u32, value=u64, max_entries=4)
lrupcpu = LRUPerCPUHashMap(key=u32, value=u64, max_entries=4)
pcarr = PerCPUArrayMap(key=u32, value=u64, max_entries=4)
routes = LPMTrieMap(key=Prefix, value=u32, max_entries=3)
fifo = QueueMap(value=u32, max_entries=3)
lifo = StackMap(value=u32, max_entries=3)
cmd = ArrayMap(key=u32, value=Cmd, max_entries=1)
res = ArrayMap(key=u32, value=i64, max_entries=2)

@bpf
@section("xdp")
def op(ctx):
    c = cmd.lookup(0)
    if not c:
        return 2
    w = c.which
    if w == 0:
        res[0] = hashed.update(c.key, c.value, c.flags)
    elif w == 1:
        res[0] = hashed.delete(c.key)
    elif w == 2:
        res[0] = lru.update(c.key, c.value, c.flags)
    elif w == 3:
        v = lru.lookup(c.key)
        res[0] = v if v else -1
    elif w == 4:
        res[0] = arr.update(c.key, c.value, c.flags)
    elif w == 5:
        pcpu[c.key] += c.value
    elif w == 6:
        res[0] = fifo.push(u32(c.value), flags=c.flags)
    elif w == 7:
        x = fifo.pop()
        res[0] = x if x else -1
    elif w == 8:
        res[0] = lifo.push(u32(c.value), flags=c.flags)
    elif w == 9:
        y = lifo.pop()
        res[0] = y if y else -1
    elif w == 10:
        p = Prefix()
        p.prefixlen = c.flags
        p.addr[0] = c.key >> 24
        p.addr[1] = c.key >> 16
        p.addr[2] = c.key >> 8
        p.addr[3] = c.key
        res[0] = routes.update(p, u32(c.value))
    elif w == 11:
        q = Prefix()
        q.prefixlen = 32
        q.addr[0] = c.key >> 24
        q.addr[1] = c.key >> 16
        q.addr[2] = c.key >> 8
        q.addr[3] = c.key
        r = routes.lookup(q)
        res[0] = r if r else -1
    elif w == 12:
        lrupcpu[c.key] += c.value
    elif w == 13:
        pcarr[c.key] += c.value
    else:
        res[0] = hashed.get(c.key, 99) + arr.get(c.key, 77) * 1000
    return 2

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''

OPS = 15
NONE = 2 ** 32 - 1  # `x if x else -1` on a u32 x is a u32, as Python's rules for the language say
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def do(b, which: int, key: int = 0, value: int = 0, flags: int = 0) -> int:
    b["cmd"][0] = {"which": which, "key": key, "value": value, "flags": flags}
    assert b.programs["op"].test_run(data=bytes(64)).retval == 2
    return b["res"][0]


def test_full_hash_map_and_flags(bpf_backend):
    b = bpf_backend(SOURCE)
    assert [do(b, 0, k, k * 10) for k in range(4)] == [0, 0, 0, 0]
    assert do(b, 0, 9, 1) == -errno.E2BIG
    assert do(b, 0, 1, 5, 1) == -errno.EEXIST  # BPF_NOEXIST on a present key
    assert do(b, 0, 8, 5, 2) == -errno.ENOENT  # BPF_EXIST on an absent key
    assert do(b, 0, 1, 11, 2) == 0 and b["hashed"][1] == 11
    assert do(b, 1, 8) == -errno.ENOENT and do(b, 1, 1) == 0
    b["hashed"][7] = 70
    with pytest.raises(BPFError) as info:
        b["hashed"][6] = 60
    assert info.value.errno == errno.E2BIG
    assert sorted(b["hashed"].keys()) == [0, 2, 3, 7]


def test_lru_evicts_the_least_recently_used(bpf_backend):
    b = bpf_backend(SOURCE)
    for k in range(4):
        do(b, 2, k, k)
    assert do(b, 3, 0) == 0  # key 0 used again: key 1 is now the oldest
    assert do(b, 2, 9, 9) == 0  # no E2BIG: something is evicted
    assert len(b["lru"]) == 4 and 9 in b["lru"] and 0 in b["lru"]


def test_arrays_are_preallocated(bpf_backend):
    b = bpf_backend(SOURCE)
    assert dict(b["arr"].items()) == {0: 0, 1: 0, 2: 0, 3: 0} and len(b["arr"]) == 4
    assert do(b, 4, 4, 1) == -errno.E2BIG and do(b, 4, 1, 1, 1) == -errno.EEXIST
    assert do(b, 4, 1, 5) == 0 and do(b, 14, 1) == 99 + 5000
    with pytest.raises(BPFError):
        del b["arr"][1]
    with pytest.raises(KeyError):
        b["arr"][4]


def test_per_cpu_slots(bpf_backend):
    b = bpf_backend(SOURCE)
    do(b, 5, 1, 3)
    do(b, 5, 1, 4)
    value = b["pcpu"][1]
    assert value.sum() == 7 and value[0] == 7 and len(value) == os.cpu_count()
    b["pcpu"][2] = [1] * len(value)
    do(b, 5, 2, 1)
    assert list(b["pcpu"][2]) == [2] + [1] * (len(value) - 1)


def test_queue_and_stack_order_and_overflow(bpf_backend):
    b = bpf_backend(SOURCE)
    assert [do(b, 6, 0, v) for v in (1, 2, 3, 4)] == [0, 0, 0, -errno.E2BIG]
    assert do(b, 6, 0, 5, 2) == 0  # BPF_EXIST: the oldest makes room
    assert [do(b, 7) for _ in range(4)] == [2, 3, 5, NONE]
    assert [do(b, 8, 0, v) for v in (1, 2, 3)] == [0, 0, 0]
    assert [do(b, 9) for _ in range(4)] == [3, 2, 1, NONE]
    b["fifo"].push(7)
    assert b["fifo"].peek() == 7 and b["fifo"].pop() == 7
    with pytest.raises(IndexError):
        b["fifo"].pop()


def test_lpm_longest_prefix(bpf_backend):
    b = bpf_backend(SOURCE)
    ten = 10 << 24
    assert do(b, 10, ten, 8, 8) == 0
    assert do(b, 10, ten | 1 << 16, 16, 16) == 0
    assert do(b, 10, ten | 1 << 16 | 2 << 8, 24, 24) == 0
    assert do(b, 10, 11 << 24, 1, 8) == -errno.ENOSPC
    assert do(b, 10, ten, 99, 33) == -errno.EINVAL
    assert [do(b, 11, a) for a in (ten | 1 << 16 | 2 << 8 | 3, ten | 1 << 16 | 9, ten | 5, 11 << 24)] == \
        [24, 16, 8, NONE]
    assert b["routes"][{"prefixlen": 32, "addr": bytes([10, 1, 2, 200])}] == 24


@pytest.mark.kernel
@SETTINGS
@given(st.lists(st.tuples(st.integers(0, OPS - 1), st.integers(0, 6), st.integers(0, 9), st.integers(0, 3)),
                max_size=30))
def test_generated_operation_sequences(ops):
    """Random programs of map operations: every result, and every map after every step, agree."""
    with mirror(SOURCE) as both:
        for which, key, value, flags in ops:
            if which == 10:
                flags = (flags + 1) * 8
            do(both, which, key, value, flags)


def test_user_space_views_without_programs():
    sim = simulate(SOURCE)
    sim["hashed"].update({1: 10, 2: 20})
    assert sim["hashed"].pop(1) == 10 and 1 not in sim["hashed"]
    sim["hashed"].clear()
    assert len(sim["hashed"]) == 0
    sim["arr"][2] = 5
    sim["arr"].clear()
    assert sim["arr"][2] == 0
    assert repr(sim["hashed"]).startswith("<MapView hashed")


def test_simulated_maps_are_read_through_the_runtime_views():
    """The simulator has no views of its own: `sim[name]` is the runtime's MapView (or queue
    view) over a simulated map that offers the loader's map operations, so decoding, per-CPU
    slots and errors are the kernel path's own code."""
    from pythonbpf.loader.map import MapOps
    from pythonbpf.runtime.mapview import MapView, PerCpu
    from pythonbpf.runtime.queueview import QueueView

    sim = simulate(SOURCE)
    assert type(sim["hashed"]) is MapView and type(sim["pcpu"]) is MapView
    assert type(sim["fifo"]) is QueueView and type(sim["lifo"]) is QueueView
    assert all(isinstance(view.map, MapOps) for view in sim.maps.values())
    raw = sim["hashed"].map
    raw.update((3).to_bytes(4, "little"), (30).to_bytes(8, "little"))  # the loader's call
    assert sim["hashed"][3] == 30 and raw.lookup((3).to_bytes(4, "little")) == (30).to_bytes(8, "little")
    do(sim, 5, 1, 3)  # a program adds 3 on CPU 0 of a per-CPU map
    value = sim["pcpu"][1]
    assert isinstance(value, PerCpu) and list(value) == [3] + [0] * (sim.ncpus - 1)
    assert len(sim["pcpu"].map.lookup((1).to_bytes(4, "little"))) == 8 * sim.ncpus  # one slot a CPU
    with pytest.raises(BPFError, match=r"update on map 'fifo' failed: the map is full \(max_entries=3, E2BIG\)"):
        for v in range(4):
            sim["fifo"].push(v)
    with pytest.raises(ValueError, match="key is 2 bytes, expected 4"):
        raw.lookup(b"\0\0")


LRU = '''
from pythonbpf import bpf, section
from pythonbpf.types import u32, u64, i64
from pythonbpf.maps import ArrayMap, LRUHashMap, LRUPerCPUHashMap

small = LRUHashMap(key=u32, value=u64, max_entries=8)
spread = LRUPerCPUHashMap(key=u32, value=u64, max_entries=6)
cmd = ArrayMap(key=u32, value=u64, max_entries=3)
res = ArrayMap(key=u32, value=i64, max_entries=1)

@bpf
@section("xdp")
def op(ctx):
    which = cmd.get(0, 0)
    key = u32(cmd.get(1, 0))
    flags = cmd.get(2, 0)
    if which == 0:
        res[0] = small.update(key, key * 10, flags)
    elif which == 1:
        v = small.lookup(key)
        res[0] = i64(v) if v else -1
    elif which == 2:
        res[0] = small.delete(key)
    elif which == 3:
        spread[key] += 1
    else:
        w = spread.lookup(key)
        res[0] = i64(w) if w else -1
    return 2
'''


@pytest.mark.kernel
@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 7), st.integers(0, 15), st.integers(0, 2)), min_size=8, max_size=60))
def test_generated_lru_sequences(ops):
    """LRU maps (plain and per-CPU) under inserts, updates of present keys, lookups, deletes,
    user-space writes, on both CPUs: the kernel's choice of victim is reproduced."""
    with mirror(LRU) as both:
        cpus = sorted(os.sched_getaffinity(0))
        for which, key, flags in ops:
            if which == 5:
                both.sim.helpers.cpu = cpus[key % len(cpus)]
            elif which == 6:
                try:
                    both["small"][key] = key
                except BPFError:
                    pass
            elif which == 7:
                try:
                    del both["small"][key]
                except KeyError:
                    pass
            else:
                both["cmd"][0], both["cmd"][1], both["cmd"][2] = which, key, flags
                both.programs["op"].test_run(data=bytes(64))


TAIL = '''
from pythonbpf import bpf, section
from pythonbpf.types import u32, u64
from pythonbpf.maps import ArrayMap, ProgArrayMap

runs = ArrayMap(key=u32, value=u64, max_entries=1)
progs = ProgArrayMap(max_entries=4)

@bpf
@section("xdp")
def again(ctx):
    runs[0] += 1
    progs.tail_call(ctx, 1)
    return 1

@bpf
@section("xdp")
def entry(ctx):
    progs.tail_call(ctx, 3)
    return 7
'''


def test_tail_calls_stop_after_33(bpf_backend):
    b = bpf_backend(TAIL)
    assert b.programs["entry"].test_run(data=bytes(64)).retval == 7  # empty slot: falls through
    b["progs"][1] = b.programs["again"].fd
    b["progs"][3] = b.programs["again"].fd
    assert b.programs["entry"].test_run(data=bytes(64)).retval == 1
    assert b["runs"][0] == 33  # entry's tail call, then 32 more, then the 34th falls through
