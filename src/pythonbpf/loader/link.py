"""BPF links: the kernel objects that keep an attached program attached.

Destroying the link detaches the program. A Link is owned by the Program that
created it (and through it by the BpfObject), so closing the object detaches
everything it attached.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Callable

from . import libbpf
from .errors import BPFError
from .owner import Owner

__all__ = ["Link"]


class Link(Owner):
    """Owner of one `struct bpf_link *`."""

    def __init__(self, ptr: int, target: str = "",
                 on_destroy: Callable[["Link"], None] | None = None) -> None:
        if not ptr:
            raise ValueError("NULL bpf_link pointer")
        self._own(ptr)
        self.target = target
        self._on_destroy = on_destroy

    @property
    def fd(self) -> int:
        """The link's file descriptor (negative errno for perf-event-less legacy links)."""
        if self._handle is None:
            raise BPFError("link has been destroyed")
        return libbpf.lib().bpf_link__fd(self._handle)

    def read_iter(self) -> bytes:
        """Run an iterator program (an `iter/...` link) once and return everything it wrote."""
        fd = libbpf.lib().bpf_iter_create(self.fd)
        if fd < 0:
            raise BPFError("cannot start the iterator (is this an iter/ program's link?)", -fd)
        chunks = []
        try:
            while True:
                chunk = os.read(fd, 65536)
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)
        finally:
            os.close(fd)

    def destroy(self) -> None:
        """Detach and free the link; calling it again does nothing."""
        self.close()

    def _free(self, ptr: object) -> None:
        callback, self._on_destroy = self._on_destroy, None
        try:
            libbpf.lib().bpf_link__destroy(ptr)
        finally:
            if callback is not None:
                callback(self)

    def _collectable(self) -> bool:
        return super()._collectable() and libbpf.loaded()

    def __repr__(self) -> str:
        state = "alive" if self._handle is not None else "destroyed"
        return f"<Link {self.target!r} {state}>"
