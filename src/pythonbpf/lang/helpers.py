"""Helper stubs for BPF-side code.

The compiler turns calls to these names into BPF helper calls. Called from ordinary Python
they raise, because their values only exist inside the kernel.
"""
from __future__ import annotations

from typing import Any, NoReturn

XDP_ABORTED = 0
XDP_DROP = 1
XDP_PASS = 2
XDP_TX = 3
XDP_REDIRECT = 4
TC_ACT_OK = 0
TC_ACT_SHOT = 2
BPF_ANY = 0
BPF_NOEXIST = 1
BPF_EXIST = 2


def _kernel_only(name: str) -> NoReturn:
    raise RuntimeError(f"{name}() only has a value inside a BPF program; call it from a @bpf function")


def pid() -> int:
    """Process id (the kernel's tgid) of the current task."""
    _kernel_only("pid")


def tid() -> int:
    """Thread id (the kernel's pid) of the current task."""
    _kernel_only("tid")


def uid() -> int:
    """User id of the current task."""
    _kernel_only("uid")


def gid() -> int:
    """Group id of the current task."""
    _kernel_only("gid")


def ktime() -> int:
    """Monotonic time in nanoseconds (bpf_ktime_get_ns)."""
    _kernel_only("ktime")


def cpu() -> int:
    """The CPU the program runs on."""
    _kernel_only("cpu")


def random() -> int:
    """A pseudo-random u32."""
    _kernel_only("random")


def comm(buf: Any = None) -> Any:
    """The current task's command name, or fill `buf` (a str(16)) with it."""
    _kernel_only("comm")


def deref(ptr: Any) -> Any:
    """Read the value a pointer points to."""
    _kernel_only("deref")


def ntohs(x: int) -> int:
    return ((x & 0xFF) << 8) | ((x >> 8) & 0xFF)


def ntohl(x: int) -> int:
    return int.from_bytes((x & 0xFFFFFFFF).to_bytes(4, "little"), "big")


htons = ntohs
htonl = ntohl
