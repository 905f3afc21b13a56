"""Reads maps of other processes by id, the way bpftool does: for tests that watch a script."""
from __future__ import annotations

import ctypes
import os
from typing import Iterator, Optional, Tuple

from pythonbpf.loader import lib
from pythonbpf.loader.info import BpfMapInfoStruct, obj_get_info


def map_ids() -> Iterator[int]:
    api = lib()
    current, nxt = ctypes.c_uint32(0), ctypes.c_uint32(0)
    while api.bpf_map_get_next_id(current, ctypes.byref(nxt)) == 0:
        yield nxt.value
        current = ctypes.c_uint32(nxt.value)


def open_map(map_id: int) -> Tuple[int, BpfMapInfoStruct]:
    fd = lib().bpf_map_get_fd_by_id(map_id)
    if fd < 0:
        raise OSError(-fd, f"cannot open map id {map_id}")
    info = BpfMapInfoStruct()
    obj_get_info(fd, info, f"map id {map_id}")
    return fd, info


def newest_map(name: str, after_id: int = 0) -> Optional[int]:
    """The id of the most recently created map called `name` with an id above `after_id`."""
    found = None
    for map_id in map_ids():
        if map_id <= after_id:
            continue
        fd, info = open_map(map_id)
        os.close(fd)
        if info.name.decode() == name:
            found = map_id
    return found


def lookup_u64(map_id: int, key: int, key_size: int = 4) -> Optional[int]:
    fd, info = open_map(map_id)
    try:
        k = ctypes.create_string_buffer(key.to_bytes(key_size, "little", signed=True), key_size)
        v = ctypes.create_string_buffer(info.value_size)
        api = lib()
        rc = api.bpf_map_lookup_elem(fd, k, v)
        return int.from_bytes(v.raw[:8], "little") if rc == 0 else None
    finally:
        os.close(fd)
