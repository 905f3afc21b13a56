"""Logic tests of the project's examples (examples/*.py), in the simulator: no root needed.

Each test drives the example's programs with the inputs its hook would see (tracepoint fields,
probe arguments, packets, a task model) and checks what reaches user space (maps, events,
globals, print output). Packet examples also run in the kernel at the same time where it can
([kernel+sim]). Tracepoint formats come from tests/sim/formats, so no tracefs is needed.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from pythonbpf import CompileError, Record
from pythonbpf.testing.packets import ether, ipv4, ipv6, tcp, udp
from pythonbpf.testing.sim import simulate

from conftest import FORMATS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example(name: str, **options):
    path = EXAMPLES / name
    if not path.exists():
        pytest.skip(f"examples/{name} is not there")
    return simulate(path, tracepoints=FORMATS, **options)


def test_clone_hist_counts_per_pid():
    sim = example("clone_hist.py")
    for pid in (10, 10, 11, 10):
        sim.helpers.pid = pid
        sim.programs["hello"].run(ctx={})
    assert dict(sim["hist"].items()) == {10: 3, 11: 1}


def test_execsnoop_reports_exec_with_parent():
    sim = example("execsnoop.py")
    sim.helpers.pid, sim.helpers.comm, sim.helpers.ktime = 4242, "ls", 123_000
    sim.helpers.task = {"real_parent": {"tgid": 4000}}
    sim.programs["on_exec"].run(ctx={"filename": "/usr/bin/ls", "pid": 4242, "old_pid": 4242})
    (event,) = sim.events("events")
    assert (event.ts, event.pid, event.ppid, event.comm, event.filename) == (123_000, 4242, 4000, "ls",
                                                                              "/usr/bin/ls")


def test_exitsnoop_reports_main_threads_only():
    sim = example("exitsnoop.py")
    sim.helpers.pid, sim.helpers.tid, sim.helpers.comm = 77, 78, "worker"
    sim.helpers.ktime = 10_000
    sim.helpers.task = {"real_parent": {"tgid": 1}, "exit_code": 9 << 8, "start_time": 4_000}
    sim.programs["on_exit"].run(ctx={})
    assert list(sim.events("events")) == []  # a thread, not the process
    sim.helpers.tid = 77
    sim.programs["on_exit"].run(ctx={})
    (event,) = sim.events("events")
    assert (event.pid, event.ppid, event.exit_code, event.lifetime_ns, event.comm) == (77, 1, 9 << 8, 6_000,
                                                                                       "worker")


def test_opensnoop_filters_by_pid_and_reads_paths():
    sim = example("opensnoop.py", consts={"TARGET_PID": 50})
    sim.helpers.comm = "cat"
    for pid, path in ((49, "/etc/skip"), (50, "/etc/hosts")):
        sim.helpers.pid = pid
        sim.programs["on_openat"].run(ctx={"dfd": -100, "filename": path, "flags": 0o2000000, "mode": 0})
    (event,) = sim.events("events")
    assert (event.pid, event.flags, event.comm, event.path) == (50, 0o2000000, "cat", "/etc/hosts")


def test_killsnoop_pairs_entry_and_exit():
    sim = example("killsnoop.py")
    sim.helpers.pid, sim.helpers.tid, sim.helpers.comm = 300, 301, "kill"
    sim.programs["on_kill_exit"].run(ctx={"ret": 0})  # no entry seen: nothing
    sim.programs["on_kill_enter"].run(ctx={"pid": 1234, "sig": 15})
    assert 301 in sim["pending"]
    sim.programs["on_kill_exit"].run(ctx={"ret": -3})
    assert list(sim.events("events")) == [Record(pid=300, target=1234, sig=15, ret=-3, comm="kill")]
    assert len(sim["pending"]) == 0


@pytest.mark.parametrize("by_process", [0, 1])
def test_syscount_counts_per_syscall_or_process(by_process):
    sim = example("syscount.py", consts={"BY_PROCESS": by_process}, ncpus=4)
    sim.helpers.pid = 900
    for cpu, nr in ((0, 39), (1, 39), (3, 0)):
        sim.helpers.cpu = cpu
        sim.programs["on_sys_enter"].run(ctx={"id": nr, "args": [0] * 6})
    counts = {key: value.sum() for key, value in sim["counts"].items()}
    assert counts == ({900: 3} if by_process else {39: 2, 0: 1})
    assert len(sim["counts"][900 if by_process else 39]) == 4  # one slot per simulated CPU


def test_runqlat_histogram_of_run_queue_waits():
    try:
        sim = example("runqlat.py")
    except CompileError as exc:
        pytest.xfail(f"examples/runqlat.py does not compile here: {exc.message}")
    sim.helpers.ktime = 1_000_000
    sim.programs["on_wakeup"].run(ctx={"p": {"pid": 55}})
    sim.helpers.ktime.advance(40_000)  # 40 us later it runs
    sim.programs["on_switch"].run(ctx={"preempt": 0, "prev": {"pid": 1}, "next": {"pid": 55},
                                       "prev_state": 1})
    assert sim["hist"][5] == 1  # log2(40) == 5
    assert 55 not in sim["enqueued"]


def test_bashreadline_sends_lines():
    sim = example("bashreadline.py")
    got = []
    sim.perf_buffer("events", got.append)
    sim.helpers.pid = 31
    sim.programs["on_readline_return"].run(ctx={"retval": "ls -l"})
    sim.programs["on_readline_return"].run(ctx={"retval": 0})  # end of input
    sim.poll(0)
    assert got == [Record(pid=31, text="ls -l")]


def test_biolatency_buckets_per_disk():
    sim = example("biolatency.py")
    disk = 8 << 20
    sim.helpers.ktime = 0
    sim.programs["on_issue"].run(ctx={"dev": disk, "sector": 100})
    sim.helpers.ktime.advance(3_000_000)  # 3 ms = 3000 us
    sim.programs["on_complete"].run(ctx={"dev": disk, "sector": 100})
    sim.programs["on_complete"].run(ctx={"dev": disk, "sector": 7})  # issued before attach
    assert dict(sim["hist"].items()) == {Record(dev=disk, bucket=11): 1}  # log2(3000) == 11
    assert len(sim["issued"]) == 0


def test_gethostlatency_measures_lookups():
    sim = example("gethostlatency.py")
    sim.helpers.pid, sim.helpers.tid, sim.helpers.comm = 5, 6, "curl"
    sim.helpers.ktime = 100
    sim.programs["on_getaddrinfo"].run(ctx={"args": ["example.org"]})
    sim.helpers.ktime.advance(2500)
    sim.programs["on_getaddrinfo_return"].run(ctx={"retval": 0})
    (event,) = sim.events("events")
    assert (event.pid, event.comm, event.host, event.latency_ns) == (5, "curl", "example.org", 2500)


def test_pidpersec_counts_forks():
    sim = example("pidpersec.py")
    for _ in range(3):
        sim.programs["on_fork"].run(ctx={"parent_pid": 1, "child_pid": 2})
    assert sim.globals["forks"] == 3


def test_profile_counts_stacks():
    sim = example("profile.py")
    sim.helpers.pid, sim.helpers.comm = 12, "busy"
    sim.helpers.stack = [0xFFFFFFFF81000000]
    sim.helpers.user_stack = [0x401000, 0x401100]
    for _ in range(2):
        sim.programs["on_sample"].run()
    ((sample, count),) = sim["counts"].items()
    assert count == 2 and sample.pid == 12 and sample.comm == "busy"
    assert sim.stack_trace("stacks", sample.user_stack) == [0x401000, 0x401100]
    sim.helpers.pid = 0
    sim.programs["on_sample"].run()  # the idle task is skipped
    assert sum(sim["counts"].values()) == 2


def test_taskdump_prints_processes():
    sim = example("taskdump.py")
    init = {"tgid": 1, "pid": 1, "comm": "init", "real_parent": {"tgid": 0}}
    for task in (init, {"tgid": 50, "pid": 51, "comm": "thr", "real_parent": init}, None):
        sim.programs["dump_task"].run(ctx={"task": task})
    assert sim.trace == ["1 1 0 init"]


def test_tcpstates_tracks_state_changes():
    sim = example("tcpstates.py")
    sim.helpers.pid, sim.helpers.comm, sim.helpers.ktime = 70, "nc", 1_000
    change = {"skaddr": 0xFFFF888000001000, "oldstate": 7, "newstate": 2, "sport": 40000, "dport": 80,
              "family": 2, "protocol": 6, "saddr": [10, 0, 0, 1], "daddr": [10, 0, 0, 2]}
    sim.programs["on_state"].run(ctx=change)
    sim.helpers.ktime.advance(500)
    sim.programs["on_state"].run(ctx={**change, "oldstate": 2, "newstate": 1})
    sim.programs["on_state"].run(ctx={**change, "protocol": 17})  # not TCP
    first, second = sim.events("events")
    assert (first.span_ns, second.span_ns, second.newstate) == (0, 500, 1)
    assert second.saddr == bytes([10, 0, 0, 1]) and second.comm == "nc"
    assert sim["last_change"][0xFFFF888000001000] == 1_500


def test_tc_counter_counts_both_directions(bpf_backend):
    path = EXAMPLES / "tc_counter.py"
    if not path.exists():
        pytest.skip("examples/tc_counter.py is not there")
    b = bpf_backend(path)
    frame = bytes(ether() / ipv4() / udp(1, 2, b"x" * 30))
    b.programs["on_ingress"].test_run(data=frame)
    b.programs["on_egress"].test_run(data=frame, repeat=2)
    assert [b["packets"][0], b["packets"][1]] == [1, 2]
    assert [b["octets"][0], b["octets"][1]] == [len(frame), 2 * len(frame)]


def test_udpfilter_drops_blocked_ports(bpf_backend):
    path = EXAMPLES / "udpfilter.py"
    if not path.exists():
        pytest.skip("examples/udpfilter.py is not there")
    b = bpf_backend(path)
    b["blocked"][53] = 1
    # test runs hand socket filters the packet from the network header: put the UDP header there
    keep = b.programs["filter_udp"].test_run(data=bytes(ether(type=0x88B5)) + bytes(udp(1000, 9, b"x" * 20)))
    drop = b.programs["filter_udp"].test_run(data=bytes(ether(type=0x88B5)) + bytes(udp(53, 9, b"y")))
    assert (keep.retval, drop.retval) == (0xFFFF, 0)
    assert [b["verdicts"][0], b["verdicts"][1]] == [1, 1] and b["sizes"][4] == 1  # log2(20)


def test_xdp_protocols_counts_ip_protocols(bpf_backend):
    path = EXAMPLES / "xdp_protocols.py"
    if not path.exists():
        pytest.skip("examples/xdp_protocols.py is not there")
    b = bpf_backend(path)
    for frame in (ether() / ipv4() / udp(1, 2), ether() / ipv4() / tcp(1, 2), ether() / ipv6() / udp(1, 2),
                  ether(type=0x0806) / bytes(28)):
        assert b.programs["count_protocols"].test_run(data=bytes(frame)).retval == 2
    assert {p: v.sum() for p, v in b["packets"].items() if v.sum()} == {17: 2, 6: 1}
