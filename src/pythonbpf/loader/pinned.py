"""Maps opened from a bpffs path: what a previous run (or another tool) pinned.

A `PinnedMap` owns the fd `BPF_OBJ_GET` returned and closes it; the map itself lives on
for as long as it stays pinned or used. Its key and value types come from the BTF the
kernel keeps for the map, when the creator gave one, so a pinned map decodes without the
program that made it.
"""

from __future__ import annotations

import errno
import os

from . import libbpf
from .errors import BPFError, errno_name, errno_text
from .map import MapInfo, MapOps, _info_of
from .owner import Owner

__all__ = ["PinnedMap", "unpin_path"]

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from .btf import Btf


class PinnedMap(MapOps, Owner):
    """A map opened by path; `close()` (or leaving a `with` block) closes the fd."""

    def __init__(self, fd: int, path: str) -> None:
        self.path = path
        self._info: MapInfo = _info_of(fd, f"pinned map {path}")
        self._own(fd)  # after the checks: on failure open() closes the fd, not this object
        self.name = self._info.name

    @classmethod
    def open(cls, path: str | os.PathLike) -> "PinnedMap":
        """Open the map pinned at `path` (FileNotFoundError if nothing is pinned there)."""
        text = os.fsdecode(path)
        fd = libbpf.lib().bpf_obj_get(os.fsencode(path))
        if fd < 0:
            err = -fd
            if err == errno.ENOENT:
                raise FileNotFoundError(err, f"no BPF object pinned at {text}", text)
            raise BPFError(f"cannot open pinned object {text}: {errno_name(err)} "
                           f"({errno_text(err)})", err)
        try:
            pinned = cls(fd, text)
        except BaseException:
            os.close(fd)
            raise
        return pinned

    @property
    def fd(self) -> int:
        if self._handle is None:
            raise BPFError(f"pinned map {self.path} has been closed", errno.EBADF)
        return self._handle

    @property
    def type(self) -> int:
        return self._info.type

    @property
    def key_size(self) -> int:
        return self._info.key_size

    @property
    def value_size(self) -> int:
        return self._info.value_size

    @property
    def max_entries(self) -> int:
        return self._info.max_entries

    def btf(self) -> Btf | None:
        """The BTF the map was created with (a copy), or None if it has none."""
        if not self._info.btf_id:
            return None
        api = libbpf.lib()
        ptr = api.btf__load_from_kernel_by_id(self._info.btf_id)
        if not ptr:
            return None
        try:
            from .btf import Btf  # the BTF reader loads only when someone asks

            return Btf.from_pointer(ptr, f"<BTF id {self._info.btf_id}>")
        finally:
            api.btf__free(ptr)

    def unpin(self) -> None:
        """Remove the pin; the map lives on while this fd (or a program) holds it."""
        unpin_path(self.path)

    def _free(self, fd: int) -> None:
        os.close(fd)

    def __repr__(self) -> str:
        state = "closed" if self._handle is None else f"fd {self._handle}"
        return f"<PinnedMap {self.name!r} at {self.path} ({state})>"


def unpin_path(path: str | os.PathLike) -> None:
    """Remove a pin from bpffs (a pin is a file: unlinking it drops the reference)."""
    os.unlink(path)
