"""Which user-space view a map gets, and the types it decodes with.

Types come from the compiled program's declarations when there is one, else from the
map's BTF (objects loaded with `BPF(obj=...)`, maps opened from bpffs), else the map's
sizes alone (values as unsigned ints).
"""
from __future__ import annotations

import os

from ..kinds.constants import (BPF_MAP_TYPE_BLOOM_FILTER, BPF_MAP_TYPE_PERF_EVENT_ARRAY,
                               BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_RINGBUF, BPF_MAP_TYPE_STACK)
from .mapview import MapView, default_value_type

# Only what a declared hash or array map needs loads up front: BTF decoding (objects
# compiled elsewhere, pinned maps), event, queue and bloom filter views load when used.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional, Tuple

    from ..spec.types import ValueType
    from ..loader.btf import Btf
    from ..loader.map import MapOps

__all__ = ["make_view", "open_pinned", "map_types"]



def map_types(kmap: MapOps, decl: Any = None,
              btf: Optional[Btf] = None) -> Tuple[Optional[ValueType], Optional[ValueType]]:
    """(key type, value type) of a map: declared, else from BTF, else (None, None)."""
    if decl is not None:
        return decl.key, decl.value
    if btf is None:
        return None, None
    from .btftypes import declared_map_types, value_type

    key_id, value_id = declared_map_types(btf, kmap.name)
    if not (key_id or value_id):
        info = kmap.info()  # a map opened from bpffs: the kernel kept the type ids
        key_id, value_id = info.btf_key_type_id, info.btf_value_type_id
    return value_type(btf, key_id), value_type(btf, value_id)


def make_view(kmap: MapOps, name: str, decl: Any = None, btf: Optional[Btf] = None,
              bpf: Any = None, owner: Any = None) -> Any:
    """The view for a map of any type (`bpf` is needed for event maps)."""
    kind = kmap.type
    if kind in (BPF_MAP_TYPE_RINGBUF, BPF_MAP_TYPE_PERF_EVENT_ARRAY):
        if bpf is None:
            raise TypeError(f"map '{name}' is an event map: open it through its BPF object")
        from .events import PERF, RING, EventMapView

        return EventMapView(bpf, name, RING if kind == BPF_MAP_TYPE_RINGBUF else PERF)
    key, value = map_types(kmap, decl, btf)
    if kind in (BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_STACK):
        from .queueview import QueueView

        return QueueView(kmap, value, name, owner)
    if kind == BPF_MAP_TYPE_BLOOM_FILTER:
        from .queueview import BloomFilterView

        return BloomFilterView(kmap, value, name, owner)
    return MapView(kmap, key, default_value_type(kmap, value), name, owner)


def open_pinned(path: "str | os.PathLike[str]", key: Optional[ValueType] = None,
                value: Optional[ValueType] = None) -> Any:
    """A view of the map pinned at `path` (by an earlier run or another tool).

    Types come from `key`/`value` if given, else from the BTF the map was created with.
    The view owns the opened fd (`view.map.close()` releases it; so does garbage collection).
    """
    from types import SimpleNamespace

    from ..loader.pinned import PinnedMap

    pinned = PinnedMap.open(path)
    try:
        btf = pinned.btf() if key is None or value is None else None
        found_key, found_value = map_types(pinned, None, btf)

        decl = SimpleNamespace(key=key if key is not None else found_key,
                               value=value if value is not None else found_value)
        return make_view(pinned, pinned.name, decl, owner=pinned)
    except BaseException:
        pinned.close()
        raise
