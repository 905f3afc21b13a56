"""An ObjectSpec as plain data (`marshal`), for the compile cache.

A cached start decodes the spec before it loads anything, so the format costs what the start
costs: `marshal` is built in, and decoding makes a few dozen records. (`pickle` would import
`re` and `collections` first, several times the work of the decode itself.) Records are tagged
tuples naming their class; the classes are the spec's own (spec.types, spec.objects), and
a program kind is stored by name and looked up in the registry (pythonbpf/kinds), so that
decoding never imports the compiler. Anything else is refused when encoding (the entry is then
not cached) and any damage is a ValueError when decoding (the entry is then a miss).
"""
from __future__ import annotations

import marshal

from ..kinds.programs import PROGRAM_KINDS, ProgramKind
from ..record import FIELDS
from . import objects, types

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Any, Dict

__all__ = ["dumps", "loads"]

_CLASSES: "Dict[str, Any]" = {
    cls.__name__: cls
    for cls in (types.IntType, types.LiteralInt, types.BoolType, types.StrType, types.ArrayType,
                types.Field, types.StructType, types.RefType, types.CtxType, types.CursorType,
                types.KernelPtrType, types.VoidType, objects.MapSpec, objects.ProgramSpec,
                objects.GlobalSpec, objects.ObjectSpec)}
_SCALARS = (type(None), bool, int, float, str, bytes)
# tags: record, tuple, list, dict, program kind
_RECORD, _TUPLE, _LIST, _DICT, _KIND = "r", "t", "l", "d", "k"


def _encode(value: "Any") -> "Any":
    cls = value.__class__
    if cls in _SCALARS:
        return value
    if cls is tuple:
        return (_TUPLE,) + tuple(_encode(v) for v in value)
    if cls is list:
        return (_LIST,) + tuple(_encode(v) for v in value)
    if cls is dict:
        return (_DICT,) + tuple(_encode(x) for kv in value.items() for x in kv)
    if cls is ProgramKind:
        return (_KIND, value.name)
    if _CLASSES.get(cls.__name__) is cls:
        return (_RECORD, cls.__name__) + tuple(_encode(getattr(value, f.name))
                                               for f in getattr(cls, FIELDS))
    raise TypeError(f"a spec cannot hold a {cls.__name__}")


_KINDS: "Dict[str, ProgramKind]" = {k.name: k for k in PROGRAM_KINDS}


def _decode(value: "Any") -> "Any":
    if value.__class__ is not tuple:
        return value
    tag = value[0]
    if tag == _RECORD:
        return _CLASSES[value[1]](*[_decode(v) for v in value[2:]])
    if tag == _TUPLE:
        return tuple(_decode(v) for v in value[1:])
    if tag == _LIST:
        return [_decode(v) for v in value[1:]]
    if tag == _DICT:
        items = value[1:]
        return {_decode(items[i]): _decode(items[i + 1]) for i in range(0, len(items), 2)}
    if tag == _KIND:
        return _KINDS[value[1]]
    raise ValueError(f"unknown tag {tag!r}")


def dumps(spec: "objects.ObjectSpec") -> bytes:
    """The spec, less its ELF bytes (stored beside it), as bytes; TypeError for anything a
    spec should not hold."""
    plain = _encode(spec)
    return marshal.dumps(plain[:3] + (b"",) + plain[4:])  # field 1 (after the tag): elf


def loads(data: bytes, elf: bytes) -> "objects.ObjectSpec":
    """The spec `dumps` wrote, with its ELF bytes; ValueError when the data is not one."""
    try:
        plain = marshal.loads(data)
        spec = _decode(plain[:3] + (elf,) + plain[4:])
    except (ValueError, TypeError, KeyError, IndexError, EOFError) as exc:
        raise ValueError(f"not an encoded object spec: {exc}") from None
    if not isinstance(spec, objects.ObjectSpec):
        raise ValueError("not an encoded object spec")
    return spec
