"""Error types, privilege detection and libbpf log forwarding."""

from __future__ import annotations

import ctypes
import errno
import logging
import os

import pytest

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


UNKNOWN_HELPER_IR = """
target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"
target triple = "bpf"

@LICENSE = dso_local global [4 x i8] c"GPL\\00", section "license", align 1

define dso_local i32 @needs_helper_250(ptr %ctx) #0 section "xdp" {
entry:
  %r = call i64 inttoptr (i64 250 to ptr)()
  ret i32 2
}

define dso_local i32 @plain(ptr %ctx) #0 section "xdp" {
entry:
  ret i32 2
}

attributes #0 = { nounwind }
"""


@pytest.mark.kernel
def test_a_feature_the_kernel_lacks_is_named_not_an_errno():
    """BPF helpers are frozen below id 250, so no kernel has helper 250: the load fails, the
    probes find exactly that helper missing for exactly that program, and the summary says so."""
    from loader_support import compile_ir
    from pythonbpf.loader import BpfObject

    obj = BpfObject.open(compile_ir(UNKNOWN_HELPER_IR), name="lacking")
    with pytest.raises(LoadError) as info:
        obj.load()
    err = info.value
    assert [(m.feature, m.needed_by) for m in err.missing] == [
        ("helper 250 (not in pythonbpf's table)", "program 'needs_helper_250'")]
    assert f"this kernel ({os.uname().release}) lacks helper 250" in err.summary
    assert "ENOENT" not in err.summary and "EINVAL" not in err.summary


@pytest.mark.kernel
def test_feature_probes_see_what_this_kernel_has():
    from pythonbpf.kinds.helpers import describe
    from pythonbpf.loader.features import probe_helper, probe_map_type, probe_program_type

    assert probe_program_type(6) and probe_map_type(27)  # XDP, ring buffer (every tested kernel)
    assert probe_helper(6, 1) and not probe_helper(6, 250)
    # libbpf cannot probe a type it does not know itself: a map type then counts as present, so
    # that a kernel newer than the library is never called lacking; a program type is asked of
    # the kernel directly (netfilter, 6.4, is newer than libbpf 1.1)
    assert probe_map_type(200) and not probe_program_type(200)
    from pythonbpf.kinds.constants import PROGRAM_TYPES
    from pythonbpf.kinds.programs import kind_named

    netfilter = kind_named("netfilter")
    since = tuple(map(int, PROGRAM_TYPES[netfilter.prog_type][1].split(".")))
    kernel = tuple(map(int, os.uname().release.split("-")[0].split(".")[:2]))
    assert probe_program_type(netfilter.prog_type, netfilter.attach_type) == (kernel >= since)
    assert describe(181) == "the bpf_loop helper (Linux 5.17)"
