"""The cross-check machinery itself: `crosscheck()` runs inputs in both back ends, and a Mirror
fails on a difference rather than letting it pass (shown by breaking the simulator on purpose)."""
from __future__ import annotations

import pytest

from pythonbpf.compiler import typed as m
from pythonbpf.testing.packets import ether, ipv4, tcp, udp
from pythonbpf.testing.sim import Disagreement, crosscheck, mirror, simulate
from pythonbpf.testing.sim.machine import Machine

import test_lang_packets as lang_packets

FRAMES = [ether() / ipv4() / udp(1, 5353, b"q"), ether() / ipv4() / tcp(1, 2), ether() / ipv4() / udp(1, 7)]


@pytest.mark.kernel
def test_crosscheck_runs_inputs_in_both():
    runs, comparisons = crosscheck(lang_packets.FILTER, "udp_filter", [bytes(f) for f in FRAMES],
                                   consts={"PORT": 5353})
    assert runs == 3 and comparisons > runs


@pytest.mark.kernel
def test_a_wrong_simulator_is_caught(monkeypatch):
    original = Machine.EVALS[m.Compare]

    def inverted_equality(machine, e):
        value = original(machine, e)
        return not value if e.op == "==" else value

    monkeypatch.setitem(Machine.EVALS, m.Compare, inverted_equality)
    with pytest.raises(Disagreement, match="retval"):
        with mirror(lang_packets.FILTER, consts={"PORT": 5353}) as both:
            both.programs["udp_filter"].test_run(data=bytes(FRAMES[0]))


def test_programs_can_be_stored_for_tail_calls_directly():
    sim = simulate('''
from pythonbpf import bpf, section
from pythonbpf.maps import ProgArrayMap

progs = ProgArrayMap(max_entries=2)

@bpf
@section("xdp")
def first(ctx):
    progs.tail_call(ctx, 1)
    return 1

@bpf
@section("xdp")
def second(ctx):
    return 3
''')
    assert sim.programs["first"].run(data=bytes(14)).retval == 1
    sim.maps["progs"][1] = sim.programs["second"]
    assert sim.programs["first"].run(data=bytes(14)).retval == 3
    assert sim["progs"][1] == sim.programs["second"].fd
    del sim["progs"][1]
    assert sim.programs["first"].run(data=bytes(14)).retval == 1
