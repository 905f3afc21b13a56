"""What loading and attaching read of an object's spec, readable without the spec's types.

A cached start that loads and attaches needs three things the ELF does not say: where each
pinned map is pinned, what each program's decorator said about attaching (a uprobe's `pid`, a
perf event's `frequency`), and the compiler's warnings (shown again at every start). Decoding
the whole ObjectSpec for them means importing the value types and the records and building
every one of them (~2.5 ms CPU, a tenth of such a start); so the compile cache stores this
summary beside the spec as marshal data of builtins, and the spec itself is decoded when
something first reads it - a map view, an event record, `b.spec`.

The summary also names each program's kind, so that a cache entry made by a version whose
registry had a kind this one lacks is refused when it is read, not when it is loaded.
This module imports only `marshal`.
"""
from __future__ import annotations

import marshal

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Dict, Optional, Tuple

    from .objects import ObjectSpec

__all__ = ["LoadSummary"]

_FORMAT = 1


class LoadSummary:
    """Pins by map name, attach options and kind name by program name, and warnings."""

    __slots__ = ("pins", "attach", "kinds", "warnings")

    def __init__(self, pins: "Dict[str, str]", attach: "Dict[str, Dict[str, int]]",
                 kinds: "Dict[str, Optional[str]]", warnings: "Tuple[str, ...]" = ()) -> None:
        self.pins = pins
        self.attach = attach
        self.kinds = kinds
        self.warnings = warnings

    @classmethod
    def of(cls, spec: "ObjectSpec") -> "LoadSummary":
        """The summary of a decoded spec."""
        return cls(spec.pins(),
                   {name: dict(p.attach) for name, p in spec.programs.items() if p.attach},
                   {name: p.kind.name if p.kind is not None else None
                    for name, p in spec.programs.items()},
                   tuple(spec.warnings))

    def dumps(self) -> bytes:
        return marshal.dumps((_FORMAT, self.pins, self.attach, self.kinds, self.warnings))

    @classmethod
    def loads(cls, data: bytes) -> "LoadSummary":
        """The summary `dumps` wrote; ValueError when the data is not one."""
        try:
            form, pins, attach, kinds, warnings = marshal.loads(data)
        except (ValueError, TypeError, EOFError) as exc:
            raise ValueError(f"not an encoded load summary: {exc}") from None
        if form != _FORMAT or not all(type(x) is dict for x in (pins, attach, kinds)) \
                or type(warnings) is not tuple:
            raise ValueError("not an encoded load summary")
        return cls(pins, attach, kinds, warnings)

    def attach_options(self, program: str) -> "Dict[str, int]":
        """What program `program`'s decorator said about attaching (a copy; {} when nothing)."""
        return dict(self.attach.get(program, ()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LoadSummary) and all(
            getattr(self, name) == getattr(other, name) for name in self.__slots__)

    def __repr__(self) -> str:
        return (f"LoadSummary(pins={self.pins!r}, attach={self.attach!r}, kinds={self.kinds!r}, "
                f"warnings={self.warnings!r})")
