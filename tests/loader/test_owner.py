"""The owner base class: close once, `with`, collection, fork safety - and that every owner
of a kernel resource in loader/ uses it instead of its own copy of those methods."""
from __future__ import annotations

import ast
import gc
import os
import sys
from pathlib import Path

import pytest

from pythonbpf.loader.owner import Owner

LOADER = Path(__file__).resolve().parents[2] / "src" / "pythonbpf" / "loader"


class Recorder(Owner):
    def __init__(self, handle: object, freed: list, fork_safe: bool = False) -> None:
        self.freed = freed
        self._own(handle, fork_safe=fork_safe)

    def _free(self, handle: object) -> None:
        self.freed.append(handle)


def test_close_releases_once_and_with_closes():
    freed = []
    owner = Recorder(7, freed)
    assert not owner.closed
    owner.close()
    owner.close()
    assert freed == [7] and owner.closed
    with Recorder(8, freed) as other:
        assert not other.closed
    assert freed == [7, 8] and other.closed


def test_collection_closes_but_not_while_finalizing(monkeypatch):
    freed = []
    Recorder(1, freed)
    gc.collect()
    assert freed == [1]
    monkeypatch.setattr(sys, "is_finalizing", lambda: True)
    Recorder(2, freed)
    gc.collect()
    assert freed == [1]  # at exit the process releases everything itself


def test_a_failed_init_owns_nothing():
    class Failing(Owner):
        def __init__(self) -> None:
            raise ValueError("no handle")

        def _free(self, handle: object) -> None:
            raise AssertionError("nothing to free")

    with pytest.raises(ValueError):
        Failing()
    gc.collect()  # __del__ of the half-made object must not call _free


def test_a_forked_child_forgets_without_releasing(monkeypatch):
    freed = []
    safe, plain = Recorder("link", freed, fork_safe=True), Recorder("fd", freed)
    parent = os.getpid()
    monkeypatch.setattr(os, "getpid", lambda: parent + 1)  # as in a forked child
    safe.close()
    plain.close()
    assert freed == ["fd"] and safe.closed  # the child's close() drops its reference only


def test_real_fd_owner_closes_its_fd(tmp_path):
    from pythonbpf.loader.netdev import Netns

    ns = Netns()
    fd = ns._handle
    os.fstat(fd)
    with ns:
        pass
    with pytest.raises(OSError):
        os.fstat(fd)


def _classes_with_own_lifecycle() -> list:
    found = []
    for path in sorted(LOADER.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                methods = {f.name for f in node.body if isinstance(f, ast.FunctionDef)}
                copied = methods & {"__del__", "__exit__"}
                if copied and not (path.name == "owner.py" or node.name == "capture_log"):
                    found.append(f"{path.name}:{node.name} defines {sorted(copied)}")
    return found


def test_no_loader_class_keeps_its_own_copy_of_the_lifecycle():
    assert _classes_with_own_lifecycle() == []


def test_every_owner_is_an_owner():
    from pythonbpf.loader.attachment import Attachment
    from pythonbpf.loader.link import Link
    from pythonbpf.loader.netdev import Netns
    from pythonbpf.loader.object import BpfObject
    from pythonbpf.loader.perfbuf import PerfBuffer
    from pythonbpf.loader.pinned import PinnedMap
    from pythonbpf.loader.ringbuf import RingBuffer
    from pythonbpf.loader.ringmap import RingReader
    from pythonbpf.loader.tracefs import TracePipe
    from pythonbpf.loader.uprobemulti import UprobeMultiLink

    for cls in (Attachment, Link, Netns, BpfObject, PerfBuffer, PinnedMap, RingBuffer, RingReader,
                TracePipe, UprobeMultiLink):
        assert issubclass(cls, Owner), cls
        assert "__del__" not in vars(cls) and "__enter__" not in vars(cls), cls
