"""Queue, stack and bloom filter maps from user space: no keys, so no dict interface.

A queue (FIFO) or stack (LIFO) map is a bounded container the program and user space both
push to and pop from; a bloom filter only answers "possibly present" or "certainly absent".
"""
from __future__ import annotations

from typing import Any, List, Optional

from ..spec.types import ValueType
from ..loader.map import BPF_ANY, BPF_EXIST, MapOps
from .codec import Codec

__all__ = ["QueueView", "BloomFilterView"]

_MISSING = object()


class QueueView:
    """`push(v)`, `pop()`, `peek()` on a QueueMap (FIFO) or StackMap (LIFO).

    `pop()`/`peek()` on an empty map return `default` if given, else raise IndexError,
    like `list.pop()`. `push(v, overwrite=True)` drops the oldest element when full.
    """

    def __init__(self, kmap: MapOps, value: Optional[ValueType] = None,
                 name: Optional[str] = None, owner: Any = None) -> None:
        self._map = kmap
        self.name = name or kmap.name
        self._owner = owner
        self._value = Codec(value, kmap.value_size)
        self.value_type = value

    @property
    def map(self) -> MapOps:
        return self._map

    def push(self, value: Any, overwrite: bool = False) -> None:
        self._map.push(self._value.encode(value), BPF_EXIST if overwrite else BPF_ANY)

    def pop(self, default: Any = _MISSING) -> Any:
        raw = self._map.pop()
        if raw is None:
            if default is _MISSING:
                raise IndexError(f"pop from empty map '{self.name}'")
            return default
        return self._value.decode(raw)

    def peek(self, default: Any = _MISSING) -> Any:
        raw = self._map.peek()
        if raw is None:
            if default is _MISSING:
                raise IndexError(f"peek into empty map '{self.name}'")
            return default
        return self._value.decode(raw)

    def drain(self) -> List[Any]:
        """Pop everything, in pop order."""
        out = []
        while True:
            raw = self._map.pop()
            if raw is None:
                return out
            out.append(self._value.decode(raw))

    def __bool__(self) -> bool:
        return self._map.peek() is not None

    # the names user code may reach for out of habit
    append = push
    update = push

    def __repr__(self) -> str:
        return f"<QueueView {self.name}>"


class BloomFilterView:
    """`add(v)` and `v in bf` ("possibly present": bloom filters have false positives)."""

    def __init__(self, kmap: MapOps, value: Optional[ValueType] = None,
                 name: Optional[str] = None, owner: Any = None) -> None:
        self._map = kmap
        self.name = name or kmap.name
        self._owner = owner
        self._value = Codec(value, kmap.value_size)
        self.value_type = value

    @property
    def map(self) -> MapOps:
        return self._map

    def add(self, value: Any) -> None:
        self._map.push(self._value.encode(value))

    push = add

    def __contains__(self, value: Any) -> bool:
        return self._map.contains_value(self._value.encode(value))

    def __repr__(self) -> str:
        return f"<BloomFilterView {self.name}>"
