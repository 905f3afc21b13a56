"""BPF maps: geometry, kernel info and raw byte access.

Keys and values are plain bytes here; typed views live in the user-space API.
Operations go through the map fd with libbpf's low-level bpf_map_* wrappers,
which in libbpf 1.x return a negative errno directly. `MapOps` holds the
operations and needs only an fd and the geometry; `Map` is a map of a libbpf
object (geometry from libbpf), `PinnedMap` (pinned.py) one opened from bpffs.
"""

from __future__ import annotations

import ctypes
import errno
import os

from . import libbpf
from ..kinds.constants import BPF_ANY, BPF_EXIST, BPF_NOEXIST
from .caps import has_bpf_privileges
from .errors import BPFError, PermissionDeniedError, errno_name, errno_text
from .mounts import BPFFS, bpffs_for

# Kernel info (MapInfo, a dataclass, lives in info.py) loads on first use.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator

    from .info import MapInfo

__all__ = ["Map", "MapOps", "MapInfo", "BPF_ANY", "BPF_NOEXIST",
           "BPF_EXIST", "possible_cpus"]


_INTERNAL_MARKERS = (".rodata", ".data", ".bss", ".kconfig")


def possible_cpus() -> int:
    """CPUs the kernel may ever bring up: per-CPU maps hold one value slot for each."""
    ncpus = libbpf.lib().libbpf_num_possible_cpus()
    if ncpus < 0:
        raise BPFError("cannot determine the number of possible CPUs", -ncpus)
    return ncpus


class MapOps:
    """Raw byte operations on a created map; subclasses supply `fd` and the geometry.

    `batch_ops` is None until the first batch call tells whether the kernel supports
    batch operations on this map (then True or False, so the probe happens once).
    """

    name: str = ""
    batch_ops: bool | None = None

    # ---- geometry (subclasses) ---------------------------------------------------------
    @property
    def fd(self) -> int:
        raise NotImplementedError

    @property
    def type(self) -> int:
        raise NotImplementedError

    @property
    def key_size(self) -> int:
        raise NotImplementedError

    @property
    def value_size(self) -> int:
        raise NotImplementedError

    @property
    def max_entries(self) -> int:
        raise NotImplementedError

    @property
    def percpu(self) -> bool:
        try:
            return self._percpu
        except AttributeError:  # the map rows are read when a map is first used, not at import
            from ..kinds.maps import PERCPU_MAP_TYPES

            self._percpu: bool = self.type in PERCPU_MAP_TYPES
            return self._percpu

    def value_buffer_size(self) -> int:
        """Bytes user space exchanges per value.

        Per-CPU maps transfer one 8-byte-aligned slot per possible CPU.
        """
        size = self.value_size
        if self.percpu:
            return ((size + 7) // 8 * 8) * possible_cpus()
        return size

    # ---- errors --------------------------------------------------------------------------
    def _check(self, what: str, data: bytes, expected: int) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"map '{self.name}': {what} must be bytes, not {type(data).__name__}")
        if len(data) != expected:
            raise ValueError(
                f"map '{self.name}': {what} is {len(data)} bytes, expected {expected}")

    def _error(self, operation: str, err: int) -> BPFError:
        if err in (errno.EPERM, errno.EACCES) and not has_bpf_privileges():
            return PermissionDeniedError(f"{operation} on map '{self.name}'", err)
        return BPFError(
            f"{operation} on map '{self.name}' failed: {errno_name(err)} "
            f"({errno_text(err)})", err)

    # ---- elements ------------------------------------------------------------------------
    def lookup(self, key: bytes) -> bytes | None:
        """Raw value stored under `key`, or None if there is none."""
        self._check("key", key, self.key_size)
        value = ctypes.create_string_buffer(self.value_buffer_size())
        rc = libbpf.lib().bpf_map_lookup_elem(self.fd, _buf(key), value)
        if rc == -errno.ENOENT:
            return None
        if rc < 0:
            raise self._error("lookup", -rc)
        return value.raw

    def update(self, key: bytes, value: bytes, flags: int = BPF_ANY) -> None:
        """Store `value` under `key` (flags: BPF_ANY, BPF_NOEXIST, BPF_EXIST)."""
        self._check("key", key, self.key_size)
        self._check("value", value, self.value_buffer_size())
        rc = libbpf.lib().bpf_map_update_elem(self.fd, _buf(key), _buf(value), flags)
        if rc < 0:
            raise self._update_error(-rc, flags)

    def _update_error(self, err: int, flags: int) -> BPFError:
        if err == errno.E2BIG:
            return BPFError(
                f"update on map '{self.name}' failed: the map is full "
                f"(max_entries={self.max_entries}, E2BIG)", err)
        if err == errno.EEXIST and flags == BPF_NOEXIST:
            return BPFError(f"update on map '{self.name}': key exists (BPF_NOEXIST)", err)
        if err == errno.ENOENT and flags == BPF_EXIST:
            return BPFError(f"update on map '{self.name}': key absent (BPF_EXIST)", err)
        return self._error("update", err)

    def delete(self, key: bytes) -> bool:
        """Remove `key`; False if it was not there."""
        self._check("key", key, self.key_size)
        rc = libbpf.lib().bpf_map_delete_elem(self.fd, _buf(key))
        if rc == -errno.ENOENT:
            return False
        if rc < 0:
            raise self._error("delete", -rc)
        return True

    def keys(self) -> Iterator[bytes]:
        """Iterate raw keys in kernel order (get_next_key starting from NULL).

        If the current key is deleted meanwhile, hash maps restart from the
        first key: iterate over a snapshot (list(...)) when mutating.
        """
        size = self.key_size
        fd = self.fd
        api = libbpf.lib()
        current: ctypes.Array | None = None
        while True:
            nxt = ctypes.create_string_buffer(size)
            rc = api.bpf_map_get_next_key(fd, current, nxt)
            if rc == -errno.ENOENT:
                return
            if rc < 0:
                raise self._error("get_next_key", -rc)
            yield nxt.raw
            current = nxt

    # ---- queue, stack, bloom filter (no key) -------------------------------------------
    def push(self, value: bytes, flags: int = BPF_ANY) -> None:
        """Add to a queue/stack/bloom filter (an update with no key).

        A full queue or stack refuses with E2BIG unless `flags` is BPF_EXIST, which
        makes room by dropping the oldest element.
        """
        self._check("value", value, self.value_size)
        rc = libbpf.lib().bpf_map_update_elem(self.fd, None, _buf(value), flags)
        if rc < 0:
            raise self._update_error(-rc, flags)

    def pop(self, key: bytes | None = None) -> bytes | None:
        """Remove and return the next element of a queue/stack (or `key`'s value of a
        hash map); None when empty or absent."""
        if key is not None:
            self._check("key", key, self.key_size)
        value = ctypes.create_string_buffer(self.value_buffer_size())
        rc = libbpf.lib().bpf_map_lookup_and_delete_elem(
            self.fd, None if key is None else _buf(key), value)
        if rc == -errno.ENOENT:
            return None
        if rc < 0:
            raise self._error("lookup_and_delete", -rc)
        return value.raw

    def peek(self) -> bytes | None:
        """The element a queue/stack would pop next, left in place; None when empty."""
        value = ctypes.create_string_buffer(self.value_size)
        rc = libbpf.lib().bpf_map_lookup_elem(self.fd, None, value)
        if rc == -errno.ENOENT:
            return None
        if rc < 0:
            raise self._error("peek", -rc)
        return value.raw

    def contains_value(self, value: bytes) -> bool:
        """Bloom filter membership: False means certainly absent, True probably present."""
        self._check("value", value, self.value_size)
        rc = libbpf.lib().bpf_map_lookup_elem(self.fd, None, _buf(value))
        if rc == -errno.ENOENT:
            return False
        if rc < 0:
            raise self._error("lookup", -rc)
        return True

    # ---- kernel facts ----------------------------------------------------------------
    def info(self) -> MapInfo:
        """Kernel-side facts about the map (BPF_OBJ_GET_INFO_BY_FD)."""
        return _info_of(self.fd, f"map '{self.name}'")

    def pin_fd(self, path: str | os.PathLike) -> None:
        """Pin the map's fd at `path` in bpffs (BPF_OBJ_PIN)."""
        bpffs_for(path)
        rc = libbpf.lib().bpf_obj_pin(self.fd, os.fsencode(path))
        if rc < 0:
            raise self._error(f"pin at {os.fsdecode(path)}", -rc)


def _info_of(fd: int, what: str) -> MapInfo:
    from .info import BpfMapInfoStruct, MapInfo, obj_get_info

    raw = BpfMapInfoStruct()
    obj_get_info(fd, raw, what)
    return MapInfo(
        type=raw.type,
        id=raw.id,
        key_size=raw.key_size,
        value_size=raw.value_size,
        max_entries=raw.max_entries,
        name=raw.name.decode("utf-8", "replace"),
        btf_id=raw.btf_id,
        btf_key_type_id=raw.btf_key_type_id,
        btf_value_type_id=raw.btf_value_type_id,
        map_flags=raw.map_flags,
    )


class Map(MapOps):
    """One `struct bpf_map *` of a BpfObject; valid while the object is open."""

    def __init__(self, ptr: int) -> None:
        api = libbpf.lib()
        self._ptr: int | None = ptr
        self.name: str = (api.bpf_map__name(ptr) or b"").decode()
        self._libbpf_internal = bool(api.bpf_map__is_internal(ptr))

    def _live(self) -> int:
        if self._ptr is None:
            raise BPFError(f"map '{self.name}': its object has been closed")
        return self._ptr

    @property
    def internal(self) -> bool:
        """True for libbpf's global-data maps (.rodata, .data, .bss, .kconfig...)."""
        return (self._libbpf_internal or self.name.startswith(".")
                or any(marker in self.name for marker in _INTERNAL_MARKERS))

    @property
    def fd(self) -> int:
        """File descriptor of the created map (owned by libbpf, do not close)."""
        fd = libbpf.lib().bpf_map__fd(self._live())
        if fd < 0:
            raise BPFError(f"map '{self.name}' has not been created (object not loaded)",
                           errno.EINVAL)
        return fd

    @property
    def type(self) -> int:
        return libbpf.lib().bpf_map__type(self._live())

    @property
    def key_size(self) -> int:
        return libbpf.lib().bpf_map__key_size(self._live())

    @property
    def value_size(self) -> int:
        return libbpf.lib().bpf_map__value_size(self._live())

    @property
    def max_entries(self) -> int:
        return libbpf.lib().bpf_map__max_entries(self._live())

    # ---- pinning -------------------------------------------------------------------
    @property
    def pin_path(self) -> str | None:
        """Where libbpf pinned (or will pin/reuse) this map, if anywhere."""
        raw = libbpf.lib().bpf_map__pin_path(self._live())
        return raw.decode() if raw else None

    @property
    def pinned(self) -> bool:
        return bool(libbpf.lib().bpf_map__is_pinned(self._live()))

    def set_pin_path(self, path: str | os.PathLike | None) -> None:
        """Before load: reuse the map pinned at `path` if there is one, else pin it there."""
        if path is not None:
            bpffs_for(path)
        rc = libbpf.lib().bpf_map__set_pin_path(
            self._live(), None if path is None else os.fsencode(path))
        if rc < 0:
            raise self._error("set_pin_path", -rc)

    def pin(self, path: str | os.PathLike | None = None) -> str:
        """Pin the created map in bpffs (at `path`, or its pin path); returns the path."""
        bpffs_for(path if path is not None else self.pin_path or BPFFS)
        rc = libbpf.lib().bpf_map__pin(self._live(), None if path is None else os.fsencode(path))
        if rc < 0:
            where = os.fsdecode(path) if path is not None else "its pin path"
            raise self._error(f"pin at {where}", -rc)
        return self.pin_path or os.fsdecode(path)

    def unpin(self, path: str | os.PathLike | None = None) -> None:
        """Remove the pin (at `path`, or where it was pinned); the map lives on while used."""
        rc = libbpf.lib().bpf_map__unpin(self._live(), None if path is None else os.fsencode(path))
        if rc < 0:
            raise self._error("unpin", -rc)

    def _invalidate(self) -> None:
        self._ptr = None

    def __repr__(self) -> str:
        return f"<Map {self.name!r}>"


def _buf(data: bytes | bytearray | memoryview) -> ctypes.Array:
    """A C buffer with the bytes (a copy: the kernel may read, never needs to write)."""
    raw = bytes(data)
    return ctypes.create_string_buffer(raw, len(raw))


def __getattr__(name: str) -> object:
    if name == "MapInfo":  # (its old home)
        from .info import MapInfo

        return MapInfo
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
