"""The bpf() system call itself, for the few commands that do not go through libbpf.

libbpf does nearly all the talking to the kernel. A few things call bpf() directly: the
uprobe_multi and netfilter links (BPF_LINK_CREATE with attributes libbpf 1.1 cannot pass),
the probe of a program type newer than the system libbpf (loader/features.py) and the check
that bpf() works here at all, which must answer before, and without, libbpf (the test
plugin and the simulator's cross-checks skip the kernel when it says no). All live in
loader/, the one layer that may call bpf(); the syscall number is the architecture's.
"""
from __future__ import annotations

import ctypes
import errno
import os

from ..kinds.constants import BPF_MAP_CREATE, BPF_MAP_TYPE_ARRAY

__all__ = ["SYS_BPF", "bpf", "bpf_unusable_reason"]

# __NR_bpf by architecture (os.uname().machine)
SYS_BPF = {"x86_64": 321, "aarch64": 280, "riscv64": 280, "s390x": 351, "ppc64le": 361}

_libc: "ctypes.CDLL | None" = None


def bpf(cmd: int, attr: ctypes.Structure | ctypes.Array) -> int:
    """bpf(cmd, &attr, sizeof attr): the result (a new fd for most commands), or -errno."""
    global _libc
    number = SYS_BPF.get(os.uname().machine)
    if number is None:
        return -errno.ENOSYS
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    rc = _libc.syscall(number, cmd, ctypes.byref(attr), ctypes.sizeof(attr))
    return rc if rc >= 0 else -(ctypes.get_errno() or errno.EINVAL)


def bpf_unusable_reason() -> str:
    """'' when the bpf() syscall works here, else why not (creates and frees a tiny map)."""
    attr = (ctypes.c_uint32 * 30)()
    attr[0], attr[1], attr[2], attr[3] = BPF_MAP_TYPE_ARRAY, 4, 8, 1  # key 4, value 8, 1 entry
    fd = bpf(BPF_MAP_CREATE, attr)
    if fd < 0:
        err = -fd
        return f"bpf(BPF_MAP_CREATE) failed: {errno.errorcode.get(err, err)} ({os.strerror(err)})"
    os.close(fd)
    return ""
