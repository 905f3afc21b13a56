"""The BPF programs and maps loaded in the kernel right now, whoever loaded them.

Walks the kernel's id spaces (BPF_PROG_GET_NEXT_ID / BPF_MAP_GET_NEXT_ID), opens each object
by id for a moment and asks for its info, as `bpftool prog|map list` does. Type names come
from this kernel's own `enum bpf_prog_type` / `enum bpf_map_type` (BTF), so new kinds are
named without a table here.
"""
from __future__ import annotations

import ctypes
import errno
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Dict, Iterator, List

__all__ = ["KernelProgram", "KernelMap", "loaded_programs", "loaded_maps", "type_names"]


@dataclass(frozen=True)
class KernelProgram:
    id: int
    type: str
    name: str
    tag: str
    insns: int  # after the verifier's rewriting
    jited_bytes: int
    verified_insns: int
    map_ids: int  # how many maps it uses


@dataclass(frozen=True)
class KernelMap:
    id: int
    type: str
    name: str
    key_size: int
    value_size: int
    max_entries: int
    flags: int


@lru_cache(maxsize=2)
def type_names(enum: str, prefix: str) -> Dict[int, str]:
    """Value -> lower-case name of an enum of the kernel's BTF, without `prefix`."""
    try:
        from ..btf import kernel_btf

        values = kernel_btf().type_by_name(enum, "enum").values
    except Exception:  # no kernel BTF: numbers it is
        return {}
    return {v.value: v.name[len(prefix):].lower() for v in values if v.name.startswith(prefix)}


def _function(name: str, restype: object, *argtypes: object) -> Callable[..., int]:
    """A private prototype of a libbpf function (the shared handle's declarations are left alone)."""
    from ..loader import lib

    return ctypes.CFUNCTYPE(restype, *argtypes, use_errno=True)((name, lib()))


def _walk(next_id_name: str, fd_by_id_name: str) -> Iterator[int]:
    """File descriptors of every object in one id space (each closed after the caller's use)."""
    next_id = _function(next_id_name, ctypes.c_int, ctypes.c_uint32, ctypes.POINTER(ctypes.c_uint32))
    fd_by_id = _function(fd_by_id_name, ctypes.c_int, ctypes.c_uint32)
    current = ctypes.c_uint32(0)
    while True:
        if next_id(current.value, ctypes.byref(current)) != 0:
            err = ctypes.get_errno()
            if err == errno.ENOENT:
                return  # the end of the list
            from ..loader import PermissionDeniedError
            from ..loader.errors import BPFError, errno_name

            if err in (errno.EPERM, errno.EACCES):
                raise PermissionDeniedError(f"listing BPF objects ({next_id_name})", err)
            raise BPFError(f"{next_id_name} failed: {errno_name(err)}", err)
        fd = fd_by_id(current.value)
        if fd < 0:
            continue  # freed between the two calls
        try:
            yield fd
        finally:
            os.close(fd)


def loaded_programs() -> List[KernelProgram]:
    from ..loader.info import BpfProgInfoStruct, obj_get_info

    names = type_names("bpf_prog_type", "BPF_PROG_TYPE_")
    found = []
    for fd in _walk("bpf_prog_get_next_id", "bpf_prog_get_fd_by_id"):
        info = BpfProgInfoStruct()
        obj_get_info(fd, info, "program")
        found.append(KernelProgram(
            id=info.id, type=names.get(info.type, str(info.type)),
            name=info.name.decode("utf-8", "replace"), tag=bytes(info.tag).hex(),
            insns=info.xlated_prog_len // 8, jited_bytes=info.jited_prog_len,
            verified_insns=info.verified_insns, map_ids=info.nr_map_ids))
    return found


def loaded_maps() -> List[KernelMap]:
    from ..loader.info import BpfMapInfoStruct, obj_get_info

    names = type_names("bpf_map_type", "BPF_MAP_TYPE_")
    found = []
    for fd in _walk("bpf_map_get_next_id", "bpf_map_get_fd_by_id"):
        info = BpfMapInfoStruct()
        obj_get_info(fd, info, "map")
        found.append(KernelMap(
            id=info.id, type=names.get(info.type, str(info.type)),
            name=info.name.decode("utf-8", "replace"), key_size=info.key_size,
            value_size=info.value_size, max_entries=info.max_entries, flags=info.map_flags))
    return found
