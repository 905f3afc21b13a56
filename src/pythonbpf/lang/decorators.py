"""Decorators that mark BPF objects in a Python module.

They only tag the decorated object: compilation is static (the compiler reads the module's
source with `ast`), so the decorators never need to do work at import time.
"""
from __future__ import annotations

from typing import Any, Callable, TypeVar

T = TypeVar("T")

_TAG = "__pythonbpf__"


def _tag(obj: T, kind: str, **extra: Any) -> T:
    info = dict(getattr(obj, _TAG, None) or {})
    info.setdefault("kinds", set()).add(kind)
    info.update(extra)
    try:
        setattr(obj, _TAG, info)
    except (AttributeError, TypeError):
        pass
    return obj


def bpf(obj: T) -> T:
    """Mark a function, map, struct or global as part of the BPF object."""
    return _tag(obj, "bpf")


def map(obj: T) -> T:  # noqa: A001 - the seed project's public name
    """Mark a function whose return value declares a map (seed style)."""
    return _tag(obj, "map")


def bpfglobal(obj: T) -> T:
    """Mark a function whose return value is a global (e.g. LICENSE)."""
    return _tag(obj, "global")


def struct(cls: T) -> T:
    """Mark a class whose annotated fields describe a C struct."""
    return _tag(cls, "struct")


def section(name: str) -> Callable[[T], T]:
    """Place a program in an ELF section; libbpf derives program type and attach point from it."""
    if not isinstance(name, str):
        raise TypeError("section() takes the section name as a string, e.g. section('xdp')")

    def mark(obj: T) -> T:
        return _tag(obj, "section", section=name)

    return mark
