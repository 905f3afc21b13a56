"""Encodes Python values to map bytes and decodes them back, from the declared types.

Decoded values are owned copies: ints as `int`, `str(N)` as `str` up to the first NUL, u8
arrays as `bytes`, other arrays as lists, structs as `Record`s (records.py). Decoding goes
through a `Decoder` that compiles the type once into a `struct` format and a builder, so
that many values (a batch of map entries, a run of ring buffer events) decode with one
`iter_unpack` over the whole buffer instead of a Python call per field.
"""
from __future__ import annotations

import struct
from collections.abc import Mapping
from operator import itemgetter
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ..integers import fits_either_sign, wrap
from ..spec.types import ArrayType, IntType, StrType, StructType, ValueType
from .records import Record, record_class

__all__ = ["Codec", "Decoder", "Record", "encode_value", "decode_value", "decode_struct"]

_INT_CODES = {(8, True): "b", (8, False): "B", (16, True): "h", (16, False): "H",
              (32, True): "i", (32, False): "I", (64, True): "q", (64, False): "Q"}


def _text(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


class _Layout:
    """Flattens a type into a struct format and a Python expression that rebuilds it."""

    def __init__(self) -> None:
        self.codes: List[str] = []
        self.names: Dict[str, Any] = {"_text": _text}
        self.items = 0
        self.plain = True  # every item is used as unpacked, in order, at top level

    def add(self, t: ValueType, top: bool = False) -> str:
        if isinstance(t, IntType):
            return self._item(_INT_CODES[(t.bits, t.signed)])
        if isinstance(t, StrType):
            self.plain = False
            return f"_text({self._item(f'{t.length}s')})"
        if isinstance(t, ArrayType):
            if isinstance(t.elem, IntType) and t.elem.bits == 8 and not t.elem.signed:
                return self._item(f"{t.count}s")
            self.plain = False
            return "[" + ", ".join(self.add(t.elem) for _ in range(t.count)) + "]"
        if isinstance(t, StructType):
            if not top:
                self.plain = False
            cls = record_class(t.name, tuple(f.name for f in t.fields))
            label = f"_R{len(self.names)}"
            self.names[label] = cls
            parts, pos = [], 0
            for f in t.fields:
                if f.offset > pos:
                    self.codes.append(f"{f.offset - pos}x")
                parts.append(self.add(f.type))
                pos = f.offset + f.type.size
            if t.size > pos:
                self.codes.append(f"{t.size - pos}x")
            return f"{label}(({', '.join(parts)},))" if parts else f"{label}(())"
        raise TypeError(f"cannot decode {t}")

    def _item(self, code: str) -> str:
        self.codes.append(code)
        self.items += 1
        return f"t[{self.items - 1}]"


class Decoder:
    """Bytes -> Python values for one type; `None` means raw bytes of `size`.

    `one(data)` decodes a single value; `many(buf, count, stride, start, lead)` decodes
    `count` values found every `stride` bytes, each `lead` bytes into its slot - the shape
    of batch map reads, per-CPU slots and ring/perf buffer runs.
    """

    def __init__(self, t: Optional[ValueType], size: int = 0) -> None:
        self.type = t
        self.size = t.size if t is not None else size
        if t is None:
            self._codes, self._build = "", None
            return
        layout = _Layout()
        expr = layout.add(t, top=True)
        self._codes = "".join(layout.codes)
        self._struct = struct.Struct("<" + self._codes)
        if isinstance(t, StructType) and layout.plain:
            self._build = layout.names[expr.split("(", 1)[0]]  # the record class itself
        elif layout.plain and layout.items == 1:
            self._build = itemgetter(0)
        else:
            self._build = eval(f"lambda t: {expr}", layout.names)  # noqa: S307 - our own text
        self._structs: Dict[Tuple[int, int], struct.Struct] = {}

    def one(self, data: bytes) -> Any:
        if self.type is None:
            return bytes(data[:self.size])
        if len(data) < self.size:
            data = bytes(data).ljust(self.size, b"\0")
        return self._build(self._struct.unpack_from(data))

    def many(self, buf: Any, count: int, stride: int = 0, start: int = 0,
             lead: int = 0) -> List[Any]:
        """`count` values laid out every `stride` bytes (default: packed) from `start`."""
        size = self.size
        stride = stride or size
        if not count:
            return []
        if self.type is None or stride - lead < size:
            step = stride
            first = start + lead
            return [self.one(bytes(buf[first + i * step:first + i * step + size]))
                    for i in range(count)]
        view = memoryview(buf)[start:start + count * stride]
        try:
            if stride == size and isinstance(self.type, IntType):  # packed ints: one C call
                return view.cast(_INT_CODES[(self.type.bits, self.type.signed)]).tolist()
            layout = self._struct_for(lead, stride)
            build = self._build
            return list(map(build, layout.iter_unpack(view)))
        finally:
            view.release()

    def _struct_for(self, lead: int, stride: int) -> struct.Struct:
        key = (lead, stride)
        found = self._structs.get(key)
        if found is None:
            tail = stride - lead - self.size
            found = struct.Struct("<" + (f"{lead}x" if lead else "") + self._codes
                                  + (f"{tail}x" if tail else ""))
            self._structs[key] = found
        return found

    def builder(self) -> Callable[[tuple], Any]:
        """The function turning one unpacked tuple into the value (for callers that unpack)."""
        return self._build if self._build is not None else itemgetter(0)


class Codec:
    """Bytes <-> Python values for one declared type (or raw unsigned ints of a size)."""

    def __init__(self, t: Optional[ValueType], size: int):
        self.type = t
        self.size = t.size if t is not None else size
        raw_int = t is None and self.size in (1, 2, 4, 8)
        self.decoder: Optional[Decoder] = Decoder(
            IntType(self.size * 8, False) if raw_int else t) if (t is not None or raw_int) else None

    def encode(self, value: Any) -> bytes:
        t = self.type
        if t is None or isinstance(t, IntType):
            return _encode_int(value, self.size, bool(t and t.signed))
        return encode_value(t, value)

    def decode(self, data: bytes) -> Any:
        if self.decoder is None:
            return int.from_bytes(data[:self.size], "little")
        return self.decoder.one(data)

    def decode_many(self, buf: Any, count: int, stride: int = 0) -> List[Any]:
        if self.decoder is None:
            stride = stride or self.size
            return [int.from_bytes(buf[i * stride:i * stride + self.size], "little")
                    for i in range(count)]
        return self.decoder.many(buf, count, stride)


def _encode_int(value: Any, size: int, signed: bool) -> bytes:
    if not isinstance(value, int):
        value = getattr(value, "value", value)  # ctypes integers
    if not isinstance(value, int):
        raise TypeError(f"expected an int, got {type(value).__name__}")
    bits = size * 8
    if not fits_either_sign(value, bits):
        raise ValueError(f"{value} does not fit in {bits} bits")
    return wrap(value, bits, False).to_bytes(size, "little")


def _field_values(t: StructType, value: Any) -> Dict[str, Any]:
    if isinstance(value, Record):
        return value._asdict()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (tuple, list)):
        if len(value) > len(t.fields):
            raise ValueError(f"struct {t.name} has {len(t.fields)} fields, got {len(value)} values")
        return {f.name: v for f, v in zip(t.fields, value)}
    return {f.name: getattr(value, f.name) for f in t.fields if hasattr(value, f.name)}


def encode_value(t: ValueType, value: Any) -> bytes:
    """The bytes of `value` laid out as `t`; missing struct fields and array tails are zero.

    Structs accept a Record, a mapping of field names, a tuple in field order, or any
    object with the fields as attributes.
    """
    if isinstance(t, StructType):
        buf = bytearray(t.size)
        for name, v in _field_values(t, value).items():
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
    if isinstance(t, StrType):
        data = value.encode() if isinstance(value, str) else bytes(value)
        if len(data) > t.length:
            raise ValueError(f"{len(data)} bytes do not fit {t}")
        return data.ljust(t.length, b"\0")
    if isinstance(t, IntType):
        return _encode_int(value, t.size, t.signed)
    raise TypeError(f"cannot encode a {t}")


def decode_value(t: ValueType, data: bytes) -> Any:
    """Ints as int, str(N) as str, u8 arrays as bytes, other arrays as lists, structs as Records."""
    return Decoder(t).one(data)


def decode_struct(t: StructType, data: bytes) -> Record:
    return Decoder(t).one(data)


def sum_values(values: Sequence[Any]) -> Any:
    """Element-wise sum: ints add up, records add field by field (for per-CPU values)."""
    if not values:
        return 0
    first = values[0]
    if isinstance(first, Record):
        columns = zip(*values)
        return type(first)(tuple(sum_values(list(col)) for col in columns))
    if isinstance(first, list):
        return [sum_values(list(col)) for col in zip(*values)]
    if isinstance(first, int):
        return sum(values)
    raise TypeError(f"cannot sum values of type {type(first).__name__}")
