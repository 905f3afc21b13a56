"""A map seen from user space: a MutableMapping over typed keys and values."""
from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, Iterator, Optional

from ..compiler.frontend.model import MapDecl
from ..loader import Map
from .codec import Codec

_MISSING = object()


class MapView(MutableMapping):
    """`m[k]`, `m.get(k)`, `k in m`, `m[k] = v`, `del m[k]`, iteration, `lookup`/`update`."""

    def __init__(self, kmap: Map, decl: Optional[MapDecl] = None, name: Optional[str] = None):
        self._map = kmap
        self.name = name or kmap.name
        self.decl = decl
        self._key = Codec(decl.key if decl else None, kmap.key_size)
        self._value = Codec(decl.value if decl else None, kmap.value_size)

    @property
    def map(self) -> Map:
        """The loader's map (raw bytes, fd, info)."""
        return self._map

    def __getitem__(self, key: Any) -> Any:
        raw = self._map.lookup(self._key.encode(key))
        if raw is None:
            raise KeyError(key)
        return self._value.decode(raw)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._map.update(self._key.encode(key), self._value.encode(value))

    def __delitem__(self, key: Any) -> None:
        if not self._map.delete(self._key.encode(key)):
            raise KeyError(key)

    def __iter__(self) -> Iterator[Any]:
        for raw in list(self._map.keys()):
            yield self._key.decode(raw)

    def __len__(self) -> int:
        return sum(1 for _ in self._map.keys())

    def __contains__(self, key: Any) -> bool:
        return self._map.lookup(self._key.encode(key)) is not None

    def get(self, key: Any, default: Any = None) -> Any:
        raw = self._map.lookup(self._key.encode(key))
        return default if raw is None else self._value.decode(raw)

    def clear(self) -> None:
        for raw in list(self._map.keys()):
            self._map.delete(raw)

    # the seed project's spellings
    def lookup(self, key: Any) -> Any:
        """The value for `key`, or None when absent."""
        return self.get(key)

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """`update(key, value)` as in the seed project, or dict-style `update(mapping)`."""
        if len(args) == 2 and not kwargs:
            self[args[0]] = args[1]
        else:
            MutableMapping.update(self, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<MapView {self.name}: {len(self)} entries>"
