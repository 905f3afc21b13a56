"""`Record`: a decoded struct, the object user code gets for a struct value or an event.

Records are tuples with the struct's field names as attributes, like named tuples: a
decoder builds one with a single C-level call per value (no Python `__init__`), which is
what lets a ring buffer deliver millions of decoded events per second. They are owned
snapshots: reading a map again gives a new record, and `r._replace(hits=r.hits + 1)` makes
a modified copy to write back. Two records are equal when their field names and values are;
a record also equals a mapping of its fields.
"""
from __future__ import annotations

from collections.abc import Mapping
from operator import itemgetter
from typing import Any, Dict, Tuple

__all__ = ["Record", "RecordBase", "record_class"]

_CLASSES: Dict[Tuple[str, Tuple[str, ...]], type] = {}


class RecordBase(tuple):
    """What every record class derives from: the tuple of field values, named."""

    __slots__ = ()
    _fields: Tuple[str, ...] = ()

    @classmethod
    def _of(cls, *args: Any, **fields: Any) -> "RecordBase":
        """A record of this class from values in field order and/or by name."""
        names = cls._fields
        if len(args) > len(names):
            raise TypeError(f"{cls.__name__} has {len(names)} fields, got {len(args)} values")
        values = dict(zip(names, args))
        for name, value in fields.items():
            if name not in names:
                raise TypeError(f"{cls.__name__} has no field {name!r}")
            values[name] = value
        missing = [n for n in names if n not in values]
        if missing:
            raise TypeError(f"{cls.__name__} is missing {', '.join(missing)}")
        return tuple.__new__(cls, tuple(values[n] for n in names))

    def _asdict(self) -> Dict[str, Any]:
        return dict(zip(self._fields, self))

    def _replace(self, **changes: Any) -> "RecordBase":
        """A copy with some fields changed (records themselves never change)."""
        return type(self)._of(**{**self._asdict(), **changes})

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RecordBase):
            return self._fields == other._fields and tuple.__eq__(self, other)
        if isinstance(other, Mapping):
            return self._asdict() == dict(other)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = tuple.__hash__

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in zip(self._fields, self))
        return f"{type(self).__name__}({inner})"

    def __getnewargs__(self) -> Tuple[Any, ...]:
        return (tuple(self),)  # copy.copy: cls.__new__(cls, values) is tuple.__new__


class _RecordType(type):
    """Makes `Record(x=1)` build a record and `isinstance(r, Record)` hold for every record,
    while the generated classes keep tuple's C-level constructor (no Python `__new__` in
    their bases: that would cost a third of the decoding time)."""

    def __call__(cls, *args: Any, **fields: Any) -> RecordBase:
        if args:
            raise TypeError("Record() takes field values by keyword: Record(x=1, y=2)")
        return tuple.__new__(record_class("Record", tuple(fields)), tuple(fields.values()))

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, RecordBase)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, RecordBase)


class Record(RecordBase, metaclass=_RecordType):
    """A decoded struct. `Record(x=1, y=2)` makes one with those fields (for comparisons
    and writes); `isinstance(v, Record)` is true of every decoded struct."""

    __slots__ = ()


def _read_only(name: str):
    def refuse(self: Record, value: Any) -> None:
        raise AttributeError(
            f"{type(self).__name__}.{name} is read-only: records are snapshots; "
            f"write back a copy, e.g. m[k] = v._replace({name}=...)")

    return refuse


def record_class(name: str, fields: Tuple[str, ...]) -> type:
    """The record class for a struct's name and field names (one class per pair)."""
    key = (name, fields)
    cls = _CLASSES.get(key)
    if cls is None:
        namespace: Dict[str, Any] = {"__slots__": (), "_fields": fields, "__module__": __name__}
        for index, field in enumerate(fields):
            namespace[field] = property(itemgetter(index), _read_only(field),
                                        doc=f"field {index}: {field}")
        cls = type(name, (RecordBase,), namespace)
        _CLASSES[key] = cls
    return cls
