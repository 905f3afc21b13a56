"""Global variables of a BPF object: `.rodata` Consts and `.data`/`.bss` Globals.

libbpf keeps each data section in an internal array map with one value (the
whole section). The object's BTF says where each variable lives in it (its
DATASEC's VAR records), so variables can be read and written by name:

- before load, through the section's initial image (`bpf_map__initial_value`),
  which is what the kernel map is created from; this is how Consts are set;
- after load, through an mmap of the kernel map (libbpf 1.1 leaves the initial
  image pointer at its private copy after a non-skeleton load, so it would go
  stale), or element 0 of the map where the kernel cannot mmap it.

`.rodata` is frozen by libbpf at load, so Consts are read-only from then on.
"""

from __future__ import annotations

import ctypes
import errno
import mmap

from ..record import record
from . import libbpf
from .errors import BPFError
from .map import Map

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from ..btf.model import Int, Type
    from .btf import Btf

__all__ = ["GlobalVar", "GlobalData"]

BPF_F_MMAPABLE = 1 << 10
_SECTION_KINDS = (".rodata", ".data", ".bss")


@record(frozen=True)
class GlobalVar:
    """One global variable: where it lives and what type it has."""

    name: str
    section: str  # ".rodata", ".data", ".bss" (or ".data.<x>" ...)
    offset: int
    size: int
    type: Type  # as declared, possibly const/volatile-qualified

    @property
    def is_const(self) -> bool:
        """A Const: lives in read-only data, set before load, frozen after."""
        return self.section == ".rodata" or self.section.startswith(".rodata.")

    @property
    def int_type(self) -> Int | None:
        """The integer type behind qualifiers and typedefs, if it is one."""
        from ..btf.model import Int

        resolved = self.type.strip()
        return resolved if isinstance(resolved, Int) else None

    def decode(self, raw: bytes) -> int | bytes:
        int_type = self.int_type
        return int_type.decode(raw) if int_type is not None else raw

    def encode(self, value: int | bytes) -> bytes:
        int_type = self.int_type
        if int_type is not None and not isinstance(value, (bytes, bytearray)):
            return int_type.encode(value, self.name)
        if not isinstance(value, (bytes, bytearray, memoryview)) or len(value) != self.size:
            raise ValueError(f"global {self.name!r} takes {self.size} bytes")
        return bytes(value)


def _section_of(map_name: str, sections: list[str]) -> str | None:
    """The data section an internal map holds.

    libbpf names internal maps `<object name prefix><section>`, except for
    sections with a second dot (".rodata.str1.1", ".data.foo"), which keep
    their bare name (truncated to 15 characters).
    """
    for section in sections:
        if map_name == section[:15]:
            return section
        if "." not in section[1:] and map_name.endswith(section):
            return section
    return None


class GlobalData:
    """Named access to the global variables of one BpfObject; owned by that object."""

    def __init__(self, btf: Btf | None, maps: dict[str, Map], object_name: str) -> None:
        self._object_name = object_name
        self.vars: dict[str, GlobalVar] = {}
        self._maps: dict[str, Map] = {}  # section -> internal map
        self._mmaps: dict[str, mmap.mmap] = {}
        if btf is None:
            return
        sections = [name for name in btf.datasecs
                    if any(name == k or name.startswith(k + ".") for k in _SECTION_KINDS)]
        for kmap in maps.values():
            section = _section_of(kmap.name, sections) if kmap.internal else None
            if section is None:
                continue
            self._maps[section] = kmap
            for var in btf.datasecs[section].vars:
                self.vars[var.name] = GlobalVar(var.name, section, var.offset, var.size,
                                                var.type)

    # ---- names --------------------------------------------------------------------
    def consts(self) -> list[str]:
        return sorted(name for name, var in self.vars.items() if var.is_const)

    def globals(self) -> list[str]:
        return sorted(name for name, var in self.vars.items() if not var.is_const)

    def var(self, name: str) -> GlobalVar:
        try:
            return self.vars[name]
        except KeyError:
            known = ", ".join(sorted(self.vars)) or "none"
            raise KeyError(f"no global variable named {name!r} in BPF object "
                           f"'{self._object_name}' (globals: {known})") from None

    # ---- values -------------------------------------------------------------------
    def get(self, name: str) -> int | bytes:
        """Current value: the kernel's after load, the initial value before."""
        var = self.var(name)
        return var.decode(self.read_raw(var))

    def set(self, name: str, value: int | bytes) -> None:
        """Set a Global (any time) or a Const (before load only)."""
        var = self.var(name)
        self.write_raw(var, var.encode(value))

    def read_raw(self, var: GlobalVar) -> bytes:
        kmap = self._maps[var.section]
        end = var.offset + var.size
        if not self._is_loaded(kmap):
            return ctypes.string_at(self._initial_image(kmap) + var.offset, var.size)
        view = self._mapping(var.section, kmap)
        if view is not None:
            return view[var.offset:end]
        whole = kmap.lookup(bytes(kmap.key_size))
        if whole is None:
            raise BPFError(f"global data map '{kmap.name}' has no element 0", errno.ENOENT)
        return whole[var.offset:end]

    def write_raw(self, var: GlobalVar, raw: bytes) -> None:
        kmap = self._maps[var.section]
        if len(raw) != var.size:
            raise ValueError(f"global {var.name!r} takes {var.size} bytes, got {len(raw)}")
        if not self._is_loaded(kmap):
            ctypes.memmove(self._initial_image(kmap) + var.offset, raw, var.size)
            return
        if var.is_const:
            raise BPFError(
                f"{var.name!r} is a Const: its value is frozen when the object is loaded "
                f"(read-only data); set it before load, e.g. BPF(consts={{{var.name!r}: ...}})",
                errno.EPERM)
        view = self._mapping(var.section, kmap)
        if view is not None:
            view[var.offset:var.offset + var.size] = raw
            return
        key = bytes(kmap.key_size)
        whole = bytearray(kmap.lookup(key) or bytes(kmap.value_size))
        whole[var.offset:var.offset + var.size] = raw
        kmap.update(key, bytes(whole))

    # ---- plumbing -----------------------------------------------------------------
    @staticmethod
    def _is_loaded(kmap: Map) -> bool:
        return libbpf.lib().bpf_map__fd(kmap._live()) >= 0

    @staticmethod
    def _initial_image(kmap: Map) -> int:
        size = ctypes.c_size_t()
        address = libbpf.lib().bpf_map__initial_value(kmap._live(), ctypes.byref(size))
        if not address:
            raise BPFError(f"libbpf has no initial image for map '{kmap.name}'", errno.EINVAL)
        return address

    def _mapping(self, section: str, kmap: Map) -> mmap.mmap | None:
        """An mmap of the kernel map's value (None if the map is not mmapable)."""
        view = self._mmaps.get(section)
        if view is not None:
            return view
        flags = libbpf.lib().bpf_map__map_flags(kmap._live())
        if not flags & BPF_F_MMAPABLE:
            return None
        size = kmap.value_size
        prot = mmap.PROT_READ if section.startswith(".rodata") else (
            mmap.PROT_READ | mmap.PROT_WRITE)
        try:
            view = mmap.mmap(kmap.fd, size, mmap.MAP_SHARED, prot)
        except OSError:
            return None  # fall back to element 0 through the map fd
        self._mmaps[section] = view
        return view

    def close(self) -> None:
        """Unmap the kernel maps (an mmap would keep a map alive after its object closes)."""
        while self._mmaps:
            _, view = self._mmaps.popitem()
            view.close()

    def __repr__(self) -> str:
        return f"<GlobalData consts={self.consts()} globals={self.globals()}>"
