"""Batch reads of a map: many keys and values per bpf() call (BPF_MAP_LOOKUP_BATCH).

Reading a large hash map key by key costs two syscalls per entry (get_next_key, lookup);
one batch call copies thousands of entries into two flat buffers, keys packed at
`key_size` and values at the value buffer size, which callers then decode in bulk.
Kernels or map types without batch ops (queues, ring buffers, LPM tries, kernels < 5.6)
refuse with EINVAL or ENOTSUPP: that raises NotSupportedError, and the map remembers it
(`batch_ops = False`) so the probe costs one failed call per map.
"""

from __future__ import annotations

import ctypes
import errno
from ctypes import c_size_t, c_uint32, c_uint64
from typing import Iterator, NamedTuple

from . import libbpf
from .errors import NotSupportedError
from .map import MapOps

__all__ = ["Batch", "read_batches", "delete_keys", "update_many", "DEFAULT_CHUNK"]

ENOTSUPP = 524  # the kernel-internal "not supported" that bpf() leaks to user space
_UNSUPPORTED = frozenset({errno.EINVAL, errno.EOPNOTSUPP, ENOTSUPP})
DEFAULT_CHUNK = 65536  # entries per call, at most ...
BUFFER_BYTES = 8 << 20  # ... and at most this much key + value buffer


class _BatchOpts(ctypes.Structure):
    """Mirror of libbpf's `struct bpf_map_batch_opts`."""

    _fields_ = [("sz", c_size_t), ("elem_flags", c_uint64), ("flags", c_uint64)]


class Batch(NamedTuple):
    """`count` entries: keys packed every `key_size` bytes, values every `value_size`."""

    keys: bytes
    values: bytes
    count: int
    key_size: int
    value_size: int


def _opts() -> _BatchOpts:
    return _BatchOpts(sz=ctypes.sizeof(_BatchOpts))


def _unsupported(bpf_map: MapOps, err: int, what: str) -> NotSupportedError:
    if what == "lookup_batch":  # the probe that decides for reads
        bpf_map.batch_ops = False
    return NotSupportedError(
        f"{what} on map '{bpf_map.name}': batch operations are not supported for this map "
        f"type or kernel ({errno.errorcode.get(err, err)})", err)


def read_batches(bpf_map: MapOps, delete: bool = False,
                 chunk: int = DEFAULT_CHUNK) -> Iterator[Batch]:
    """Every entry of the map, a chunk at a time; with `delete`, each chunk is removed as read.

    Raises NotSupportedError before yielding anything if the map has no batch ops.
    A concurrent writer may make an entry appear in no chunk or (for hash maps whose
    buckets move) be missed; that is the kernel's snapshot semantics.
    """
    if bpf_map.batch_ops is False:
        raise NotSupportedError(f"map '{bpf_map.name}': no batch operations", ENOTSUPP)
    api = libbpf.lib()
    call = api.bpf_map_lookup_and_delete_batch if delete else api.bpf_map_lookup_batch
    what = "lookup_and_delete_batch" if delete else "lookup_batch"
    fd = bpf_map.fd
    key_size = bpf_map.key_size
    value_size = bpf_map.value_buffer_size()
    chunk = max(1, min(chunk, bpf_map.max_entries or chunk,
                       BUFFER_BYTES // max(1, key_size + value_size)))
    # the batch token is a bucket index (u32) for hash maps, a key for arrays
    token_size = max(key_size, 8)
    tokens = [ctypes.create_string_buffer(token_size), ctypes.create_string_buffer(token_size)]
    opts = _opts()
    keys = ctypes.create_string_buffer(key_size * chunk)
    values = ctypes.create_string_buffer(value_size * chunk)
    first = True
    while True:
        count = c_uint32(chunk)
        rc = call(fd, None if first else tokens[0], tokens[1], keys, values,
                  ctypes.byref(count), ctypes.byref(opts))
        err = -rc if rc < 0 else 0
        if err and err != errno.ENOENT:
            if err == errno.ENOSPC and count.value == 0:
                chunk *= 2  # one hash bucket holds more entries than fit: grow and retry
                keys = ctypes.create_string_buffer(key_size * chunk)
                values = ctypes.create_string_buffer(value_size * chunk)
                continue
            if first and err in _UNSUPPORTED:
                raise _unsupported(bpf_map, err, what)
            raise bpf_map._error(what, err)
        if not delete:
            bpf_map.batch_ops = True
        n = count.value
        if n:
            yield Batch(ctypes.string_at(keys, n * key_size),
                        ctypes.string_at(values, n * value_size), n, key_size, value_size)
        if err == errno.ENOENT:
            return
        first = False
        tokens.reverse()


def delete_keys(bpf_map: MapOps, keys: bytes) -> int:
    """Delete the packed `keys` in one call (BPF_MAP_DELETE_BATCH); returns how many."""
    n = len(keys) // bpf_map.key_size if bpf_map.key_size else 0
    if not n:
        return 0
    count = c_uint32(n)
    opts = _opts()
    rc = libbpf.lib().bpf_map_delete_batch(
        bpf_map.fd, ctypes.create_string_buffer(bytes(keys), len(keys)), ctypes.byref(count),
        ctypes.byref(opts))
    if rc < 0:
        if -rc in _UNSUPPORTED:
            raise _unsupported(bpf_map, -rc, "delete_batch")
        if -rc != errno.ENOENT:
            raise bpf_map._error("delete_batch", -rc)
    return count.value


def update_many(bpf_map: MapOps, keys: bytes, values: bytes, flags: int = 0) -> int:
    """Store packed `keys`/`values` in one call (BPF_MAP_UPDATE_BATCH); returns how many."""
    n = len(keys) // bpf_map.key_size if bpf_map.key_size else 0
    if not n:
        return 0
    if len(values) != n * bpf_map.value_buffer_size():
        raise ValueError(f"map '{bpf_map.name}': {len(values)} value bytes for {n} keys")
    count = c_uint32(n)
    opts = _BatchOpts(sz=ctypes.sizeof(_BatchOpts), elem_flags=flags)
    rc = libbpf.lib().bpf_map_update_batch(
        bpf_map.fd, ctypes.create_string_buffer(bytes(keys), len(keys)),
        ctypes.create_string_buffer(bytes(values), len(values)), ctypes.byref(count),
        ctypes.byref(opts))
    if rc < 0:
        if -rc in _UNSUPPORTED:
            raise _unsupported(bpf_map, -rc, "update_batch")
        raise bpf_map._update_error(-rc, flags)
    return count.value
