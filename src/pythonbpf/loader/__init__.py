"""Loader: the bridge between BPF ELF bytes and the kernel, through system libbpf.

Nothing here imports the compiler; the input is an ELF image (bytes). The names below load
with their module on first use: a start that only loads and attaches imports the modules it
needs, not every map, buffer and test_run binding.
"""

_EXPORTS = {
    "check_privileges": "caps",
    "has_bpf_privileges": "caps",
    "AttachError": "errors",
    "BPFError": "errors",
    "LibbpfMissingError": "errors",
    "LoadError": "errors",
    "NotSupportedError": "errors",
    "PermissionDeniedError": "errors",
    "errno_name": "errors",
    "LogCapture": "libbpf",
    "capture_log": "libbpf",
    "lib": "libbpf",
    "Link": "link",
    "BPF_ANY": "map",
    "BPF_EXIST": "map",
    "BPF_NOEXIST": "map",
    "Map": "map",
    "MapInfo": "map",
    "BpfObject": "object",
    "ProgInfo": "program",
    "Program": "program",
    "TestRunResult": "testrun",
    "TraceFields": "tracefs",
    "TracePipe": "tracefs",
    "ensure_bpffs": "tracefs",
    "parse_trace_line": "tracefs",
    "tracefs_root": "tracefs",
}

__all__ = sorted(_EXPORTS)


from ..lazy import lazy_exports  # noqa: E402

__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
