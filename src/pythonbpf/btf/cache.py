"""The per-process cache of this machine's kernel types: one object, explicit.

Compiling many programs in one process must not reopen vmlinux BTF or reread
format files; tests (and long-running tools after a kernel module load) need to
drop what was cached. Both live here and nowhere else.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import List, Optional

    # imported on first use: programs without tracepoints (or kernel structs) never need them
    from .reader import BTFReader
    from .tracepoints import Tracefs, TracepointFormat

VMLINUX = "/sys/kernel/btf/vmlinux"


class KernelCache:
    """This machine's kernel BTF reader and tracefs view, created on first use."""

    def __init__(self, btf_path: str = VMLINUX, tracefs_root: Optional[str] = None) -> None:
        self.btf_path = btf_path
        self.tracefs_root = tracefs_root
        self._btf: Optional[BTFReader] = None
        self._tracefs: Optional[Tracefs] = None

    def btf(self) -> BTFReader:
        if self._btf is None:
            from .reader import BTFReader

            self._btf = BTFReader.open(self.btf_path)
        return self._btf

    def tracefs(self) -> Tracefs:
        if self._tracefs is None:
            from .tracepoints import Tracefs
            self._tracefs = Tracefs(self.tracefs_root)
        return self._tracefs

    def clear(self) -> None:
        self._btf = None
        self._tracefs = None


CACHE = KernelCache()


def kernel_btf() -> BTFReader:
    """The (cached) reader of this machine's /sys/kernel/btf/vmlinux."""
    return CACHE.btf()


def tracepoint_format(category: str, name: str) -> TracepointFormat:
    """The parsed format of tracepoint `category:name` (cached per process).
    Raises KernelTypeError listing close matches for an unknown tracepoint."""
    return CACHE.tracefs().format(category, name)


def list_tracepoints(pattern: str = "*") -> List[str]:
    """Tracepoints as "category:name" matching a glob ("syscalls:sys_enter_open*",
    or a bare name pattern matching in any category)."""
    return CACHE.tracefs().list(pattern)
