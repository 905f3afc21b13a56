"""Error types, privilege detection and libbpf log forwarding."""

from __future__ import annotations

import ctypes
import errno
import logging

from pythonbpf.loader import (
    AttachError,
    BPFError,
    LibbpfMissingError,
    LoadError,
    NotSupportedError,
    PermissionDeniedError,
    capture_log,
    has_bpf_privileges,
    lib,
)
from pythonbpf.loader.caps import CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN, effective_caps


def test_hierarchy():
    for cls in (LibbpfMissingError, PermissionDeniedError, LoadError, AttachError,
                NotSupportedError):
        assert issubclass(cls, BPFError)
    assert issubclass(PermissionDeniedError, PermissionError)


def test_libbpf_missing_names_the_package():
    message = str(LibbpfMissingError("libbpf.so.1: cannot open shared object file"))
    assert "libbpf1" in message and "apt-get install libbpf1" in message


def test_privilege_masks():
    assert has_bpf_privileges(1 << CAP_SYS_ADMIN)
    assert has_bpf_privileges((1 << CAP_BPF) | (1 << CAP_PERFMON))
    assert not has_bpf_privileges(1 << CAP_BPF)
    assert not has_bpf_privileges(1 << CAP_PERFMON)
    assert not has_bpf_privileges(0)
    caps = effective_caps()
    assert caps is not None and has_bpf_privileges(caps) == has_bpf_privileges()


def test_load_error_str_has_summary_and_log_tail():
    log = "\n".join(f"line {n}" for n in range(100))
    err = LoadError("failed to load program 'p'", log, "p", errno.EACCES)
    text = str(err)
    assert text.startswith("failed to load program 'p'")
    assert "line 99" in text and "line 10\n" not in text
    assert err.log == log and err.program == "p" and err.errno == errno.EACCES


def test_attach_error_remedies():
    fentry = AttachError("f", "do_nothing", errno.EOPNOTSUPP, section="fentry/do_nothing")
    assert "BPF trampolines" in str(fentry) and fentry.errno == errno.EOPNOTSUPP
    tp = AttachError("t", "syscalls/nope", errno.ENOENT, section="tracepoint/syscalls/nope")
    assert "tracepoint does not exist" in str(tp)
    negative = AttachError("t", "x", -errno.EBUSY, section="xdp")
    assert negative.errno == errno.EBUSY and "EBUSY" in str(negative)


def test_libbpf_warnings_go_to_logging(caplog):
    api = lib()
    garbage = ctypes.create_string_buffer(b"\x7fELF" + b"\0" * 60)
    with caplog.at_level(logging.DEBUG, logger="pythonbpf.libbpf"):
        ptr = api.bpf_object__open_mem(garbage, 64, None)
    assert not ptr
    records = [r for r in caplog.records if r.name == "pythonbpf.libbpf"]
    assert records and records[0].levelno == logging.WARNING
    assert "libbpf:" in records[0].getMessage()
    assert not records[0].getMessage().endswith("\n")


def test_captured_output_is_not_logged(caplog):
    api = lib()
    garbage = ctypes.create_string_buffer(b"\x7fELF" + b"\0" * 60)
    with caplog.at_level(logging.DEBUG, logger="pythonbpf.libbpf"):
        with capture_log() as log:
            assert not api.bpf_object__open_mem(garbage, 64, None)
    assert "libbpf:" in log.text
    assert not [r for r in caplog.records if r.name == "pythonbpf.libbpf"]


def test_loader_does_not_import_the_compiler():
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys, pythonbpf.loader as loader\n"
            "loader.lib()\n"
            "bad = [m for m in sys.modules if m.startswith(('llvmlite', 'pythonbpf.compiler'))]\n"
            "print(bad)\n")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, env=env,
                         timeout=60, check=True).stdout.decode().strip()
    assert out == "[]"
