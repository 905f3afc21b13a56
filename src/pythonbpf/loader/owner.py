"""The owner of one kernel resource: the base of links, attachments, objects, pinned maps,
event buffers and the other loader classes that hold an fd, a libbpf pointer or a mapping.

DESIGN.md's rule "every kernel object has one owner that closes it" comes with the same four
duties everywhere, written once here:
- `close()` releases the resource exactly once; calling it again does nothing;
- a `with` block closes it at its end;
- garbage collection closes it, except while the interpreter is finalizing (the process is
  about to release every fd anyway, and libbpf or ctypes may already be half torn down);
- fork safety, for owners that ask for it: a forked child inherits the Python object, but the
  kernel attachment is the parent's, so the child's `close()` forgets it without releasing it.

A subclass keeps its resource in `_handle` (None: nothing held, which is also the state of an
object whose `__init__` failed before owning anything), sets it with `_own()` and implements
`_free(handle)`. Owners whose release has more steps (a BPF object detaches its links first)
override `close()` and keep the other duties.
"""
from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import TypeVar

    _Self = TypeVar("_Self", bound="Owner")

__all__ = ["Owner"]


class Owner:
    """One kernel resource, released once: by `close()`, a `with` block, or collection."""

    _handle: object = None
    _owner_pid: "int | None" = None  # set for fork-safe owners: the process that may release

    def _own(self, handle: object, *, fork_safe: bool = False) -> None:
        """Hold `handle` (an fd, a pointer, ...); fork-safe owners remember this process."""
        self._handle = handle
        if fork_safe:
            self._owner_pid = os.getpid()

    @property
    def closed(self) -> bool:
        return self._handle is None

    @property
    def alive(self) -> bool:
        """Whether the resource is still held (links and attachments say `alive`)."""
        return self._handle is not None

    def _inherited(self) -> bool:
        """True in a forked child of the process that created a fork-safe owner."""
        return self._owner_pid is not None and self._owner_pid != os.getpid()

    def _take(self) -> object:
        """The handle to release, forgotten: None if nothing is held, or if this process is a
        forked child that inherited it (the parent releases it)."""
        handle, self._handle = self._handle, None
        return None if handle is None or self._inherited() else handle

    def _free(self, handle: object) -> None:
        """Release the resource `handle` (subclasses)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the resource; calling it again does nothing."""
        handle = self._take()
        if handle is not None:
            self._free(handle)

    def _collectable(self) -> bool:
        """Whether garbage collection may release the resource now (not at interpreter exit;
        owners of a plain fd may say always, owners of libbpf pointers add conditions)."""
        return not sys.is_finalizing()

    def __enter__(self: "_Self") -> "_Self":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if self._handle is not None and self._collectable():
                self.close()
        except Exception:
            pass
