"""Attach a perf_event program to a sampling perf event on every online CPU.

libbpf has no section-name auto-attach for `perf_event` programs: the event (what to count,
how often, which CPUs or process) is a run-time choice. This opens a software cpu-clock
event per CPU with perf_event_open(2) and attaches the program to each with
`bpf_program__attach_perf_event`; each resulting Link owns its event fd (libbpf closes it
when the link is destroyed) and belongs to the Program, so detach/close clean up.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
from ctypes import c_int, c_uint16, c_uint32, c_uint64

from . import libbpf
from .errors import AttachError, BPFError
from .link import Link
from .program import Program

__all__ = ["attach_perf_event", "online_cpus", "PERF_TYPE_SOFTWARE", "PERF_COUNT_SW_CPU_CLOCK"]

PERF_TYPE_HARDWARE = 0
PERF_TYPE_SOFTWARE = 1
PERF_COUNT_SW_CPU_CLOCK = 0
_FREQ_BIT = 1 << 10  # perf_event_attr.freq: sample_freq instead of sample_period
PERF_FLAG_FD_CLOEXEC = 1 << 3
_SYS_PERF_EVENT_OPEN = {"x86_64": 298, "aarch64": 241, "riscv64": 241}.get(platform.machine(), 298)


class _PerfEventAttr(ctypes.Structure):
    """Mirror of `struct perf_event_attr` up to config3 (PERF_ATTR_SIZE_VER8, 136 bytes)."""

    _fields_ = [
        ("type", c_uint32), ("size", c_uint32), ("config", c_uint64),
        ("sample_period_or_freq", c_uint64), ("sample_type", c_uint64),
        ("read_format", c_uint64), ("flags", c_uint64), ("wakeup_events", c_uint32),
        ("bp_type", c_uint32), ("config1", c_uint64), ("config2", c_uint64),
        ("branch_sample_type", c_uint64), ("sample_regs_user", c_uint64),
        ("sample_stack_user", c_uint32), ("clockid", c_int), ("sample_regs_intr", c_uint64),
        ("aux_watermark", c_uint32), ("sample_max_stack", c_uint16), ("_reserved2", c_uint16),
        ("aux_sample_size", c_uint32), ("_reserved3", c_uint32), ("sig_data", c_uint64),
        ("config3", c_uint64),
    ]


def online_cpus() -> list[int]:
    """CPUs currently online, from /sys/devices/system/cpu/online ("0-3,6")."""
    try:
        with open("/sys/devices/system/cpu/online") as f:
            text = f.read().strip()
    except OSError:
        return list(range(os.cpu_count() or 1))
    cpus: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        cpus.extend(range(int(lo), int(hi or lo) + 1))
    return cpus


def _open_event(attr: _PerfEventAttr, pid: int, cpu: int) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    fd = libc.syscall(_SYS_PERF_EVENT_OPEN, ctypes.byref(attr), c_int(pid), c_int(cpu),
                      c_int(-1), ctypes.c_ulong(PERF_FLAG_FD_CLOEXEC))
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"perf_event_open(cpu={cpu}, pid={pid}): {os.strerror(err)}")
    return fd


def attach_perf_event(program: Program, frequency: int | None = None,
                      period: int | None = None, cpus: list[int] | None = None,
                      pid: int = -1, event_type: int = PERF_TYPE_SOFTWARE,
                      config: int = PERF_COUNT_SW_CPU_CLOCK) -> list[Link]:
    """Attach `program` to a sampling event on each of `cpus`.

    Sample `frequency` times per second (default 99 Hz), or every `period` events.
    `pid` -1 samples everything on every online CPU (or `cpus`); a pid samples that
    process wherever it runs (cpu -1 for perf_event_open).
    """
    if frequency is not None and period is not None:
        raise ValueError("give frequency= or period=, not both")
    attr = _PerfEventAttr()
    attr.size = ctypes.sizeof(_PerfEventAttr)
    attr.type, attr.config = event_type, config
    if period is not None:
        attr.sample_period_or_freq = period
    else:
        attr.sample_period_or_freq = frequency or 99
        attr.flags = _FREQ_BIT
    if cpus is None:
        cpus = [-1] if pid != -1 else online_cpus()  # one process: follow it on any CPU
    links: list[Link] = []
    try:
        for cpu in cpus:
            try:
                fd = _open_event(attr, pid, cpu)
            except OSError as exc:
                raise AttachError(program.name, f"perf event on cpu {cpu}", exc.errno,
                                  str(exc), program.section) from None
            with libbpf.capture_log() as log:
                ptr = libbpf.lib().bpf_program__attach_perf_event(program._live(), fd)
                err = libbpf.get_errno()
            if not ptr:
                os.close(fd)
                raise AttachError(program.name, f"perf event on cpu {cpu}",
                                  err or errno.EINVAL, log.text, program.section)
            link = Link(ptr, f"perf_event cpu {cpu}", program._forget_link)
            program.links.append(link)
            links.append(link)
    except BaseException:
        for link in links:
            link.destroy()
        raise
    if not links:
        raise BPFError(f"program '{program.name}': no CPU to attach the perf event to")
    return links
