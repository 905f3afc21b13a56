"""A lazy, indexed reader of raw BTF (the kernel's /sys/kernel/btf/vmlinux).

Opening maps the file and loads (or builds once) the record-offset index;
nothing is decoded. `type_by_id` decodes one record and memoizes it;
`type_by_name` finds the name in the string section and the ids carrying that
name offset through a sorted index, so a lookup costs about a millisecond and
decodes only the types it returns. `decoded_count` exposes how many records
were decoded, so tests can prove the laziness.
"""

from __future__ import annotations

import array
import mmap
import sys

from .kernel import VMLINUX
from .decode import decode_record
from .errors import KernelTypeError, close_matches
from .format import KIND_NAMES, Header, Kind, info_kind, parse_header
from .index import (IndexCache, NameIndex, build_name_index, content_key, default_cache_dir,
                    scan_offsets)
from .model import Type, TypeSource, Void, sizeof

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Any, Dict, FrozenSet, Iterable, Iterator, Optional, Tuple, Union as _U


# Which kinds a name may denote, for the `kind=` argument of type_by_name.
KIND_FILTERS: Dict[str, FrozenSet[int]] = {
    "struct": frozenset({Kind.STRUCT}),
    "union": frozenset({Kind.UNION}),
    "enum": frozenset({Kind.ENUM, Kind.ENUM64}),
    "enum64": frozenset({Kind.ENUM, Kind.ENUM64}),
    "typedef": frozenset({Kind.TYPEDEF}),
    "int": frozenset({Kind.INT}),
    "float": frozenset({Kind.FLOAT}),
    "fwd": frozenset({Kind.FWD}),
    "func": frozenset({Kind.FUNC}),
    "var": frozenset({Kind.VAR}),
    "datasec": frozenset({Kind.DATASEC}),
    "decl_tag": frozenset({Kind.DECL_TAG}),
    "type_tag": frozenset({Kind.TYPE_TAG}),
}
# With no kind given, a name means a type a program can name, best first:
# `task_struct` is the struct even where a function shares the name.
_DEFAULT_PREFERENCE = (Kind.STRUCT, Kind.UNION, Kind.TYPEDEF, Kind.ENUM, Kind.ENUM64, Kind.INT,
                       Kind.FLOAT, Kind.FWD, Kind.FUNC, Kind.VAR, Kind.DATASEC)
# The kinds whose names are offered as suggestions for an unknown type name.
TYPE_NAME_KINDS = frozenset({Kind.STRUCT, Kind.UNION, Kind.TYPEDEF, Kind.ENUM, Kind.ENUM64,
                             Kind.INT, Kind.FLOAT})

_USE_DEFAULT = object()


def _map_file(path: str):
    """The file's bytes: a private read-only mapping when the file allows it, else a copy."""
    with open(path, "rb") as f:
        try:
            return mmap.mmap(f.fileno(), 0, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ)
        except (OSError, ValueError):
            return f.read()


class BTFReader(TypeSource):
    """Read-only view of one raw BTF blob (vmlinux; split BTF is not supported)."""

    def __init__(self, data, *, path: str = "<memory>",
                 cache: Optional[IndexCache] = None) -> None:
        if isinstance(data, (memoryview, bytearray)):
            data = bytes(data)
        try:
            self.header: Header = parse_header(data)
        except ValueError as e:
            raise KernelTypeError(f"{path}: {e}") from None
        self.path = path
        self._data = data
        start = self.header.types_start
        types = memoryview(data)[start:start + self.header.type_len]
        if self.header.byte_order == ("<" if sys.byteorder == "little" else ">"):
            self._words = types.cast("I")
        else:
            self._words = array.array("I", bytes(types))
            self._words.byteswap()
        self._str_start = self.header.strings_start
        self._str_end = self._str_start + self.header.str_len
        self._cache = cache
        self._key = content_key(data, self.header.hdr_len) if cache else ""
        self._offsets = self._cached("offsets", lambda: scan_offsets(self._words))
        self._names: Optional[NameIndex] = None
        self._by_name: Dict[str, Tuple[int, ...]] = {}
        self._decoded: Dict[int, Type] = {0: Void(btf=self)}

    @classmethod
    def open(cls, path: str = VMLINUX, cache_dir: Any = _USE_DEFAULT) -> BTFReader:
        """Open a raw BTF file. `cache_dir=None` disables the on-disk index cache."""
        try:
            data = _map_file(path)
        except OSError as e:
            raise KernelTypeError(f"cannot read kernel BTF at {path}: {e.strerror}") from None
        if cache_dir is _USE_DEFAULT:
            cache_dir = default_cache_dir()
        cache = IndexCache(cache_dir) if cache_dir else None
        return cls(data, path=path, cache=cache)

    def _cached(self, part: str, build):
        if self._cache is not None:
            words = self._cache.load(self._key, part)
            if words is not None:
                return words
        words = build()
        if self._cache is not None:
            self._cache.store(self._key, part, words)
        return words

    # -- counts and raw facts (no decoding) ---------------------------------------

    @property
    def type_count(self) -> int:
        """Number of types, not counting `void`; ids run from 1 to type_count."""
        return len(self._offsets) - 1

    @property
    def decoded_count(self) -> int:
        """How many records have been decoded so far (instrumentation for laziness)."""
        return len(self._decoded) - 1

    def _check_id(self, type_id: int) -> None:
        if not 0 <= type_id < len(self._offsets):
            raise KernelTypeError(f"BTF type id {type_id} out of range 0..{self.type_count}")

    def kind_of(self, type_id: int) -> int:
        """The record's BTF kind (a `Kind` constant), without decoding it."""
        self._check_id(type_id)
        if type_id == 0:
            return Kind.VOID
        return info_kind(self._words[self._offsets[type_id] + 1])

    def name_of(self, type_id: int) -> str:
        self._check_id(type_id)
        return self.string(self._words[self._offsets[type_id]]) if type_id else "void"

    def string(self, offset: int) -> str:
        """The NUL-terminated string at `offset` of the string section."""
        start = self._str_start + offset
        if offset == 0:
            return ""
        if not self._str_start <= start < self._str_end:
            raise KernelTypeError(f"BTF string offset {offset} out of range")
        end = self._data.find(b"\0", start, self._str_end)
        if end < 0:
            end = self._str_end
        return bytes(self._data[start:end]).decode("utf-8", "replace")

    # -- decoding ------------------------------------------------------------------

    def type_by_id(self, type_id: int) -> Type:
        """The decoded type with this id (memoized; decodes only this record)."""
        t = self._decoded.get(type_id)
        if t is None:
            self._check_id(type_id)
            t = decode_record(self._words, self._offsets[type_id], type_id, self.string, self)
            self._decoded[type_id] = t
        return t

    # -- names ---------------------------------------------------------------------

    def _name_index(self) -> NameIndex:
        if self._names is None:
            packed = self._cached("names", lambda: build_name_index(self._words, self._offsets))
            self._names = NameIndex(packed)
        return self._names

    def ids_by_name(self, name: str) -> Tuple[int, ...]:
        """All ids whose record is named `name`, of any kind, in id order."""
        found = self._by_name.get(name)
        if found is not None:
            return found
        index = self._name_index()
        needle = name.encode() + b"\0"
        ids = []
        if name:
            # Every occurrence of "name\0" is a valid string offset holding exactly
            # `name`; that also covers string tables that share tails.
            pos = self._data.find(needle, self._str_start, self._str_end)
            while pos >= 0:
                ids.extend(index.ids_for(pos - self._str_start))
                pos = self._data.find(needle, pos + 1, self._str_end)
        found = tuple(sorted(ids))
        self._by_name[name] = found
        return found

    def type_by_name(self, name: str, kind: Optional[_U[str, int]] = None) -> Type:
        """The type called `name`; `kind` ("struct", "typedef", "func", ...) narrows it.

        Without `kind`, a struct wins over a union, typedef, enum, int, fwd, func
        or var of the same name. Raises KernelTypeError with close matches.
        """
        wanted = self._kind_filter(kind)
        ids = self.ids_by_name(name)
        best = None
        for type_id in ids:
            k = self.kind_of(type_id)
            if wanted is not None:
                if k in wanted:
                    best = type_id
                    break
            elif k in _DEFAULT_PREFERENCE:
                rank = _DEFAULT_PREFERENCE.index(k)
                if best is None or rank < best[0]:
                    best = (rank, type_id)
        if best is None:
            what = f"{kind} {name}" if kind else f"type {name!r}"
            kinds = wanted if wanted is not None else TYPE_NAME_KINDS
            raise KernelTypeError(f"no {what} in kernel BTF ({self.path})",
                                  close_matches(name, (n for _, n in self.names(kinds))))
        return self.type_by_id(best if wanted is not None else best[1])

    @staticmethod
    def _kind_filter(kind) -> Optional[FrozenSet[int]]:
        if kind is None:
            return None
        if isinstance(kind, int):
            return KIND_FILTERS.get(KIND_NAMES.get(kind, ""), frozenset({kind}))
        if kind not in KIND_FILTERS:
            raise ValueError(f"unknown kind {kind!r}; expected one of {sorted(KIND_FILTERS)}")
        return KIND_FILTERS[kind]

    def names(self, kinds: Optional[Iterable[int]] = None) -> Iterator[Tuple[int, str]]:
        """(id, name) of every named type, optionally only of `kinds`. Scans all
        records without decoding them: meant for listings and error messages."""
        wanted = frozenset(kinds) if kinds is not None else None
        words, string = self._words, self.string
        for type_id in range(1, len(self._offsets)):
            at = self._offsets[type_id]
            name_off = words[at]
            if name_off and (wanted is None or (words[at + 1] >> 24 & 0x1F) in wanted):
                yield type_id, string(name_off)

    # -- the whole table: an object's BTF, as user space reads it (loader/btf.py) ----------

    def __getitem__(self, type_id: int) -> Type:
        if not isinstance(type_id, int) or not 0 <= type_id < len(self._offsets):
            raise KeyError(f"no BTF type with id {type_id}")
        return self.type_by_id(type_id)

    def __len__(self) -> int:
        """Number of ids, `void` (0) included."""
        return len(self._offsets)

    def __iter__(self) -> Iterator[Type]:
        """Every type in id order, `void` first (decodes them all)."""
        return (self.type_by_id(i) for i in range(len(self._offsets)))

    def find(self, name: str, kind: Optional[_U[str, int]] = None) -> Optional[Type]:
        """The first type called `name` (of `kind`, if given), or None: a lookup that may
        miss, without type_by_name's suggestions."""
        wanted = self._kind_filter(kind)
        for type_id in self.ids_by_name(name):
            if wanted is None or self.kind_of(type_id) in wanted:
                return self.type_by_id(type_id)
        return None

    def resolve(self, type_or_id: _U[Type, int]) -> Type:
        """The type under typedefs and qualifiers."""
        return (self[type_or_id] if isinstance(type_or_id, int) else type_or_id).strip()

    def size_of(self, type_or_id: _U[Type, int]) -> int:
        """Byte size of a type (a variable's: of its type), 0 for what has none."""
        t = self.resolve(type_or_id)
        if t.kind == "var":
            return self.size_of(t.type_id)  # type: ignore[attr-defined]
        if t.kind == "datasec":
            return t.size  # type: ignore[attr-defined]
        try:
            return sizeof(t)
        except TypeError:
            return 0

    @property
    def datasecs(self) -> Dict[str, Any]:
        """Data sections (".rodata", ".data", ".bss", ...) by name."""
        return {self.name_of(i): self.type_by_id(i) for i in range(1, len(self._offsets))
                if self.kind_of(i) == Kind.DATASEC}

    def datasec(self, name: str) -> Optional[Any]:
        return self.find(name, "datasec")

    def __repr__(self) -> str:
        return f"<BTFReader {self.path}: {self.type_count} types, {self.decoded_count} decoded>"
