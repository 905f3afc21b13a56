"""Attach a uprobe/uretprobe to a symbol of a binary for one process (or all), at run time.

Section auto-attach (`uprobe/PATH:SYMBOL`) covers every process; a pid, or a target known only
at run time, goes through `bpf_program__attach_uprobe_opts` with the function name, which
libbpf resolves to an offset in the ELF file itself.
"""

from __future__ import annotations

import ctypes

from . import libbpf
from .link import Link
from .program import Program

__all__ = ["attach_uprobe"]


class _UprobeOpts(ctypes.Structure):
    _fields_ = [("sz", ctypes.c_size_t), ("ref_ctr_offset", ctypes.c_size_t),
                ("bpf_cookie", ctypes.c_uint64), ("retprobe", ctypes.c_bool),
                ("func_name", ctypes.c_char_p)]


def attach_uprobe(program: Program, binary: str, symbol: str, pid: int = -1,
                  retprobe: bool = False) -> Link:
    """Attach `program` at `symbol` in `binary` (a path) for process `pid` (-1: every process)."""
    if program._uprobe_multi:  # loaded for a uprobe_multi link: detaches faster
        from .uprobemulti import attach, resolve

        symbol_name, _, off = symbol.partition("+")
        link = attach(program, resolve(binary), symbol_name, int(off, 0) if off else 0, pid,
                      retprobe)
        if link is not None:
            return link  # else this kernel refused it: libbpf's perf event below
    api = libbpf.lib()
    fn = api.bpf_program__attach_uprobe_opts
    fn.restype, fn.argtypes = ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p,
                                                ctypes.c_size_t, ctypes.POINTER(_UprobeOpts)]
    opts = _UprobeOpts(sz=ctypes.sizeof(_UprobeOpts), retprobe=retprobe, func_name=symbol.encode())
    target = f"{binary}:{symbol}" + (f" (pid {pid})" if pid >= 0 else "")
    with libbpf.capture_log() as log:
        ptr = fn(program._live(), pid, binary.encode(), 0, ctypes.byref(opts))
        err = libbpf.get_errno()
    return program.adopt_link(ptr, target, err, log.text)
