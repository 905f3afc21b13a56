"""Where each BTF record starts, which ids carry each name, and a disk cache of both.

Type ids are implicit (the n-th record has id n) and records have variable
length, so finding type n means knowing where every earlier record ends. One
pass over the ~127k records of a vmlinux BTF costs ~18 ms in CPython, and the
name index (ids sorted by name offset) another ~20 ms: too much to pay on every
compile. Both are plain arrays of 32-bit words, so they are cached on disk,
keyed by the BTF content, and loaded without copying (~1 ms).
"""

from __future__ import annotations

import array
import os
import sys
from bisect import bisect_left, bisect_right

from ..digest import hasher
from .format import EXTRA_WORDS, ITEM_WORDS

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Optional, Sequence, Tuple

_FORMAT_VERSION = b"PBTFIDX1"
_FILE_HEADER = 16  # magic (8 bytes), word count (u32), reserved (u32)
_SAMPLE_STRIDE = 64 * 1024
_SAMPLE_BYTES = 64


def scan_offsets(words: Sequence[int]) -> "array.array[int]":
    """Word offset of every record in the type section; entry 0 stands for `void`."""
    first = [3 + e for e in EXTRA_WORDS]
    per_item = list(ITEM_WORDS)
    nkinds = len(first)
    offsets = [0]
    append = offsets.append
    i = 0
    n = len(words)
    while i < n:
        append(i)
        info = words[i + 1]
        k = info >> 24 & 0x1F
        if k >= nkinds or k == 0:
            raise ValueError(f"BTF record {len(offsets) - 1} has unknown kind {k}")
        i += first[k] + per_item[k] * (info & 0xFFFF)
    if i != n:
        raise ValueError("BTF type section ends inside a record")
    return array.array("I", offsets)


def build_name_index(words: Sequence[int], offsets: Sequence[int]) -> "array.array[int]":
    """Named type ids sorted by name offset, followed by their name offsets.

    One array of 2*n words: [ids..., name_offs...]; `NameIndex` splits it.
    """
    name_offs = array.array("I", [words[o] for o in offsets])
    name_offs[0] = 0
    ids = sorted(filter(name_offs.__getitem__, range(1, len(offsets))),
                 key=name_offs.__getitem__)
    out = array.array("I", ids)
    out.extend(map(name_offs.__getitem__, ids))
    return out


class NameIndex:
    """Looks up the ids whose name_off equals a string offset, by binary search."""

    def __init__(self, packed: Sequence[int]) -> None:
        half = len(packed) // 2
        self._ids = packed[:half]
        self._name_offs = packed[half:]

    def ids_for(self, name_off: int) -> Tuple[int, ...]:
        lo = bisect_left(self._name_offs, name_off)
        hi = bisect_right(self._name_offs, name_off, lo)
        return tuple(self._ids[lo:hi])

    def __len__(self) -> int:
        return len(self._ids)


def content_key(data, header_len: int) -> str:
    """Identity of a BTF blob: its size, header and a sample every 64 KiB, hashed.

    Hashing all 5.5 MB would cost 2-5 ms per open; samples plus the size tell
    two kernels' BTF apart. mtime is left out on purpose: sysfs reports boot
    time, which would throw the cache away at every boot of the same kernel.
    """
    h = hasher(16)
    h.update(_FORMAT_VERSION + sys.byteorder.encode())
    h.update(len(data).to_bytes(8, "little"))
    h.update(data[:header_len])
    for off in range(0, len(data), _SAMPLE_STRIDE):
        h.update(data[off:off + _SAMPLE_BYTES])
    h.update(data[-4096:])
    return h.hexdigest()


def default_cache_dir() -> str:
    """$PYTHONBPF_CACHE_DIR, else $XDG_CACHE_HOME/pythonbpf, else ~/.cache/pythonbpf."""
    explicit = os.environ.get("PYTHONBPF_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "pythonbpf")


class IndexCache:
    """Word arrays stored as files `btf-<key>.<part>` in one directory.

    Failures to read or write are not errors: the index is rebuilt instead
    (a read-only home directory must not stop a compile).
    """

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def _path(self, key: str, part: str) -> str:
        return os.path.join(self.directory, f"btf-{key}.{part}")

    def load(self, key: str, part: str) -> Optional[memoryview]:
        try:
            with open(self._path(key, part), "rb") as f:
                raw = f.read()
        except OSError:
            return None
        if len(raw) < _FILE_HEADER or raw[:8] != _FORMAT_VERSION:
            return None
        count = int.from_bytes(raw[8:12], sys.byteorder)
        if len(raw) != _FILE_HEADER + 4 * count:
            return None
        return memoryview(raw)[_FILE_HEADER:].cast("I")

    def store(self, key: str, part: str, words: "array.array[int]") -> bool:
        import tempfile

        try:
            os.makedirs(self.directory, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".btf-")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(_FORMAT_VERSION)
                    f.write(len(words).to_bytes(4, sys.byteorder) + bytes(4))
                    f.write(words.tobytes())
                os.replace(tmp, self._path(key, part))
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError:
            return False
        return True
