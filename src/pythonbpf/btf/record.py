"""Frozen records that are cheap to define, for the BTF model.

Kinds are `pythonbpf.record` records (dataclass semantics without dataclass's cost at class
creation, and still dataclasses to fields(), replace(), asdict()), frozen, with one shared
__eq__, __hash__ and __repr__ from `Record` instead of one per class.
"""

from __future__ import annotations

from ..record import fields, record as _record

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Any, Tuple, Type, TypeVar

    T = TypeVar("T")


class Record:
    """Value semantics over the record's fields, honouring compare= and repr=."""

    __slots__ = ()

    def _compared(self) -> "Tuple[Any, ...]":
        return tuple(getattr(self, f.name) for f in fields(self) if f.compare)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._compared() == other._compared()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((self.__class__.__name__, self._compared()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.repr)
        return f"{self.__class__.__name__}({shown})"


def record(cls: "Type[T]") -> "Type[T]":
    return _record(cls, frozen=True, eq=False, repr=False)
