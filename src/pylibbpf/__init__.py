"""Compatibility names for programs written for the seed project's `from pylibbpf import *`.

This package replaces the separate `pylibbpf` distribution; do not install both. Its names
never shadow pythonbpf's: `from pylibbpf import *` brings only `BpfMap` and friends.
"""
from __future__ import annotations

from typing import Any, Callable, Union

__all__ = ["BpfMap", "BpfProgram"]


def BpfMap(bpf: Any, name: Union[str, Callable[..., Any]]) -> Any:
    """The user-space view of map `name` (a name, or the seed-style @map function) of `bpf`."""
    return bpf.map(name)


def BpfProgram(bpf: Any, name: Union[str, Callable[..., Any]]) -> Any:
    """The loaded program `name` (a name or the decorated function) of `bpf`."""
    key = name if isinstance(name, str) else name.__name__
    return bpf.programs[key]
