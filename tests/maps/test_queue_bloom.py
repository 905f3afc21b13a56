"""Queue, stack and bloom filter maps: pushed from one side, popped or tested on the other."""
from __future__ import annotations

import pytest

from pythonbpf import BPF, BPFError

pytestmark = pytest.mark.kernel

SOURCE = '''
from ctypes import c_void_p, c_int64
from pythonbpf import bpf, section
from pythonbpf.types import u32, u64
from pythonbpf.maps import QueueMap, StackMap, BloomFilterMap, ArrayMap

fifo = QueueMap(value=u64, max_entries=4)
lifo = StackMap(value=u64, max_entries=4)
seen = BloomFilterMap(value=u32, max_entries=64)
out = ArrayMap(key=u32, value=u64, max_entries=4)

@bpf
@section("xdp")
def take(ctx: c_void_p) -> c_int64:
    a = fifo.pop()
    out[0] = a if a else 0
    s = lifo.pop()
    out[1] = s if s else 0
    out[2] = (77 in seen) + (78 in seen) * 10
    return 2

@bpf
@section("xdp")
def give(ctx: c_void_p) -> c_int64:
    fifo.push(1000)
    lifo.push(2000)
    seen.push(5)
    return 2
'''


@pytest.fixture
def b():
    with BPF(source=SOURCE) as loaded:
        loaded.load()
        yield loaded


def test_user_space_pushes_program_pops(b):
    fifo, lifo, seen = b["fifo"], b["lifo"], b["seen"]
    fifo.push(1)
    fifo.push(2)
    lifo.push(1)
    lifo.push(2)
    seen.add(77)
    assert b.programs["take"].test_run(bytes(64)).retval == 2
    out = b["out"]
    assert out[0] == 1 and out[1] == 2  # FIFO gives the oldest, LIFO the newest
    assert out[2] == 1  # 77 was added; 78 never was (bloom filters have no false negatives
    # but could have false positives; with 64 slots and one value, 78 is absent)
    assert fifo.pop() == 2 and lifo.pop() == 1


def test_program_pushes_user_space_pops(b):
    fifo, lifo, seen = b["fifo"], b["lifo"], b["seen"]
    for _ in range(2):
        b.programs["give"].test_run(bytes(64))
    assert fifo.peek() == 1000 and fifo.pop() == 1000 and fifo.drain() == [1000]
    assert lifo.pop() == 2000 and lifo.pop() == 2000
    assert fifo.pop(None) is None and not lifo
    with pytest.raises(IndexError):
        lifo.pop()
    with pytest.raises(IndexError):
        fifo.peek()
    assert 5 in seen and 6 not in seen


def test_full_queue(b):
    fifo = b["fifo"]
    for i in range(4):
        fifo.push(i)
    with pytest.raises(BPFError, match="full"):
        fifo.push(99)
    fifo.push(99, overwrite=True)  # BPF_EXIST: drop the oldest to make room
    assert fifo.drain() == [1, 2, 3, 99]
