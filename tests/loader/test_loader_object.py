"""BpfObject: open, load, inventory, close, and failures that leave nothing behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from loader_support import bpf_fds, open_fds
from pythonbpf.loader import (
    BPFError,
    BpfObject,
    LoadError,
    Map,
    Program,
    capture_log,
)

SRC = Path(__file__).resolve().parents[2] / "src"

BPF_PROG_TYPE_TRACEPOINT = 5
BPF_MAP_TYPE_HASH = 1
BPF_MAP_TYPE_ARRAY = 2


def test_open_inventory_before_load(counter_elf):
    with BpfObject.open(counter_elf, name="inv") as obj:
        assert not obj.loaded
        assert list(obj.programs) == ["hello"]
        prog = obj.programs["hello"]
        assert isinstance(prog, Program)
        assert prog.name == "hello"
        assert prog.section == "tracepoint/syscalls/sys_enter_clone"
        assert prog.type == BPF_PROG_TYPE_TRACEPOINT
        assert set(obj.maps) == {"hist", ".rodata.str1.1"}
        assert all(isinstance(m, Map) for m in obj.maps.values())
        assert list(obj.user_maps()) == ["hist"]
        assert obj.maps[".rodata.str1.1"].internal
        with pytest.raises(BPFError, match="not loaded"):
            prog.fd
        with pytest.raises(BPFError, match="not been created"):
            obj.maps["hist"].fd


def test_load_creates_kernel_objects(counter_elf):
    obj = BpfObject.open(counter_elf)
    obj.load()
    try:
        assert obj.loaded
        hist = obj.maps["hist"]
        assert (hist.type, hist.key_size, hist.value_size, hist.max_entries) == (
            BPF_MAP_TYPE_HASH, 4, 8, 4096)
        rodata = obj.maps[".rodata.str1.1"]
        assert rodata.type == BPF_MAP_TYPE_ARRAY
        assert rodata.value_size == len(b"count: %llu\n\x00")
        fds = open_fds()
        assert "anon_inode:bpf-map" in fds[hist.fd]
        assert "anon_inode:bpf-prog" in fds[obj.programs["hello"].fd]
        obj.load()  # loading again is a no-op, not an error
    finally:
        obj.close()


def test_close_is_idempotent_and_releases_fds(counter_elf):
    before = bpf_fds()
    obj = BpfObject.open(counter_elf)
    obj.load()
    assert len(bpf_fds()) > len(before)
    prog = obj.programs["hello"]
    obj.close()
    obj.close()
    assert obj.closed and not obj.loaded
    assert bpf_fds() == before
    with pytest.raises(BPFError, match="closed"):
        prog.fd
    with pytest.raises(BPFError, match="closed"):
        obj.load()


def test_context_manager_closes(counter_elf):
    before = bpf_fds()
    with BpfObject.open(counter_elf) as obj:
        obj.load()
        assert len(bpf_fds()) > len(before)
    assert obj.closed
    assert bpf_fds() == before


def test_verifier_rejection_raises_load_error_and_leaks_nothing(counter_elf, bad_elf):
    # Warm up libbpf once so any one-time lazy state is not counted as a leak.
    with BpfObject.open(counter_elf) as warm:
        warm.load()
    fds_before = open_fds()
    obj = BpfObject.open(bad_elf, name="bad")
    with pytest.raises(LoadError) as info:
        obj.load()
    err = info.value
    assert err.program == "hello"
    assert err.errno == 13  # EACCES: the verifier's verdict
    # The verifier's own words are in the captured log ...
    assert "map_value_or_null" in err.log
    assert "BEGIN PROG LOAD LOG" in err.log
    # ... and its tail in the message.
    message = str(err)
    assert "program 'hello'" in message and "EACCES" in message
    assert "map_value_or_null" in message
    # Nothing stays behind: no map, program or BTF fds, and the object is closed.
    assert open_fds() == fds_before
    assert obj.closed


def test_garbage_elf_raises_load_error():
    with pytest.raises(LoadError) as info:
        BpfObject.open(b"\x7fELF" + b"\0" * 60, name="garbage")
    assert info.value.errno is not None and info.value.errno > 0
    assert "libbpf" in info.value.log


def test_open_rejects_non_bytes():
    with pytest.raises(TypeError):
        BpfObject.open("not bytes")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        BpfObject.open(b"")


def test_capture_log_sees_libbpf_output(counter_elf):
    with capture_log(debug=True) as outer:
        with capture_log() as inner:
            with BpfObject.open(counter_elf, name="captured") as obj:
                obj.load()
    # DEBUG-level messages reach only the capture that asked for them.
    assert "libbpf:" in outer.text
    assert "captured" in outer.text
    assert len(inner) < len(outer)
    assert all(isinstance(chunk, str) for chunk in outer)


def test_unprivileged_load_raises_permission_denied(counter_elf):
    """A real unprivileged process (uid nobody, no capabilities) gets the clear error."""
    # The interpreter lives under /root here, so the child imports everything
    # and loads libbpf first, then drops to nobody (which clears CapEff).
    child = (
        "import os, sys\n"
        "from pythonbpf.loader import BpfObject, PermissionDeniedError, lib\n"
        "from pythonbpf.loader.caps import has_bpf_privileges\n"
        "lib()\n"
        "data = sys.stdin.buffer.read()\n"
        "os.setgroups([]); os.setgid(65534); os.setuid(65534)\n"
        "assert not has_bpf_privileges()\n"
        "obj = BpfObject.open(data)\n"
        "try:\n"
        "    obj.load()\n"
        "except PermissionDeniedError as exc:\n"
        "    assert isinstance(exc, PermissionError)\n"
        "    assert obj.closed\n"
        "    print('DENIED', exc.errno, exc)\n"
        "else:\n"
        "    print('LOADED')\n"
    )
    env = dict(os.environ, PYTHONPATH=str(SRC))
    result = subprocess.run(
        [sys.executable, "-c", child], input=counter_elf, capture_output=True,
        env=env, timeout=60, cwd="/",
    )
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()
    assert out.startswith("DENIED 1 "), out  # EPERM
    assert "CAP_BPF" in out and "CAP_PERFMON" in out and "root" in out
