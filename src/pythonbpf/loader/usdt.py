"""Attach a USDT program to a probe of a binary, for one process or all.

libbpf does the work: `bpf_program__attach_usdt` reads the binary's SDT notes, writes each
distinct argument layout into the object's `__bpf_usdt_specs` map, attaches a uprobe at every
site of the probe with the spec id as its cookie, and counts the probe's semaphore up (the
kernel's uprobe reference counter) so that guarded probes fire while attached.
"""
from __future__ import annotations

import ctypes

from . import libbpf
from .link import Link
from .program import Program

__all__ = ["attach_usdt"]


class _UsdtOpts(ctypes.Structure):
    _fields_ = [("sz", ctypes.c_size_t), ("usdt_cookie", ctypes.c_uint64)]


def attach_usdt(program: Program, binary: str, provider: str, name: str, pid: int = -1) -> Link:
    """Attach `program` to USDT `provider:name` in `binary` (a path) for `pid` (-1: every process)."""
    api = libbpf.lib()
    fn = api.bpf_program__attach_usdt
    fn.restype, fn.argtypes = ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p,
                                                ctypes.c_char_p, ctypes.POINTER(_UsdtOpts)]
    opts = _UsdtOpts(sz=ctypes.sizeof(_UsdtOpts))
    target = f"{binary}:{provider}:{name}" + (f" (pid {pid})" if pid >= 0 else "")
    with libbpf.capture_log() as log:
        ptr = fn(program._live(), pid, binary.encode(), provider.encode(), name.encode(), ctypes.byref(opts))
        err = libbpf.get_errno()
    return program.adopt_link(ptr, target, err, log.text)
