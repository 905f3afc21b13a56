"""Helper stubs for BPF-side code.

The compiler turns calls to these names into BPF helper calls. Called from ordinary Python
they raise, because their values only exist inside the kernel. What each one calls, and
with which types, is its row in kinds/helpers.py; every public name here is exported by
`pythonbpf.helper`.
"""
from __future__ import annotations

TYPE_CHECKING = False  # typing costs milliseconds at import; checkers see True
if TYPE_CHECKING:
    from typing import Any, NoReturn

from ..kinds.constants import (BPF_ANY, BPF_EXIST, BPF_NOEXIST, NF_ACCEPT, NF_DROP,  # noqa: F401
                               TC_ACT_OK, TC_ACT_SHOT, XDP_ABORTED, XDP_DROP, XDP_PASS,
                               XDP_REDIRECT, XDP_TX)


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


def log2(x: int) -> int:
    """floor(log2(x)) for x >= 1, and 0 for 0 (the bucket index of log2 histograms)."""
    return max(int(x), 1).bit_length() - 1


def _kernel_helper(name: str, doc: str):
    def helper(*args: Any, **kwargs: Any) -> Any:
        _kernel_only(name)

    helper.__name__ = helper.__qualname__ = name
    helper.__doc__ = doc
    return helper


current_task = _kernel_helper("current_task", "The current task_struct, with CO-RE field access.")
probe_read_kernel = _kernel_helper("probe_read_kernel", "Copy kernel memory into a local or field.")
probe_read_user = _kernel_helper("probe_read_user", "Copy user memory into a local or field.")
probe_read_kernel_str = _kernel_helper("probe_read_kernel_str", "Copy a kernel string; its length incl. NUL.")
probe_read_user_str = _kernel_helper("probe_read_user_str", "Copy a user string; its length incl. NUL.")
redirect = _kernel_helper("redirect", "Redirect the packet to an interface index (XDP/tc).")
xdp_adjust_head = _kernel_helper("xdp_adjust_head", "Grow or shrink the packet at its front.")
xdp_adjust_tail = _kernel_helper("xdp_adjust_tail", "Grow or shrink the packet at its end.")
skb_load_bytes = _kernel_helper("skb_load_bytes", "Copy packet bytes at an offset into a buffer.")
skb_store_bytes = _kernel_helper("skb_store_bytes", "Write a buffer into the packet at an offset.")
l3_csum_replace = _kernel_helper("l3_csum_replace", "Update an L3 checksum for a changed value.")
l4_csum_replace = _kernel_helper("l4_csum_replace", "Update an L4 checksum for a changed value.")
cgroup_id = _kernel_helper("cgroup_id", "The current task's cgroup v2 id.")
ktime_boot = _kernel_helper("ktime_boot", "Nanoseconds since boot, time suspended included.")
arg0 = _kernel_helper("arg0", "A probe's first argument.")
arg1 = _kernel_helper("arg1", "A probe's second argument.")
arg2 = _kernel_helper("arg2", "A probe's third argument.")
arg3 = _kernel_helper("arg3", "A probe's fourth argument.")
arg4 = _kernel_helper("arg4", "A probe's fifth argument.")
arg5 = _kernel_helper("arg5", "A probe's sixth argument.")
arg6 = _kernel_helper("arg6", "A USDT probe's seventh argument.")
arg7 = _kernel_helper("arg7", "A USDT probe's eighth argument.")
arg8 = _kernel_helper("arg8", "A USDT probe's ninth argument.")
arg9 = _kernel_helper("arg9", "A USDT probe's tenth argument.")
arg10 = _kernel_helper("arg10", "A USDT probe's eleventh argument.")
arg11 = _kernel_helper("arg11", "A USDT probe's twelfth argument.")
usdt_arg_count = _kernel_helper("usdt_arg_count", "How many arguments this USDT probe site passes.")
retval = _kernel_helper("retval", "A return probe's return value.")


# The original Python-BPF's names, so that its programs also import when run with `python`.
smp_processor_id = cpu
get_current_cgroup_id = cgroup_id


def probe_read(dst, size, src) -> int:
    """The original's bpf_probe_read(dst, size, src): probe_read_kernel(dst, src) in programs,
    with `size` the destination's size."""
    _kernel_only("probe_read")


__all__ = [name for name in list(globals()) if not name.startswith("_")
           and name not in ("annotations", "TYPE_CHECKING", "Any", "NoReturn")]
