"""The BTF of a BPF object, or of a loaded map's BTF id, in the one BTF model (pythonbpf.btf).

BTF is what tells user space what the bytes of a map value or a global variable mean:
integer sizes and signedness, struct member offsets, and the DATASEC records that place each
global in `.rodata`/`.data`/`.bss`. libbpf hands over the raw BTF (`btf__raw_data`, after its
own fix-ups: DATASEC sizes and offsets are filled in at open); the compiler's reader
(btf/reader.py) reads those bytes, copied, so a `Btf` stays valid after the object it came
from is closed. Types are btf/model.py's: `Int`, `Struct`, `Datasec`, ... with the table
operations user space needs (`find`, `resolve`, `size_of`, `datasec`) on the reader.
"""

from __future__ import annotations

import ctypes

from ..btf.reader import BTFReader
from . import libbpf

__all__ = ["Btf"]


class Btf(BTFReader):
    """A BTF type table, indexed by type id (0 is void), read from libbpf's raw BTF."""

    @classmethod
    def from_pointer(cls, btf_ptr: int, what: str = "<object>") -> "Btf":
        """A copy of the BTF behind a libbpf `struct btf *`."""
        size = ctypes.c_uint32()
        raw = libbpf.lib().btf__raw_data(btf_ptr, ctypes.byref(size))
        return cls(ctypes.string_at(raw, size.value), path=what)

    @classmethod
    def from_object(cls, object_ptr: int) -> "Btf | None":
        """The BTF of a libbpf `struct bpf_object *`, or None if it has none."""
        btf_ptr = libbpf.lib().bpf_object__btf(object_ptr)
        return cls.from_pointer(btf_ptr) if btf_ptr else None

    def __repr__(self) -> str:
        return f"<Btf {self.type_count} types, datasecs={sorted(self.datasecs)}>"
