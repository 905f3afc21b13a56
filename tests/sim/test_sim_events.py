"""Events in both back ends: ring buffer records in order, a full ring buffer refusing records,
perf samples lost while no reader is open; `print()` output of simulated runs."""
from __future__ import annotations

import errno

from pythonbpf import Record
from pythonbpf.testing.sim import simulate

SOURCE = '''
from pythonbpf import bpf, section, struct, bpfglobal
from pythonbpf.types import u32, u64, i64
from pythonbpf.maps import RingBuf, PerfEventArray, ArrayMap

@bpf
@struct
class Event:
    seq: u64
    size: u32

@bpf
@struct
class Big:
    seq: u64
    blob: u64 * 60

ring = RingBuf(max_entries=4096)
small = RingBuf(max_entries=4096)
perf = PerfEventArray(key_size=4, value_size=4)
status = ArrayMap(key=u32, value=i64, max_entries=40)
counter = ArrayMap(key=u32, value=u64, max_entries=1)

@bpf
@section("xdp")
def fill(ctx):
    for i in range(40):
        b = ring.reserve(Big)
        if b:
            b.seq = i
            for j in range(60):
                b.blob[j] = j
            ring.submit(b)
            status[i] = 1
        else:
            status[i] = 0
    return 2

@bpf
@section("xdp")
def emit(ctx):
    counter[0] += 1
    n = counter.get(0, 0)
    e = Event()
    e.seq = n
    e.size = 7
    status[0] = perf.output(ctx, e)
    status[1] = small.output(e)
    print(f"emitted {n}")
    return 2

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''


def test_full_ring_buffer_refuses_records(bpf_backend):
    b = bpf_backend(SOURCE)
    b.programs["fill"].test_run(data=bytes(64))
    accepted = [i for i in range(40) if b["status"][i]]
    assert accepted == list(range(len(accepted))) and 0 < len(accepted) < 40
    events = list(b.events("ring", timeout=0))
    assert [e.seq for e in events] == accepted
    b.programs["fill"].test_run(data=bytes(64))  # consumed: room again
    assert b["status"][0] == 1


def test_perf_samples_need_an_open_reader(bpf_backend):
    b = bpf_backend(SOURCE)
    b.programs["emit"].test_run(data=bytes(64))
    assert b["status"][0] == -errno.ENOENT and b["status"][1] == 0
    got = []
    b.perf_buffer("perf", got.append)
    b.programs["emit"].test_run(data=bytes(64))
    assert b["status"][0] == 0
    b.poll(100)
    assert got == [Record(seq=2, size=7)]
    assert [e.seq for e in b.events("small", timeout=0)] == [1, 2]


def test_print_output_is_kept():
    sim = simulate(SOURCE)
    for _ in range(2):
        sim.programs["emit"].run(data=bytes(64))
    assert sim.trace == ["emitted 1", "emitted 2"]


def test_events_are_decoded_by_the_runtime_streams(monkeypatch):
    """`sim.ringbuf(...)` and `sim.perf_buffer(...)` are the runtime's EventStreams, reading the
    simulated buffers through consumers with the loader's interface and decoding with the
    runtime's Decoder (counted here), as `BPF`'s streams do."""
    from pythonbpf.runtime.codec import Decoder
    from pythonbpf.runtime.events import EventMapView, EventStream

    decoded = []
    many = Decoder.many

    def counting(self, *args, **kwargs):
        out = many(self, *args, **kwargs)
        decoded.extend(out)
        return out

    monkeypatch.setattr(Decoder, "many", counting)
    sim = simulate(SOURCE)
    assert type(sim["small"]) is EventMapView
    got = []
    perf = sim.perf_buffer("perf", got.append)
    ring = sim.ringbuf("small")
    assert type(perf) is EventStream and type(ring) is EventStream
    for _ in range(2):
        sim.programs["emit"].run(data=bytes(64))
    assert sim.poll() == 2 and got == [Record(seq=1, size=7), Record(seq=2, size=7)]
    assert list(sim.events("small")) == [Record(seq=1, size=7), Record(seq=2, size=7)]
    assert decoded == got * 2 and ring.received == 2 and sim.poll() == 0


def test_lost_perf_samples_reach_the_runtime_lost_callback():
    """A full per-CPU perf buffer drops samples; the stream reports them per CPU through
    `lost=` and `sim.lost(name)`, as libbpf's lost callback does for `BPF`."""
    sim = simulate(SOURCE)
    got, lost = [], []
    sim.perf_buffer("perf", got.append, lost=lost.append, page_count=1)
    for _ in range(130):  # 4096 bytes hold 128 samples of 8 + 4 + 16 bytes
        sim.programs["emit"].run(data=bytes(64))
    assert sim["status"][0] == -errno.ENOSPC
    assert sim.poll() == 128 and lost == [2] and sim.lost("perf") == 2
    assert [e.seq for e in got] == list(range(1, 129))
