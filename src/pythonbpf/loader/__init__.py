"""Loader: the bridge between BPF ELF bytes and the kernel, through system libbpf.

Nothing here imports the compiler; the input is an ELF image (bytes).
"""

from .caps import check_privileges, has_bpf_privileges
from .errors import (
    AttachError,
    BPFError,
    LibbpfMissingError,
    LoadError,
    NotSupportedError,
    PermissionDeniedError,
    errno_name,
)
from .libbpf import LogCapture, capture_log, lib
from .link import Link
from .map import BPF_ANY, BPF_EXIST, BPF_NOEXIST, Map, MapInfo
from .object import BpfObject
from .program import ProgInfo, Program
from .testrun import TestRunResult
from .tracefs import TraceFields, TracePipe, ensure_bpffs, parse_trace_line, tracefs_root

__all__ = [
    "AttachError",
    "BPFError",
    "BPF_ANY",
    "BPF_EXIST",
    "BPF_NOEXIST",
    "BpfObject",
    "LibbpfMissingError",
    "Link",
    "LoadError",
    "LogCapture",
    "Map",
    "MapInfo",
    "NotSupportedError",
    "PermissionDeniedError",
    "ProgInfo",
    "Program",
    "TestRunResult",
    "TraceFields",
    "TracePipe",
    "capture_log",
    "check_privileges",
    "ensure_bpffs",
    "errno_name",
    "has_bpf_privileges",
    "lib",
    "parse_trace_line",
    "tracefs_root",
]
