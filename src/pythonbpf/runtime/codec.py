"""Encodes Python values to map bytes and decodes them back, from the declared types.

Structs decode to `Record`s with the fields as attributes (ints as int, str(N) as str up to the
first NUL); each decoded value is an owned copy.
"""
from __future__ import annotations

import ctypes
from typing import Any, Dict, Optional

from ..compiler.frontend.types import ArrayType, IntType, StrType, StructType, ValueType

_CTYPES_INTS = {(8, True): ctypes.c_int8, (8, False): ctypes.c_uint8, (16, True): ctypes.c_int16,
                (16, False): ctypes.c_uint16, (32, True): ctypes.c_int32, (32, False): ctypes.c_uint32,
                (64, True): ctypes.c_int64, (64, False): ctypes.c_uint64}


class Record:
    """A decoded struct: fields as attributes; compares equal to records with the same fields."""

    __slots__ = ("_fields", "__dict__")

    def __init__(self, **fields: Any):
        object.__setattr__(self, "_fields", tuple(fields))
        self.__dict__.update(fields)

    def _asdict(self) -> Dict[str, Any]:
        return {k: getattr(self, k) for k in self._fields}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Record) and self._asdict() == other._asdict()

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._fields)
        return f"Record({inner})"


def ctype_of(t: ValueType) -> type:
    if isinstance(t, IntType):
        return _CTYPES_INTS[(t.bits, t.signed)]
    if isinstance(t, StrType):
        return ctypes.c_char * t.length
    if isinstance(t, ArrayType):
        return ctype_of(t.elem) * t.count
    if isinstance(t, StructType):
        fields = []
        pos = 0
        for i, f in enumerate(t.fields):
            if f.offset > pos:
                fields.append((f"_pad{i}", ctypes.c_uint8 * (f.offset - pos)))
            fields.append((f.name, ctype_of(f.type)))
            pos = f.offset + f.type.size
        if t.size > pos:
            fields.append(("_pad_end", ctypes.c_uint8 * (t.size - pos)))
        return type(t.name, (ctypes.Structure,), {"_fields_": fields, "_pack_": 1})
    raise TypeError(f"cannot decode {t}")


class Codec:
    """Bytes <-> Python values for one declared type (or raw unsigned ints of a size)."""

    def __init__(self, t: Optional[ValueType], size: int):
        self.type = t
        self.size = t.size if t is not None else size

    def encode(self, value: Any) -> bytes:
        t = self.type
        if t is None or isinstance(t, IntType):
            signed = bool(t and t.signed)
            if not isinstance(value, int):
                value = getattr(value, "value", value)
            if not isinstance(value, int):
                raise TypeError(f"expected an int, got {type(value).__name__}")
            bits = self.size * 8
            value &= (1 << bits) - 1
            return value.to_bytes(self.size, "little", signed=False) if not signed or value >= 0 \
                else value.to_bytes(self.size, "little", signed=True)
        if isinstance(t, StrType):
            data = value.encode() if isinstance(value, str) else bytes(value)
            if len(data) > t.length:
                raise ValueError(f"{len(data)} bytes do not fit {t}")
            return data.ljust(t.length, b"\0")
        return encode_value(t, value)

    def decode(self, data: bytes) -> Any:
        t = self.type
        if t is None or isinstance(t, IntType):
            return int.from_bytes(data[:self.size], "little", signed=bool(t and t.signed))
        if isinstance(t, StrType):
            return data[:t.length].split(b"\0", 1)[0].decode(errors="replace")
        return decode_struct(t, data)


def encode_value(t: ValueType, value: Any) -> bytes:
    """The bytes of `value` laid out as `t`; missing struct fields and array tails are zero."""
    if isinstance(t, StructType):
        buf = bytearray(t.size)
        items = value._asdict() if isinstance(value, Record) else dict(value)
        for name, v in items.items():
            f = t.field(name)
            if f is None:
                raise KeyError(f"struct {t.name} has no field {name!r}")
            buf[f.offset:f.offset + f.type.size] = encode_value(f.type, v)
        return bytes(buf)
    if isinstance(t, ArrayType):
        if isinstance(value, (bytes, bytearray)):
            data = bytes(value)
        else:
            data = b"".join(encode_value(t.elem, v) for v in value)
        if len(data) > t.size:
            raise ValueError(f"{len(data)} bytes do not fit {t}")
        return data.ljust(t.size, b"\0")
    return Codec(t, t.size).encode(value)


def decode_value(t: ValueType, data: bytes) -> Any:
    """Ints as int, str(N) as str, u8 arrays as bytes, other arrays as lists, structs as Records."""
    if isinstance(t, StructType):
        return decode_struct(t, data)
    if isinstance(t, ArrayType):
        if isinstance(t.elem, IntType) and t.elem.bits == 8 and not t.elem.signed:
            return bytes(data[:t.count])
        size = t.elem.size
        return [decode_value(t.elem, data[i * size:(i + 1) * size]) for i in range(t.count)]
    return Codec(t, t.size).decode(data)


def decode_struct(t: StructType, data: bytes) -> Record:
    return Record(**{f.name: decode_value(f.type, data[f.offset:f.offset + f.type.size])
                     for f in t.fields})
