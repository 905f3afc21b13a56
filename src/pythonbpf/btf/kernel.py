"""KernelTypes: the kernel a program is compiled for, as an explicit input of the compile.

A CO-RE read (`current_task().real_parent.tgid`), a BTF-typed argument (fentry, tp_btf) or a
tracepoint context (`ctx.filename`) is typed from a kernel's vmlinux BTF or its tracepoint
format files. Which kernel that is must be an input of the compile, not something the compiler
finds on its own: `pythonbpf compile --btf FILE` builds on one machine for a fleet whose kernels
differ, and the compile cache must know which kernel an entry was built against.

    KernelTypes()                                  # this machine: /sys/kernel/btf/vmlinux, tracefs
    KernelTypes(btf="vmlinux-6.1.btf")             # another kernel's BTF, this machine's tracefs
    KernelTypes(btf="/boot/vmlinux-6.1.0-57-amd64")  # a vmlinux ELF: its .BTF section
    KernelTypes(btf=data, tracepoints="events/")   # raw BTF bytes, a copy of tracefs events/

Nothing is read before it is asked for, and what was parsed is kept with the object (a second
compile against the same object reopens nothing). `identity` names the inputs' contents; it is
part of the compile cache key. `KernelTypes.running()` is the default the compiler's callers
use when they pass none: one object per process for this machine, so compiling many programs
reads /sys/kernel/btf/vmlinux once. It is an input like any other; the compiler keeps no
state of its own.
"""

from __future__ import annotations

import os

from ..digest import hasher

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import List, Optional, Union

    # imported on first use: programs without tracepoints (or kernel structs) never need them
    from .reader import BTFReader
    from .tracepoints import Tracefs, TracepointFormat

    BtfInput = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]

__all__ = ["KernelTypes", "VMLINUX", "kernel_btf", "tracepoint_format", "list_tracepoints"]

VMLINUX = "/sys/kernel/btf/vmlinux"
_ID_BYTES = 20  # the compile cache stores a 20-byte kernel identity
_HEAD_BYTES = 64 * 1024
_TAIL_BYTES = 16 * 1024


class KernelTypes:
    """A vmlinux BTF (a path or the bytes) and tracepoint formats (a copy of tracefs `events/`).

    `btf=None` is this machine's /sys/kernel/btf/vmlinux; `tracepoints=None` this machine's
    tracefs (mounted on first use when none is). An explicit `btf` is all that is read for
    kernel types: nothing under /sys/kernel/btf is opened.
    """

    def __init__(self, btf: "Optional[BtfInput]" = None,
                 tracepoints: "Optional[Union[str, os.PathLike[str]]]" = None) -> None:
        if isinstance(btf, (bytes, bytearray, memoryview)):
            self._data: "Optional[bytes]" = bytes(btf)
            self.btf_path = "<memory>"
        else:
            self._data = None
            self.btf_path = os.fspath(btf) if btf is not None else VMLINUX
        self.tracepoints_dir: "Optional[str]" = None
        if tracepoints is not None:
            folder = os.fspath(tracepoints)
            nested = os.path.join(folder, "events")  # a copy of the tracefs root, not events/
            self.tracepoints_dir = nested if os.path.isdir(nested) else folder
        self._reader: "Optional[BTFReader]" = None
        self._tracefs: "Optional[Tracefs]" = None
        self._identity: "Optional[str]" = None

    _running: "Optional[KernelTypes]" = None

    @classmethod
    def running(cls) -> "KernelTypes":
        """This machine's kernel types, one object per process (what was parsed is kept)."""
        if cls._running is None:
            cls._running = cls()
        return cls._running

    @property
    def is_running_kernel(self) -> bool:
        """Whether both inputs are this machine's (nothing was given explicitly)."""
        return self._data is None and self.btf_path == VMLINUX and self.tracepoints_dir is None

    # -- the inputs, parsed on first use -------------------------------------------------

    def btf(self) -> "BTFReader":
        """The BTF reader (raises KernelTypeError when the BTF cannot be read or parsed)."""
        if self._reader is None:
            from .reader import BTFReader

            from .errors import KernelTypeError

            try:
                if self._data is not None:
                    from .index import IndexCache, default_cache_dir

                    self._reader = BTFReader(self._data, cache=IndexCache(default_cache_dir()))
                else:
                    self._reader = BTFReader.open(self.btf_path)
            except KernelTypeError:
                if not self._elf():
                    raise
                self._reader = self._elf_btf()
        return self._reader

    def _elf_btf(self) -> "BTFReader":
        """The reader of a vmlinux ELF's `.BTF` section (what a kernel package ships)."""
        from ..elf import ElfError, ElfFile
        from .errors import KernelTypeError
        from .index import IndexCache, default_cache_dir
        from .reader import BTFReader

        data = self._data
        if data is None:
            with open(self.btf_path, "rb") as f:
                data = f.read()
        try:
            elf = ElfFile(data)
            section = elf.section(".BTF")
        except ElfError as e:
            raise KernelTypeError(f"{self.where()}: {e}") from None
        if section is None:
            raise KernelTypeError(
                f"{self.where()} is an ELF file without a .BTF section (a kernel built without "
                "CONFIG_DEBUG_INFO_BTF?); give the kernel's /sys/kernel/btf/vmlinux instead")
        return BTFReader(elf.contents(section), path=f"{self.where()} (.BTF)",
                         cache=IndexCache(default_cache_dir()))

    def tracefs(self) -> "Tracefs":
        if self._tracefs is None:
            from .tracepoints import Tracefs

            self._tracefs = Tracefs(events_dir=self.tracepoints_dir)
        return self._tracefs

    def tracepoint_format(self, category: str, name: str) -> "TracepointFormat":
        """The parsed format of tracepoint `category:name`. Raises KernelTypeError listing
        close matches for an unknown tracepoint."""
        return self.tracefs().format(category, name)

    def list_tracepoints(self, pattern: str = "*") -> "List[str]":
        """Tracepoints as "category:name" matching a glob ("syscalls:sys_enter_open*", or a
        bare name pattern matching in any category)."""
        return self.tracefs().list(pattern)

    def _elf(self) -> bool:
        if self._data is not None:
            return self._data[:4] == b"\x7fELF"
        with open(self.btf_path, "rb") as f:
            return f.read(4) == b"\x7fELF"

    def inputs(self) -> "tuple":
        """(btf, tracepoints) as given, to make the same KernelTypes elsewhere (a child
        process: compiler/deep.py)."""
        return (self._data if self._data is not None else self.btf_path, self.tracepoints_dir)

    def where(self) -> str:
        """Where kernel types come from, for messages."""
        return self.btf_path if self._data is None else "the BTF given in memory"

    # -- identity ------------------------------------------------------------------------

    @property
    def identity(self) -> str:
        """40 hex digits naming the contents of both inputs (the compile cache's kernel key).

        The BTF's size, its first 64 KiB (the header and the start of the type table) and its
        last 16 KiB (the end of the string table): hashing all of a 5 MB vmlinux BTF would cost
        milliseconds at every cached start, and any change to a kernel's types changes the
        size of its BTF or one of its ends. Tracepoint formats: for this machine's tracefs, the running
        kernel's release and build (they are fixed by the kernel); for a copied directory, the
        name, size and modification time of every file in it.
        """
        if self._identity is None:
            h = hasher(_ID_BYTES)
            h.update(b"pythonbpf kernel types 1\nbtf\0")
            h.update(self._btf_digest())
            h.update(b"\0tracepoints\0")
            h.update(self._tracepoints_digest())
            self._identity = h.hexdigest()
        return self._identity

    def _btf_digest(self) -> bytes:
        h = hasher(_ID_BYTES)
        if self._data is not None:
            _sample(h, self._data, len(self._data))
            return h.digest()
        try:
            with open(self.btf_path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                head = f.read(_HEAD_BYTES)
                if size <= _HEAD_BYTES or len(head) < _HEAD_BYTES:  # sysfs may report 0
                    data = head + f.read()
                    _sample(h, data, len(data))
                else:
                    h.update(size.to_bytes(8, "little") + head)
                    h.update(os.pread(f.fileno(), _TAIL_BYTES, max(0, size - _TAIL_BYTES)))
        except OSError as e:
            h.update(f"unreadable {self.btf_path}: {e.errno}".encode())
        return h.digest()

    def _tracepoints_digest(self) -> bytes:
        h = hasher(_ID_BYTES)
        if self.tracepoints_dir is None:
            uname = os.uname()
            h.update(f"this machine {uname.release} {uname.version} {uname.machine}".encode())
            return h.digest()
        base = self.tracepoints_dir
        h.update(b"directory\0")
        for folder, dirs, files in os.walk(base):
            dirs.sort()
            for name in sorted(files):
                path = os.path.join(folder, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                rel = os.path.relpath(path, base)
                h.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        return h.digest()

    def __repr__(self) -> str:
        where = self.tracepoints_dir or "this machine's tracefs"
        return f"<KernelTypes btf={self.where()} tracepoints={where}>"


def _sample(h, data: bytes, size: int) -> None:
    """What `identity` hashes of a BTF held in memory (same samples as of a file)."""
    h.update(size.to_bytes(8, "little") + bytes(data[:_HEAD_BYTES]))
    if size > _HEAD_BYTES:
        h.update(bytes(data[max(0, size - _TAIL_BYTES):]))


# -- this machine's kernel, for code outside the compiler (CLI listings, the simulator) ----

def kernel_btf() -> "BTFReader":
    """The reader of this machine's /sys/kernel/btf/vmlinux (`KernelTypes.running()`'s)."""
    return KernelTypes.running().btf()


def tracepoint_format(category: str, name: str) -> "TracepointFormat":
    """This machine's format of tracepoint `category:name`."""
    return KernelTypes.running().tracepoint_format(category, name)


def list_tracepoints(pattern: str = "*") -> "List[str]":
    """This machine's tracepoints matching a glob, as "category:name"."""
    return KernelTypes.running().list_tracepoints(pattern)
