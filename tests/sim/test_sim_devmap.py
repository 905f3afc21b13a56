"""Device maps and `ktime_boot()` in the simulator.

DevMap/DevMapHash: user space stores interface indexes through the ordinary map view and an
XDP program's `m.redirect(key, flags)` gives XDP_REDIRECT when the slot holds an interface,
else the action in the flags' low bits. The `bpf_backend` tests run in the simulator and, in
`[kernel+sim]`, in the kernel as well, where every run's retval, every map read (keys in the
kernel's order, each errno of a refused update) and the maps after each run must agree.
"""
from __future__ import annotations

import os
import socket
import time

import pytest

from pythonbpf import BPF
from pythonbpf.loader.errors import BPFError
from pythonbpf.testing.sim import SimulationError, simulate

XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX, XDP_REDIRECT = 0, 1, 2, 3, 4
LO = socket.if_nametoindex("lo")

SOURCE = '''
from pythonbpf import bpf, bpfglobal, xdp
from pythonbpf.helper import XDP_DROP, XDP_PASS
from pythonbpf.maps import ArrayMap, DevMap, DevMapHash
from pythonbpf.types import u32, u64

tx = DevMap(key=u32, value=u32, max_entries=4)
ports = DevMapHash(key=u32, value=u32, max_entries=16)
wide = DevMap(key=u32, value=u64, max_entries=2)
choice = ArrayMap(key=u32, value=u64, max_entries=3)

@xdp
def by_index(ctx):
    return tx.redirect(choice[0], XDP_PASS)

@xdp
def by_index_default(ctx):
    return tx.redirect(key=choice[0])

@xdp
def by_port(ctx):
    return ports.redirect(choice[1], flags=XDP_DROP)

@xdp
def with_flags(ctx):
    return tx.redirect(choice[0], choice[2])

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''

PACKET = bytes(64)


def runs(b, *names):
    return tuple(b.programs[n].test_run(data=PACKET).retval for n in names)


def test_redirect_follows_the_map(bpf_backend):
    b = bpf_backend(SOURCE)
    assert runs(b, "by_index", "by_index_default", "by_port") == (XDP_PASS, XDP_ABORTED, XDP_DROP)
    b["tx"][0] = LO
    b["ports"][8080] = LO
    assert b["tx"][0] == LO and b["ports"][8080] == LO
    assert runs(b, "by_index", "by_index_default") == (XDP_REDIRECT, XDP_REDIRECT)
    b["choice"][0] = 3  # an empty slot
    b["choice"][1] = 8080
    assert runs(b, "by_index", "by_index_default", "by_port") == (XDP_PASS, XDP_ABORTED, XDP_REDIRECT)
    b["choice"][0] = 4 + (1 << 32)  # the helper takes the key as a u32: slot 4, past the end
    assert runs(b, "by_index") == (XDP_PASS,)
    b["choice"][0] = 1 << 32  # slot 0
    assert runs(b, "by_index") == (XDP_REDIRECT,)
    del b["ports"][8080]
    assert runs(b, "by_port") == (XDP_DROP,)


@pytest.mark.parametrize("flags, slot, expected", [
    (XDP_TX, 3, XDP_TX), (XDP_TX, 0, XDP_REDIRECT),
    (1 << 5, 0, XDP_ABORTED),  # a flag redirect_map does not know: aborted, present or not
    (XDP_DROP | 1 << 4, 3, XDP_DROP),  # BPF_F_EXCLUDE_INGRESS alone changes nothing here
    (XDP_PASS | 1 << 40, 0, XDP_ABORTED),
])
def test_redirect_flags(bpf_backend, flags, slot, expected):
    b = bpf_backend(SOURCE)
    b["tx"][0] = LO
    b["choice"][0] = slot
    b["choice"][2] = flags
    assert runs(b, "with_flags") == (expected,)


def refused(action) -> int:
    try:
        action()
    except BPFError as exc:
        return exc.errno
    return 0


def test_devmap_updates_as_the_kernel_checks_them(bpf_backend):
    b = bpf_backend(SOURCE)
    tx = b["tx"]
    assert list(tx.keys()) == [0, 1, 2, 3] and list(tx.items()) == [] and len(tx) == 4
    assert 0 not in tx
    tx[2] = LO
    assert list(tx.items()) == [(2, LO)] and tx.get(1) is None
    assert refused(lambda: tx.__setitem__(1, 0x7FFFFFF0)) == 22  # no such interface: EINVAL
    assert refused(lambda: tx.__setitem__(4, LO)) == 7  # past max_entries: E2BIG
    del tx[3]  # an empty slot deletes fine
    assert refused(lambda: tx.__delitem__(4)) == 22
    tx[2] = 0  # ifindex 0 empties the slot
    assert list(tx.items()) == []
    b["wide"][1] = LO | (0xFFFFFFFF << 32)  # a negative program fd: none, read back as id 0
    assert b["wide"][1] == LO
    assert refused(lambda: b["wide"].__setitem__(0, LO | (5 << 32))) == 22  # not a devmap program


def test_devmap_hash_updates_and_order(bpf_backend):
    b = bpf_backend(SOURCE)
    ports = b["ports"]
    assert refused(lambda: ports.__setitem__(7, 0)) == 22
    for key in (21, 5, 37, 100, 4, 16, 1, 5):  # 5 again: an update moves it to its bucket's head
        ports[key] = LO
    assert list(ports.keys()) == [16, 1, 4, 100, 5, 37, 21]
    with pytest.raises(KeyError):
        del ports[8]
    for key in range(200, 209):
        ports[key] = LO
    assert len(ports) == 16
    assert refused(lambda: ports.__setitem__(300, LO)) == 7
    ports[5] = LO  # a present key still updates in a full map
    assert ports.pop(5) == LO and ports.pop(5, None) is None
    ports.clear()
    assert list(ports.items()) == [] and len(ports) == 0


@pytest.mark.kernel
def test_a_wrong_device_map_model_is_caught(monkeypatch):
    """The [kernel+sim] runs above can fail: a model that forgets slot 0 disagrees at once."""
    from pythonbpf.testing.sim import Disagreement, mirror
    from pythonbpf.testing.sim.maps.devmaps import DevMap

    original = DevMap.ifindex
    monkeypatch.setattr(DevMap, "ifindex", lambda self, key: None if key == 0 else original(self, key))
    with pytest.raises(Disagreement, match=r"retval: kernel 4, simulator 2"):
        with mirror(SOURCE) as both:
            both["tx"][0] = LO
            both.programs["by_index"].test_run(data=PACKET)


def test_the_run_result_says_where_the_packet_goes():
    sim = simulate(SOURCE)
    sim["tx"][1] = LO
    sim["choice"][0] = 1
    run = sim.programs["by_index"].run(data=PACKET)
    assert (run.retval, run.redirect, run.redirect_map) == (XDP_REDIRECT, (LO, 0), ("tx", 1))
    sim["choice"][0] = 2
    run = sim.programs["by_index"].run(data=PACKET)
    assert (run.retval, run.redirect, run.redirect_map) == (XDP_PASS, None, None)


def test_interfaces_can_be_modelled():
    sim = simulate(SOURCE)
    sim.helpers.interfaces = {7, 9}
    sim["ports"][80] = 9
    with pytest.raises(BPFError) as info:
        sim["ports"][81] = LO
    assert info.value.errno == 22
    sim["choice"][1] = 80
    run = sim.programs["by_port"].run(data=PACKET)
    assert (run.retval, run.redirect) == (XDP_REDIRECT, (9, 0))


def test_broadcast_is_a_located_refusal():
    sim = simulate(SOURCE)
    sim["choice"][2] = 1 << 3  # BPF_F_BROADCAST
    with pytest.raises(SimulationError, match=r"<string>:\d+: tx.redirect\(\).*BPF_F_BROADCAST"):
        sim.programs["with_flags"].run(data=PACKET)


CLOCKS = '''
from pythonbpf import bpf, bpfglobal, xdp, ktime, ktime_boot
from pythonbpf.maps import ArrayMap
from pythonbpf.types import u32, u64

times = ArrayMap(key=u32, value=u64, max_entries=4)

@xdp
def clocks(ctx):
    times[0] = ktime()
    times[1] = ktime_boot()
    times[2] = ktime()
    return 2

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''


def read_clocks(b):
    b.programs["clocks"].test_run(data=PACKET)
    return b["times"][0], b["times"][1], b["times"][2]


def test_ktime_boot_is_ktime_plus_time_suspended():
    sim = simulate(CLOCKS)
    sim.helpers.ktime = 5_000
    assert read_clocks(sim) == (5_000, 5_000, 5_000)
    sim.helpers.suspend(2_000)
    sim.helpers.ktime.advance(300)
    assert read_clocks(sim) == (5_300, 7_300, 5_300)
    sim.helpers.ktime.step = 10  # every read moves the clock: boot time moves with it
    assert read_clocks(sim) == (5_300, 7_310, 5_320)
    with pytest.raises(ValueError):
        sim.helpers.suspend(-1)


@pytest.mark.kernel
def test_the_kernel_clocks_follow_the_model():
    """The model's premise, in the kernel: boot time is monotonic time plus the time suspended
    (CLOCK_BOOTTIME - CLOCK_MONOTONIC), up to the nanoseconds between the program's reads."""
    with BPF(source=CLOCKS, name=f"clocks{os.getpid()}") as b:
        boot_ns = time.clock_gettime_ns(time.CLOCK_BOOTTIME)  # then monotonic: its read is later,
        suspended = max(0, boot_ns - time.clock_gettime_ns(time.CLOCK_MONOTONIC))  # so at most 0 off
        mono, boot, after = read_clocks(b)
    assert mono <= boot and mono <= after
    assert abs((boot - mono) - suspended) < 1_000_000, (mono, boot, suspended)
    sim = simulate(CLOCKS)
    sim.helpers.ktime = mono
    sim.helpers.suspended = suspended
    sim_mono, sim_boot, _ = read_clocks(sim)
    assert sim_mono == mono and sim_boot - sim_mono == suspended


def test_every_declarable_map_kind_is_simulated():
    """A kind programs can declare with no simulated family would make simulate() refuse every
    program declaring it (as DevMap did before it was modelled); other kinds are refused with
    the declaration's line."""
    from pythonbpf.compiler.typed import MapDecl
    from pythonbpf.kinds.maps import BY_NAME, kind_names
    from pythonbpf.spec.types import IntType
    from pythonbpf.testing.sim.maps import make_map

    u32 = IntType(32, False)

    def make(kind: str):
        decl = MapDecl(kind, kind, BY_NAME[kind].map_type, u32, u32, 4096, line=3)
        return make_map(decl, 2, lambda fd: None, lambda: 0, lambda ifindex: True)

    assert {kind: make(kind).kind for kind in kind_names()} == {kind: kind for kind in kind_names()}
    with pytest.raises(SimulationError, match=r"^<program>:3: map 'cpumap': cpumap maps are not simulated"):
        make("cpumap")
