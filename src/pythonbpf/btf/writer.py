"""Raw BTF from model types: the inverse of decode.py, for small BTF files built from big ones.

`pythonbpf compile --btf FILE` reads another kernel's vmlinux BTF; tests do the same without
root or a 5 MB file through a few kilobytes holding only the types they read
(tools/btf_subset.py, `subset_btf`). A subset keeps the kernel's layouts exactly: a struct
keeps its size and its chosen members their offsets, so what the compiler computes against
the subset is what it computes against the whole. Pointers to structs outside the subset
become pointers to forward declarations of the same name.
"""
from __future__ import annotations

import struct
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from .errors import KernelTypeError
from .format import INT_BOOL, INT_CHAR, INT_SIGNED, MAGIC, Kind
from .model import (Array, Composite, Const, Enum, Float, Fwd, Int, Modifier, Ptr, Restrict,
                    Type, TypeTag, Typedef, Union, Volatile)
from .symbols import Func, FuncProto

__all__ = ["BTFWriter", "subset_btf"]

_LINKAGE = {"static": 0, "global": 1, "extern": 2}
_MODIFIER_KINDS = {Typedef: Kind.TYPEDEF, Const: Kind.CONST, Volatile: Kind.VOLATILE,
                   Restrict: Kind.RESTRICT, TypeTag: Kind.TYPE_TAG}


class BTFWriter:
    """Records appended one by one (ids from 1), then `to_bytes()` in this machine's order."""

    def __init__(self) -> None:
        self._records: List[Optional[List[int]]] = []
        self._strings = bytearray(b"\0")
        self._string_at: Dict[str, int] = {"": 0}

    def string(self, text: str) -> int:
        found = self._string_at.get(text)
        if found is None:
            found = self._string_at[text] = len(self._strings)
            self._strings += text.encode() + b"\0"
        return found

    def record(self, kind: int, name: str = "", vlen: int = 0, kflag: bool = False,
               size_or_type: int = 0, tail: Sequence[int] = ()) -> int:
        """Append one record; its type id."""
        self._records.append(None)
        type_id = len(self._records)
        self.fill(type_id, kind, name, vlen, kflag, size_or_type, tail)
        return type_id

    def reserve(self) -> int:
        """An id for a record written later with `fill` (types that refer to themselves)."""
        self._records.append(None)
        return len(self._records)

    def fill(self, type_id: int, kind: int, name: str = "", vlen: int = 0, kflag: bool = False,
             size_or_type: int = 0, tail: Sequence[int] = ()) -> None:
        info = kind << 24 | vlen | int(kflag) << 31
        self._records[type_id - 1] = [self.string(name), info, size_or_type,
                                      *(w & 0xFFFFFFFF for w in tail)]

    def to_bytes(self) -> bytes:
        if any(r is None for r in self._records):
            raise ValueError("a reserved BTF record was never filled")
        words = [w for r in self._records for w in r]  # type: ignore[union-attr]
        types = struct.pack(f"={len(words)}I", *words)
        header = struct.pack("=HBBIIIII", MAGIC, 1, 0, 24, 0, len(types), len(types),
                             len(self._strings))
        return header + types + bytes(self._strings)


class _Subset:
    """Copies types from a BTF reader into a writer, pruning what was not asked for."""

    def __init__(self, btf, members: Dict[str, Optional[Tuple[str, ...]]]) -> None:
        self.btf = btf
        self.members = members  # struct name -> members kept (None: all)
        self.out = BTFWriter()
        self.done: Dict[int, int] = {0: 0}
        self.fwds: Dict[Tuple[str, bool], int] = {}

    def copy(self, t: Type, through_pointer: bool = False) -> int:
        if t.id in self.done:
            return self.done[t.id]
        if isinstance(t, Composite) and t.name and through_pointer and t.name not in self.members:
            return self.fwd(t.name, isinstance(t, Union))
        if isinstance(t, Composite) and not t.name and through_pointer:
            return 0  # a pointer to an anonymous struct outside the subset: void *
        new = self.out.reserve()
        self.done[t.id] = new
        self.out.fill(new, *self.encode(t))
        return new

    def fwd(self, name: str, union: bool) -> int:
        key = (name, union)
        if key not in self.fwds:
            self.fwds[key] = self.out.record(Kind.FWD, name, kflag=union)
        return self.fwds[key]

    def encode(self, t: Type):
        """(kind, name, vlen, kflag, size_or_type, tail) of `t`'s record in the subset."""
        if isinstance(t, Int):
            enc = (INT_SIGNED if t.signed else 0) | (INT_CHAR if t.is_char else 0) | \
                (INT_BOOL if t.is_bool else 0)
            return Kind.INT, t.name, 0, False, t.size, [enc << 24 | t.bit_offset << 16 | t.bits]
        if isinstance(t, Float):
            return Kind.FLOAT, t.name, 0, False, t.size, []
        if isinstance(t, Ptr):
            return Kind.PTR, "", 0, False, self.copy(t.target, through_pointer=True), []
        if isinstance(t, Array):
            return Kind.ARRAY, "", 0, False, 0, [self.copy(t.elem), self.copy(self.btf.type_by_id(t.index_id)),
                                                  t.count]
        if isinstance(t, Composite):
            kept = self.members.get(t.name) if t.name else None
            chosen = [m for m in t.members if kept is None or m.name in kept]
            if kept is not None:
                missing = set(kept) - {m.name for m in chosen}
                if missing:
                    raise KernelTypeError(f"{t.c_name} has no member {sorted(missing)[0]!r}")
            kflag = any(m.bitfield_size for m in chosen)
            tail: List[int] = []
            for m in chosen:
                offset = m.bitfield_size << 24 | m.bit_offset if kflag else m.bit_offset
                tail += [self.out.string(m.name), self.copy(m.type), offset]
            kind = Kind.UNION if isinstance(t, Union) else Kind.STRUCT
            return kind, t.name, len(chosen), kflag, t.size, tail
        if isinstance(t, Enum):
            tail = []
            wide = t.size == 8
            for v in t.values:
                value = v.value & (0xFFFFFFFFFFFFFFFF if wide else 0xFFFFFFFF)
                tail += [self.out.string(v.name), value & 0xFFFFFFFF] + \
                    ([value >> 32] if wide else [])
            return (Kind.ENUM64 if wide else Kind.ENUM), t.name, len(t.values), t.signed, t.size, tail
        if isinstance(t, Fwd):
            return Kind.FWD, t.name, 0, t.union, 0, []
        if isinstance(t, Modifier):
            return _MODIFIER_KINDS[type(t)], t.name, 0, False, self.copy(t.target), []
        if isinstance(t, FuncProto):
            tail = []
            for p in t.params:
                tail += [self.out.string(p.name), self.copy(p.type) if p.type_id else 0]
            return Kind.FUNC_PROTO, "", len(t.params), False, self.copy(t.return_type), tail
        if isinstance(t, Func):
            return Kind.FUNC, t.name, _LINKAGE.get(t.linkage, 0), False, self.copy(t.proto), []
        raise KernelTypeError(f"cannot copy a {t.kind} ({t.c_name}) into a BTF subset")


def subset_btf(btf, structs: Dict[str, Optional[Iterable[str]]] = None,
               names: Iterable[str] = (), enumerators: Iterable[str] = ()) -> bytes:
    """Raw BTF holding only what is asked for, from `btf` (a BTFReader or anything with
    `type_by_name`, `ids_by_name`, `type_by_id` and `names`).

    `structs` maps a struct or union name to the members kept (None: every member); `names`
    are other named types or functions kept whole (typedefs, enums, `func` records with their
    prototypes, such as fentry targets and `btf_trace_*`); `enumerators` keep the enum that
    defines each (`TASK_COMM_LEN`).
    """
    structs = {k: (tuple(v) if v is not None else None) for k, v in (structs or {}).items()}
    job = _Subset(btf, structs)
    for name in structs:
        t = btf.type_by_name(name)
        if not isinstance(t, Composite):
            raise KernelTypeError(f"{name} is a {t.kind}, not a struct or union")
        job.copy(t)
    for name in names:
        for type_id in btf.ids_by_name(name):
            job.copy(btf.type_by_id(type_id))
        if not btf.ids_by_name(name):
            raise KernelTypeError(f"no type or function {name!r} in {getattr(btf, 'path', 'BTF')}")
    wanted = set(enumerators)
    if wanted:
        for type_id in _enum_ids(btf):
            t = btf.type_by_id(type_id)
            if wanted & {v.name for v in t.values}:
                job.copy(t)
                wanted -= {v.name for v in t.values}
            if not wanted:
                break
        if wanted:
            raise KernelTypeError(f"no enumerator {sorted(wanted)[0]!r}")
    return job.out.to_bytes()


def _enum_ids(btf):
    """Every enum's id, anonymous ones included (`names` skips those)."""
    for type_id in range(1, btf.type_count + 1):
        if btf.kind_of(type_id) in (Kind.ENUM, Kind.ENUM64):
            yield type_id
