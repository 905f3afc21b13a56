"""The BPF programs and maps loaded in the kernel right now, whoever loaded them.

The loader walks the kernel's id spaces (BPF_PROG_GET_NEXT_ID / BPF_MAP_GET_NEXT_ID, loader/ids.py)
and asks each object for its info, as `bpftool prog|map list` does. Type names come
from this kernel's own `enum bpf_prog_type` / `enum bpf_map_type` (BTF), so new kinds are
named without a table here.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, List

__all__ = ["KernelProgram", "KernelMap", "loaded_programs", "loaded_maps", "type_names"]


@dataclass(frozen=True)
class KernelProgram:
    id: int
    type: str
    name: str
    tag: str
    insns: int  # after the verifier's rewriting
    jited_bytes: int
    verified_insns: int
    map_ids: int  # how many maps it uses


@dataclass(frozen=True)
class KernelMap:
    id: int
    type: str
    name: str
    key_size: int
    value_size: int
    max_entries: int
    flags: int


@lru_cache(maxsize=2)
def type_names(enum: str, prefix: str) -> Dict[int, str]:
    """Value -> lower-case name of an enum of the kernel's BTF, without `prefix`."""
    try:
        from ..btf import kernel_btf

        values = kernel_btf().type_by_name(enum, "enum").values
    except Exception:  # no kernel BTF: numbers it is
        return {}
    return {v.value: v.name[len(prefix):].lower() for v in values if v.name.startswith(prefix)}


def loaded_programs() -> List[KernelProgram]:
    from ..loader.ids import program_infos

    names = type_names("bpf_prog_type", "BPF_PROG_TYPE_")
    found = []
    for info in program_infos():
        found.append(KernelProgram(
            id=info.id, type=names.get(info.type, str(info.type)),
            name=info.name.decode("utf-8", "replace"), tag=bytes(info.tag).hex(),
            insns=info.xlated_prog_len // 8, jited_bytes=info.jited_prog_len,
            verified_insns=info.verified_insns, map_ids=info.nr_map_ids))
    return found


def loaded_maps() -> List[KernelMap]:
    from ..loader.ids import map_infos

    names = type_names("bpf_map_type", "BPF_MAP_TYPE_")
    found = []
    for info in map_infos():
        found.append(KernelMap(
            id=info.id, type=names.get(info.type, str(info.type)),
            name=info.name.decode("utf-8", "replace"), key_size=info.key_size,
            value_size=info.value_size, max_entries=info.max_entries, flags=info.map_flags))
    return found
