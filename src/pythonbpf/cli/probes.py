"""Feature probes for `doctor`: tiny programs loaded (and attached where that is cheap).

Asking the kernel is the only reliable answer: a config file may be missing, a feature may
be compiled in but refused (lockdown, trampolines), and libbpf may lack an attach path. Each
probe is a few lines of pythonbpf, compiled through the cache, loaded, attached to something
harmless or test-run, and closed again at once.
"""
from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from typing import Callable, List, Optional

__all__ = ["Probe", "ProbeResult", "PROBES", "run_probe"]

_HEAD = ("from pythonbpf import bpf, bpfglobal, section, tracepoint, raw_tracepoint, tp_btf, "
         "kprobe, uprobe, perf_event, xdp, tc, socket_filter\n"
         "from pythonbpf.helper import pid, ktime, current_task, XDP_PASS\n"
         "from pythonbpf.maps import HashMap, RingBuf, PerfEventArray\n"
         "from pythonbpf.types import u32, u64\n"
         "counts = HashMap(key=u32, value=u64, max_entries=8)\n")
_TAIL = '\n@bpf\n@bpfglobal\ndef LICENSE() -> str:\n    return "GPL"\n'


def _program(decorator: str, body: str = "    counts[1] += 1\n    return 0\n",
             extra: str = "") -> str:
    return f"{_HEAD}{extra}\n{decorator}\ndef probe(ctx):\n{body}{_TAIL}"


@dataclass(frozen=True)
class Probe:
    name: str  # what the user reads: "kprobe", "ring buffer", ...
    source: str
    action: str  # "attach" (load + attach + detach), "load", "test_run", "batch"
    needs: str  # the kernel version or option it needs, for the remedy
    remedy: str  # what to do (or use instead) when it is missing


@dataclass
class ProbeResult:
    name: str
    ok: bool
    detail: str
    remedy: str = ""


_LOOP = """    total: u64 = 0
    for i in range(ktime() & 7):
        if i == 3:
            continue
        total += i
    counts[2] = total
    return 0
"""
_CORE = "    counts[3] = current_task().real_parent.tgid\n    return 0\n"
_RING = "    rb.output(ktime())\n    return 0\n"

PROBES: List[Probe] = [
    Probe("tracepoint", _program('@tracepoint("syscalls:sys_enter_getpid")'), "attach",
          "tracefs and CONFIG_FTRACE_SYSCALLS",
          "mount tracefs: mount -t tracefs tracefs /sys/kernel/tracing"),
    Probe("raw_tracepoint", _program('@raw_tracepoint("sys_enter")'), "attach", "Linux 4.17",
          "use tracepoints instead"),
    Probe("tp_btf", _program('@tp_btf("sched_switch")'), "attach",
          "Linux 5.5 and kernel BTF", "use raw_tracepoint or tracepoint instead"),
    Probe("kprobe", _program('@kprobe("vfs_read")'), "attach", "CONFIG_KPROBES",
          "this kernel has no kprobes (CONFIG_KPROBES is off); trace the same events with "
          "tracepoint, raw_tracepoint or tp_btf programs"),
    Probe("fentry", _program('@bpf\n@section("fentry/vfs_read")'), "attach",
          "BPF trampolines (CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS, x86-64/arm64)",
          "BPF trampolines are unavailable here; use tp_btf or raw_tracepoint programs"),
    Probe("uprobe", _program('@uprobe("libc", "getpid")'), "attach", "CONFIG_UPROBES",
          "enable CONFIG_UPROBES (uprobe PMU in /sys/bus/event_source/devices/uprobe)"),
    Probe("perf_event", _program("@perf_event(frequency=9)"), "attach", "perf events",
          "check /proc/sys/kernel/perf_event_paranoid and that perf events exist"),
    Probe("iter/task", _program('@bpf\n@section("iter/task")', "    return 0\n"), "attach",
          "Linux 5.8 and kernel BTF", "task iterators need Linux 5.8 with BTF"),
    Probe("xdp", _program("@xdp", "    counts[1] += 1\n    return XDP_PASS\n"), "test_run",
          "Linux 4.8", "XDP needs Linux 4.8 (generic XDP works on every interface)"),
    Probe("tc", _program("@tc"), "test_run", "Linux 4.1 with clsact",
          "tc programs need CONFIG_NET_CLS_BPF and CONFIG_NET_SCH_INGRESS"),
    Probe("socket filter", _program("@socket_filter"), "test_run", "Linux 3.19",
          "socket filters need CONFIG_BPF_SYSCALL"),
    Probe("cgroup_skb", _program('@bpf\n@section("cgroup_skb/ingress")',
                                 "    counts[1] += 1\n    return 1\n"), "test_run",
          "CONFIG_CGROUP_BPF", "cgroup programs need CONFIG_CGROUP_BPF and cgroup v2"),
    Probe("ring buffer", _program('@tracepoint("syscalls:sys_enter_getpid")', _RING,
                                  "rb = RingBuf(max_entries=4096)\n"), "load", "Linux 5.8",
          "use a PerfEventArray for events instead"),
    Probe("perf event array", _program('@tracepoint("syscalls:sys_enter_getpid")',
                                       "    ev.output(ktime())\n    return 0\n",
                                       "ev = PerfEventArray(key_size=4, value_size=4)\n"),
          "load", "Linux 4.4", "perf event arrays are missing: events cannot be sent"),
    Probe("batch map ops", _program("@xdp", "    counts[1] += 1\n    return XDP_PASS\n"), "batch",
          "Linux 5.6", "maps are read key by key (slower for big maps); nothing to change"),
    Probe("bpf_loop", _program('@tracepoint("syscalls:sys_enter_getpid")', _LOOP), "load",
          "Linux 5.17", "loops with branches need bpf_loop: keep loop bodies branch-free"),
    Probe("CO-RE (kernel struct reads)", _program('@tracepoint("syscalls:sys_enter_getpid")', _CORE),
          "load", "kernel BTF (CONFIG_DEBUG_INFO_BTF)",
          "rebuild the kernel with CONFIG_DEBUG_INFO_BTF=y to read kernel structs"),
]


def _describe(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text.split("; ", 1)[0][:200]  # the errno part; the remedy is our own


def _batch(b) -> str:
    from ..loader.features import probe_lookup_batch

    err = probe_lookup_batch(b["counts"].map.fd)
    if not err:
        return "BPF_MAP_LOOKUP_BATCH works"
    raise OSError(err, f"BPF_MAP_LOOKUP_BATCH: {errno.errorcode.get(err, err)}")


def run_probe(probe: Probe, make_bpf: Optional[Callable[[str, str], object]] = None) -> ProbeResult:
    """Compile, load and exercise one probe; never raises for a kernel's refusal."""
    from ..runtime.bpf import BPF

    name = "pbpf_" + "".join(c for c in probe.name if c.isalnum())[:9]
    try:
        b = make_bpf(probe.source, name) if make_bpf else BPF(source=probe.source, name=name)
    except Exception as exc:  # the compiler refused (e.g. no kernel BTF for CO-RE)
        return ProbeResult(probe.name, False, f"cannot compile the probe: {_describe(exc)}",
                           probe.remedy)
    try:
        with b:
            b.load()
            if probe.action == "attach":
                b.attach_all()
                detail = "loads and attaches"
            elif probe.action == "test_run":
                b.programs["probe"].test_run(data=bytes(64))
                detail = "loads and runs (BPF_PROG_TEST_RUN)"
            elif probe.action == "batch":
                detail = _batch(b)
            else:
                detail = "loads"
        return ProbeResult(probe.name, True, detail)
    except Exception as exc:
        return ProbeResult(probe.name, False, _describe(exc), probe.remedy)


def kprobes_configured() -> bool:
    return os.path.exists("/sys/bus/event_source/devices/kprobe") or \
        os.path.exists("/sys/kernel/tracing/kprobe_events")
