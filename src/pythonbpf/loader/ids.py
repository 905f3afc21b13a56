"""The kernel's id spaces: every BPF program, map and link loaded now, whoever loaded them.

`bpftool prog|map list` walks BPF_*_GET_NEXT_ID and opens each object by id for a moment
(BPF_*_GET_FD_BY_ID) to ask for its info. The walk is here, with the other bpf() calls; the
command line names and formats what it finds (cli/kernel_objects.py).
"""
from __future__ import annotations

import ctypes
import errno
import os

from . import libbpf
from .errors import BPFError, PermissionDeniedError, errno_name
from .info import BpfMapInfoStruct, BpfProgInfoStruct, obj_get_info

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Iterator

__all__ = ["object_fds", "program_infos", "map_infos"]

KINDS = ("prog", "map", "link")


def object_fds(kind: str) -> "Iterator[int]":
    """A file descriptor of every object of `kind` ("prog", "map" or "link"), in id order;
    each is closed when the caller asks for the next. PermissionDeniedError without the
    privilege to list (CAP_SYS_ADMIN)."""
    if kind not in KINDS:
        raise ValueError(f"unknown BPF object kind {kind!r}: one of {', '.join(KINDS)}")
    api = libbpf.lib()
    next_id = getattr(api, f"bpf_{kind}_get_next_id")
    fd_by_id = getattr(api, f"bpf_{kind}_get_fd_by_id")
    current = ctypes.c_uint32(0)
    while True:
        if next_id(current.value, ctypes.byref(current)) != 0:
            err = ctypes.get_errno()
            if err == errno.ENOENT:
                return  # the end of the list
            what = f"bpf_{kind}_get_next_id"
            if err in (errno.EPERM, errno.EACCES):
                raise PermissionDeniedError(f"listing BPF objects ({what})", err)
            raise BPFError(f"{what} failed: {errno_name(err)}", err)
        fd = fd_by_id(current.value)
        if fd < 0:
            continue  # freed between the two calls
        try:
            yield fd
        finally:
            os.close(fd)


def program_infos() -> "Iterator[BpfProgInfoStruct]":
    """The kernel's info (BPF_OBJ_GET_INFO_BY_FD) of every loaded program."""
    for fd in object_fds("prog"):
        info = BpfProgInfoStruct()
        obj_get_info(fd, info, "program")
        yield info


def map_infos() -> "Iterator[BpfMapInfoStruct]":
    """The kernel's info of every map."""
    for fd in object_fds("map"):
        info = BpfMapInfoStruct()
        obj_get_info(fd, info, "map")
        yield info
