"""pythonbpf: eBPF programs written as Python functions, compiled in-process, loaded by libbpf.

BPF-side names (decorators, types, maps, helpers) import without llvmlite or libbpf; the
compiler and the loader are imported when first used.
"""
from __future__ import annotations

TYPE_CHECKING = False  # typing itself costs milliseconds at start-up; type checkers see True
if TYPE_CHECKING:
    from typing import Any

from .lang.decorators import (bpf, bpfglobal, kprobe, kretprobe, map, perf_event, raw_tracepoint, section,
                              socket_filter, struct, tc, tp_btf, tracepoint, uprobe, uretprobe, usdt, xdp)
from .lang.globals import Const, Global

__version__ = "0.1.0"

_LAZY = {
    "BPF": ("runtime.bpf", "BPF"),
    "MapView": ("runtime.mapview", "MapView"),
    "Record": ("runtime.codec", "Record"),
    "compile": ("runtime.compile", "compile"),
    "compile_to_ir": ("runtime.compile", "compile_to_ir"),
    "trace_pipe": ("runtime.trace", "trace_pipe"),
    "trace_fields": ("runtime.trace", "trace_fields"),
    "CompileError": ("compiler.errors", "CompileError"),
    "BPFError": ("loader.errors", "BPFError"),
    "LoadError": ("loader.errors", "LoadError"),
    "AttachError": ("loader.errors", "AttachError"),
    "LibbpfMissingError": ("loader.errors", "LibbpfMissingError"),
    "PermissionDeniedError": ("loader.errors", "PermissionDeniedError"),
    "NotSupportedError": ("loader.errors", "NotSupportedError"),
    "TestRunResult": ("loader.testrun", "TestRunResult"),
    "PerCpu": ("runtime.mapview", "PerCpu"),
    "open_pinned": ("runtime.views", "open_pinned"),
    "print_log2_hist": ("runtime.hist", "print_log2_hist"),
    "print_linear_hist": ("runtime.hist", "print_linear_hist"),
    "plot_log2_hist": ("runtime.plot", "plot_log2_hist"),
    "sym": ("runtime.symbols", "sym"),
    "ksym": ("runtime.symbols", "ksym"),
}

__all__ = ["bpf", "bpfglobal", "map", "section", "struct", "tracepoint", "raw_tracepoint", "tp_btf", "uprobe",
           "uretprobe", "usdt", "kprobe", "kretprobe", "perf_event", "xdp", "tc", "socket_filter", "Const", "Global",
           "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    """Import the heavy parts on first use, so `from pythonbpf import bpf` stays cheap."""
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(__import__(f"{__name__}.{module}", fromlist=[attr]), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'pythonbpf' has no attribute {name!r}")
