"""Map operations in programs, run in the kernel: subscripts, `in`, `del`, get, atomic `+=` that
inserts when absent, queues and stacks, bloom filters, LPM tries, ring buffer reservations,
tail calls and log2."""
from __future__ import annotations

import pytest

from pythonbpf import BPF, CompileError

SOURCE = '''
from ctypes import c_void_p, c_int64
from pythonbpf import bpf, section, struct
from pythonbpf.helper import log2
from pythonbpf.types import u8, u32, u64, i64
from pythonbpf.maps import (HashMap, ArrayMap, PerCPUArrayMap, LRUHashMap, QueueMap, StackMap,
                            BloomFilterMap, LPMTrieMap, RingBuf, ProgArrayMap)

@bpf
@struct
class Prefix:
    prefixlen: u32
    addr: u8 * 4

@bpf
@struct
class Event:
    seq: u64
    kind: u32

counts = HashMap(key=u32, value=u64, max_entries=64)
slots = ArrayMap(key=u32, value=i64, max_entries=8)
percpu = PerCPUArrayMap(key=u32, value=u64, max_entries=4)
recent = LRUHashMap(key=u32, value=u64, max_entries=16)
fifo = QueueMap(value=u64, max_entries=8)
lifo = StackMap(value=u64, max_entries=8)
seen = BloomFilterMap(value=u32, max_entries=64)
routes = LPMTrieMap(key=Prefix, value=u32, max_entries=16)
out = ArrayMap(key=u32, value=i64, max_entries=16)
events = RingBuf(max_entries=4096)
progs = ProgArrayMap(max_entries=2)

@bpf
@section("xdp")
def run(ctx: c_void_p) -> c_int64:
    counts[1] += 1
    counts[2] += 10
    counts.increment(3, n=5)
    counts[4] = 40
    del counts[4]
    counts[5] = 7
    counts[5] -= 2
    slots[2] += -3
    slots[7] |= 12
    percpu[0] += 1
    recent[9] = 99
    out[0] = 1 if 1 in counts else 0
    out[1] = 1 if 4 in counts else 0
    out[2] = counts.get(5, 0) + counts.get(77, 1000)
    fifo.push(11)
    fifo.push(22)
    lifo.push(11)
    lifo.push(22)
    a = fifo.pop()
    if a:
        out[3] = a
    b = lifo.pop()
    if b:
        out[4] = b
    c = fifo.peek()
    out[5] = c if c else -1
    seen.push(1234)
    out[6] = (1234 in seen) + (4321 in seen) * 10
    key = Prefix()
    key.prefixlen = 32
    key.addr[0] = 10
    key.addr[1] = 1
    key.addr[2] = 2
    key.addr[3] = 3
    r = routes.lookup(key)
    out[7] = r if r else -1
    out[8] = log2(0) * 100 + log2(1) * 10 + log2(1000)
    e = events.reserve(Event)
    if e:
        e.seq = 1
        e.kind = 2
        events.submit(e)
    d = events.reserve(Event)
    if d is not None:
        events.discard(d)
    progs.tail_call(ctx, 0)
    return 2

@bpf
@section("xdp")
def tail(ctx: c_void_p) -> c_int64:
    out[9] += 1
    return 3
'''


@pytest.mark.kernel
def test_map_operations():
    with BPF(source=SOURCE) as b:
        b.load()
        b["routes"][{"prefixlen": 24, "addr": bytes([10, 1, 2, 0])}] = 42
        assert b.programs["run"].test_run(data=bytes(64)).retval == 2  # no tail call target yet
        b["progs"][0] = b.programs["tail"].fd
        assert b.programs["run"].test_run(data=bytes(64)).retval == 3  # tail call taken
        counts = dict(b["counts"].items())
        assert counts == {1: 2, 2: 20, 3: 10, 5: 5}
        assert b["slots"][2] == -6 and b["slots"][7] == 12
        assert b["percpu"][0].sum() == 2  # per-CPU values: one per CPU
        assert b["recent"][9] == 99
        out = b["out"]
        # second run: the queue holds [22, 11, 22] when popped, the stack [11, 11, 22]
        assert [out[i] for i in range(10)] == [1, 0, 5 + 1000, 22, 22, 11, 1, 42, 9, 1]


LEAK = SOURCE.replace("        events.discard(d)\n", "        pass\n")


def test_unreleased_reservation_is_located():
    with pytest.raises(CompileError) as info:
        BPF(source=LEAK)
    err = info.value
    assert "record 'd' reserved at line" in err.message and "neither submitted nor discarded" in err.message
    assert err.line == LEAK.splitlines().index("    progs.tail_call(ctx, 0)") + 2  # the return after it
