"""Naming addresses: kernel ones through /proc/kallsyms, user ones through the ELF symbols of
the files a process maps (/proc/PID/maps).

Stack traces come back from `get_stackid` as bare addresses; `sym(addr, pid)` turns one
into "name+0xoff" (or "[unknown]"). Everything is read lazily and cached: kallsyms once (it is
large; again for an address among BPF programs and modules, which come and go), each ELF file
once, each process's mappings once (call `refresh(pid)` after it maps new libraries, or when
pids are reused).
"""
from __future__ import annotations

import bisect
import os
import time
from typing import Dict, List, NamedTuple, Optional, Tuple

from .elfsyms import ElfSymbols

__all__ = ["KernelSymbols", "Symbolizer", "sym", "ksym", "UNKNOWN"]

UNKNOWN = "[unknown]"
KERNEL_SPACE = 0xFFFF800000000000  # x86-64 and arm64 kernel addresses start above this
LAST_SYMBOL_REACH = 1 << 20  # how far past the highest kernel symbol an address may still be it
REGION_SNAPSHOT_AGE = 1.0  # seconds a kallsyms snapshot names BPF programs and modules


class KernelSymbols:
    """/proc/kallsyms as a sorted table; `lookup(addr)` -> (name, offset, module)."""

    def __init__(self, path: str = "/proc/kallsyms") -> None:
        self.path = path
        self._addresses: List[int] = []
        self._entries: List[Tuple[str, str]] = []  # (name, module)
        self._loaded = False
        self._loaded_at = 0.0
        self._core_end = 0  # the highest core kernel symbol: modules and BPF programs lie above

    def refresh(self) -> None:
        """Forget the snapshot: the next lookup reads /proc/kallsyms again."""
        self._loaded = False

    def _load(self) -> None:
        rows = []
        with open(self.path, "rb") as f:
            for line in f:
                parts = line.split()
                if len(parts) < 3 or parts[1] not in b"tTwW":
                    continue
                address = int(parts[0], 16)
                if address:
                    module = parts[3].strip(b"[]").decode() if len(parts) > 3 else ""
                    rows.append((address, parts[2].decode(), module))
        rows.sort()
        self._addresses = [r[0] for r in rows]
        self._entries = [(r[1], r[2]) for r in rows]
        self._core_end = max((r[0] for r in rows if not r[2]), default=0)
        self._loaded = True
        self._loaded_at = time.monotonic()

    def lookup(self, address: int) -> Optional[Tuple[str, int, str]]:
        """(name, offset, module) for a kernel address, or None. BPF programs and modules come
        and go: an address in their region is looked up in a snapshot at most a second old."""
        if not self._loaded or (address > self._core_end and
                                time.monotonic() - self._loaded_at > REGION_SNAPSHOT_AGE):
            self._load()
        i = bisect.bisect_right(self._addresses, address) - 1
        if i < 0:
            return None
        name, module = self._entries[i]
        offset = address - self._addresses[i]
        if i == len(self._addresses) - 1 and offset > LAST_SYMBOL_REACH:
            return None  # past the end of everything kallsyms names
        return name, offset, module

    def address_of(self, name: str) -> Optional[int]:
        """The address of kernel function `name` (first match), or None."""
        if not self._loaded:
            self._load()
        for address, (entry, _) in zip(self._addresses, self._entries):
            if entry == name:
                return address
        return None


class _Mapping(NamedTuple):
    start: int
    end: int
    offset: int
    path: str


def _process_mappings(pid: int) -> List[_Mapping]:
    """Executable file mappings of `pid` (paths opened through /proc/PID/root)."""
    out = []
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            parts = line.split(None, 5)
            if len(parts) < 6 or "x" not in parts[1]:
                continue
            path = parts[5].strip()
            if not path.startswith("/"):
                continue
            if path.endswith(" (deleted)"):
                path = path[:-len(" (deleted)")]
            start, end = (int(x, 16) for x in parts[0].split("-"))
            out.append(_Mapping(start, end, int(parts[2], 16), path))
    out.sort()
    return out


class Symbolizer:
    """Caches of kernel symbols, process mappings and ELF symbol tables."""

    def __init__(self) -> None:
        self.kernel = KernelSymbols()
        self._maps: Dict[int, List[_Mapping]] = {}
        self._starts: Dict[int, List[int]] = {}
        self._files: Dict[str, ElfSymbols] = {}

    def refresh(self, pid: Optional[int] = None) -> None:
        """Forget cached mappings (of `pid`, or of every process and the kernel's symbols)."""
        if pid is None:
            self.kernel.refresh()
            self._maps.clear()
            self._starts.clear()
        else:
            self._maps.pop(pid, None)
            self._starts.pop(pid, None)

    def _file(self, pid: int, path: str) -> ElfSymbols:
        key = f"{pid}:{path}"
        found = self._files.get(key) or self._files.get(path)
        if found is None:
            root = f"/proc/{pid}/root{path}"
            found = ElfSymbols(root if os.path.exists(root) else path)
            self._files[path if found.path == path else key] = found
        return found

    def user(self, address: int, pid: int) -> Optional[Tuple[str, int, str]]:
        """(name, offset, file) for a user address of `pid`, or None."""
        if pid not in self._maps:
            try:
                self._maps[pid] = _process_mappings(pid)
            except OSError:
                return None
            self._starts[pid] = [m.start for m in self._maps[pid]]
        i = bisect.bisect_right(self._starts[pid], address) - 1
        if i < 0:
            return None
        mapping = self._maps[pid][i]
        if address >= mapping.end:
            return None
        elf = self._file(pid, mapping.path)
        vaddr = elf.vaddr_of_offset(address - mapping.start + mapping.offset)
        found = elf.lookup(vaddr) if vaddr is not None else None
        return (found[0], found[1], mapping.path) if found else None

    def sym(self, address: int, pid: Optional[int] = None, show_module: bool = False,
            show_offset: bool = True) -> str:
        """"name+0xoff" for `address` (kernel if `pid` is None or negative, or the address
        is in kernel space), "[unknown]" when nothing names it."""
        if pid is None or pid < 0 or address >= KERNEL_SPACE:
            found = self.kernel.lookup(address)
        else:
            found = self.user(address, pid)
        if found is None:
            return UNKNOWN
        name, offset, where = found
        text = f"{name}+{offset:#x}" if show_offset else name
        if show_module and where:
            text += f" [{os.path.basename(where)}]"
        return text


_DEFAULT: Optional[Symbolizer] = None


def default_symbolizer() -> Symbolizer:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Symbolizer()
    return _DEFAULT


def sym(address: int, pid: Optional[int] = None, show_module: bool = False,
        show_offset: bool = True) -> str:
    """Name a kernel address (pid None) or a user address of process `pid`."""
    return default_symbolizer().sym(address, pid, show_module, show_offset)


def ksym(address: int, show_module: bool = False, show_offset: bool = True) -> str:
    """Name a kernel address from /proc/kallsyms."""
    return default_symbolizer().sym(address, None, show_module, show_offset)
