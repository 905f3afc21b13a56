"""BPF_PROG_TEST_RUN: run a loaded program once (or N times) on given input.

This is how programs are unit-tested without attaching them anywhere: the
kernel builds a context from `data`/`ctx`, runs the program and hands back
its return value, the (possibly rewritten) packet and the time per run.
The kernel accepts different inputs per program type, so the checks that
would otherwise come back as a bare EINVAL are made here, with reasons.
"""

from __future__ import annotations

import ctypes
import errno
from ctypes import c_int, c_size_t, c_uint32, c_void_p
from dataclasses import dataclass

from ..kinds.constants import (
    BPF_PROG_TYPE_CGROUP_SKB, BPF_PROG_TYPE_FLOW_DISSECTOR, BPF_PROG_TYPE_KPROBE, BPF_PROG_TYPE_LWT_IN,
    BPF_PROG_TYPE_LWT_OUT, BPF_PROG_TYPE_LWT_XMIT, BPF_PROG_TYPE_PERF_EVENT, BPF_PROG_TYPE_RAW_TRACEPOINT,
    BPF_PROG_TYPE_SCHED_ACT, BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_TRACEPOINT,
    BPF_PROG_TYPE_XDP)
from ..integers import wrap
from . import libbpf
from .caps import has_bpf_privileges
from .errors import BPFError, NotSupportedError, PermissionDeniedError, errno_name, errno_text

__all__ = ["TestRunResult", "run_program", "ETH_HLEN", "PACKET_PROG_TYPES"]

ETH_HLEN = 14

# enum bpf_prog_type values whose test run builds an skb or xdp_buff from
# `data` and rejects anything shorter than an Ethernet header.
PACKET_PROG_TYPES = frozenset({
    BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SCHED_ACT,
    BPF_PROG_TYPE_XDP, BPF_PROG_TYPE_CGROUP_SKB, BPF_PROG_TYPE_LWT_IN,
    BPF_PROG_TYPE_LWT_OUT, BPF_PROG_TYPE_LWT_XMIT, BPF_PROG_TYPE_FLOW_DISSECTOR,
})

# raw_tp test runs take only ctx (the u64 argument array): the kernel
# rejects data_in/data_out, ctx_out, repeat and duration with EINVAL.
_CTX_ONLY_PROG_TYPES = frozenset({BPF_PROG_TYPE_RAW_TRACEPOINT})

# Kernel programs that cannot be test-run at all (ENOTSUPP), with advice.
_NOT_RUNNABLE = {
    BPF_PROG_TYPE_TRACEPOINT: ("tracepoint", (
        "trigger the event for real (e.g. make the syscall) or test the same logic "
        "in a raw_tp (raw_tracepoint) twin, which can be test-run")),
    BPF_PROG_TYPE_KPROBE: ("kprobe", "trigger the probed function for real"),
    BPF_PROG_TYPE_PERF_EVENT: ("perf_event", "attach it to a perf event and let it fire"),
}

# Room given to a packet that the program may grow (bpf_xdp_adjust_tail,
# bpf_skb_change_tail): the kernel fails with ENOSPC if data_out is too small.
_DEFAULT_HEADROOM = 4096


class _TestRunOpts(ctypes.Structure):
    """Mirror of libbpf 1.1's `struct bpf_test_run_opts` (80 bytes on LP64)."""

    _fields_ = [
        ("sz", c_size_t),
        ("data_in", c_void_p),
        ("data_out", c_void_p),
        ("data_size_in", c_uint32),
        ("data_size_out", c_uint32),
        ("ctx_in", c_void_p),
        ("ctx_out", c_void_p),
        ("ctx_size_in", c_uint32),
        ("ctx_size_out", c_uint32),
        ("retval", c_uint32),
        ("repeat", c_int),
        ("duration", c_uint32),
        ("flags", c_uint32),
        ("cpu", c_uint32),
        ("batch_size", c_uint32),
    ]


@dataclass(frozen=True)
class TestRunResult:
    """What one BPF_PROG_TEST_RUN reported.

    `retval` is the program's return value (u32, as the kernel reports it),
    `data_out` the packet after the program ran, `ctx_out` the context after
    the run (None unless a ctx was passed), `duration` the mean ns per run.
    """

    __test__ = False  # not a pytest test class despite the name

    retval: int
    data_out: bytes
    ctx_out: bytes | None
    duration: int

    @property
    def signed_retval(self) -> int:
        """The return value read as a signed 32-bit int (e.g. -1 instead of 4294967295)."""
        return wrap(self.retval, 32, True)


def _as_bytes(name: str, value: object) -> bytes:
    """bytes-like input, or anything that turns into bytes (e.g. a built test packet)."""
    if isinstance(value, (bytes, bytearray, memoryview)) or hasattr(value, "__bytes__"):
        return bytes(value)  # type: ignore[arg-type]
    raise TypeError(f"{name} must be bytes, not {type(value).__name__}")


def run_program(
    fd: int,
    prog_type: int,
    name: str,
    data: bytes = b"",
    ctx: bytes | None = None,
    repeat: int = 1,
    data_size_out: int | None = None,
) -> TestRunResult:
    """Run the program behind `fd` through bpf_prog_test_run_opts.

    `prog_type` selects which inputs the kernel accepts; `name` is for messages.
    """
    data = _as_bytes("data", data)
    ctx = None if ctx is None else _as_bytes("ctx", ctx)
    if not isinstance(repeat, int) or repeat < 1:
        raise ValueError(f"repeat must be a positive int, not {repeat!r}")
    if prog_type in _NOT_RUNNABLE:
        kind, advice = _NOT_RUNNABLE[prog_type]
        raise NotSupportedError(
            f"program '{name}' cannot be test-run: the kernel does not support "
            f"BPF_PROG_TEST_RUN for {kind} programs (ENOTSUPP); {advice}", 524)
    if prog_type in PACKET_PROG_TYPES and len(data) < ETH_HLEN:
        raise ValueError(
            f"program '{name}': data is {len(data)} bytes but a packet program needs at "
            f"least {ETH_HLEN} (an Ethernet header): the kernel builds the packet from "
            "data and rejects shorter input with EINVAL")
    ctx_only = prog_type in _CTX_ONLY_PROG_TYPES
    if ctx_only:
        if data:
            raise ValueError(f"program '{name}': a raw_tp program takes no data, only ctx "
                             "(its u64 arguments packed as bytes)")
        if repeat != 1:
            raise ValueError(f"program '{name}': the kernel runs raw_tp programs once; "
                             "repeat must be 1")

    opts = _TestRunOpts(sz=ctypes.sizeof(_TestRunOpts))
    keep = []  # buffers referenced by opts must outlive the call
    if data:
        data_in = ctypes.create_string_buffer(data, len(data))
        keep.append(data_in)
        opts.data_in = ctypes.addressof(data_in)
        opts.data_size_in = len(data)
    out_size = 0
    if not ctx_only:
        out_size = data_size_out if data_size_out is not None else (
            len(data) + _DEFAULT_HEADROOM if data else 0)
        if out_size < 0:
            raise ValueError(f"data_size_out must be >= 0, not {out_size}")
    data_out = ctypes.create_string_buffer(max(out_size, 1))
    if out_size:
        opts.data_out = ctypes.addressof(data_out)
        opts.data_size_out = out_size
    ctx_out = None
    if ctx is not None:
        ctx_in = ctypes.create_string_buffer(ctx, max(len(ctx), 1))
        keep.append(ctx_in)
        opts.ctx_in = ctypes.addressof(ctx_in)
        opts.ctx_size_in = len(ctx)
        if not ctx_only and ctx:
            ctx_out = ctypes.create_string_buffer(len(ctx))
            opts.ctx_out = ctypes.addressof(ctx_out)
            opts.ctx_size_out = len(ctx)
    opts.repeat = 0 if ctx_only else repeat

    rc = libbpf.lib().bpf_prog_test_run_opts(fd, ctypes.byref(opts))
    if rc < 0:
        raise _run_error(name, prog_type, -rc, opts, out_size)
    got = min(opts.data_size_out, out_size)
    return TestRunResult(
        retval=opts.retval,
        data_out=data_out.raw[:got] if out_size else b"",
        ctx_out=None if ctx_out is None else ctx_out.raw[:min(opts.ctx_size_out, len(ctx))],
        duration=opts.duration,
    )


def _run_error(name: str, prog_type: int, err: int, opts: _TestRunOpts,
               out_size: int) -> BPFError:
    what = f"test run of program '{name}'"
    if err in (errno.EPERM, errno.EACCES) and not has_bpf_privileges():
        return PermissionDeniedError(what, err)
    if err == 524 or err == errno.EOPNOTSUPP:
        return NotSupportedError(
            f"program '{name}' cannot be test-run: the kernel does not support "
            f"BPF_PROG_TEST_RUN for this program type ({prog_type}) "
            f"({errno_name(err)}); trigger its event for real, or test the logic in "
            "a program type that can be test-run (xdp, tc, socket filter, raw_tp)", err)
    if err == errno.ENOSPC:
        return BPFError(
            f"{what}: the output packet ({opts.data_size_out} bytes) does not fit the "
            f"{out_size}-byte data_out buffer; pass a larger data_size_out (ENOSPC)", err)
    hint = ""
    if err == errno.EINVAL:
        hint = ("; the kernel rejected the inputs for this program type "
                "(check data/ctx sizes and that ctx matches the context struct)")
    return BPFError(f"{what} failed: {errno_name(err)} ({errno_text(err)}){hint}", err)
