"""Attach a kprobe/kretprobe to a kernel function named at run time.

Section auto-attach (`kprobe/FUNCTION`) needs the function when the program is written; a
program declared with a bare `@section("kprobe")` is attached here once the target is known,
through `bpf_program__attach_kprobe` (libbpf picks the perf-event or legacy tracefs way).
"""

from __future__ import annotations

import ctypes

from . import libbpf
from .link import Link
from .program import Program

__all__ = ["attach_kprobe"]


def attach_kprobe(program: Program, function: str, retprobe: bool = False) -> Link:
    """Attach `program` at the entry (or, with `retprobe`, the return) of kernel `function`."""
    fn = libbpf.lib().bpf_program__attach_kprobe
    fn.restype, fn.argtypes = ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_bool, ctypes.c_char_p]
    with libbpf.capture_log() as log:
        ptr = fn(program._live(), retprobe, function.encode())
        err = libbpf.get_errno()
    return program.adopt_link(ptr, function, err, log.text)
