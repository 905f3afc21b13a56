"""The ctypes binding to the system libbpf (libbpf.so.1) and libc.

This is the only module that loads native libraries. The handle is created
lazily on first use so that importing pythonbpf never fails on a machine
without libbpf; the failure surfaces as LibbpfMissingError when BPF is
actually needed.

libbpf reports diagnostics (including the verifier log) through a print
callback. One callback is installed for the life of the process; it appends
to the capture buffers active in the calling thread (see `capture_log`) and
otherwise forwards warnings to the `pythonbpf.libbpf` logger.
"""

from __future__ import annotations

import atexit
import ctypes
from _thread import _local, allocate_lock  # threading's own primitives, without threading

from .errors import LibbpfMissingError

__all__ = ["lib", "libc", "capture_log", "LogCapture", "get_errno",
           "LIBBPF_WARN", "LIBBPF_INFO", "LIBBPF_DEBUG", "version"]



def _logger():
    import logging  # only when libbpf has something to say outside a capture

    return logging.getLogger("pythonbpf.libbpf")

LIBBPF_WARN = 0
LIBBPF_INFO = 1
LIBBPF_DEBUG = 2

_c = ctypes
_P = _c.c_void_p

# name -> (restype, argtypes). Pointers to opaque libbpf objects are c_void_p
# so that NULL comes back as None and no Python wrapper owns the memory.
_LIBBPF_FUNCTIONS: dict[str, tuple[object, tuple[object, ...]]] = {
    "libbpf_major_version": (_c.c_uint32, ()),
    "libbpf_minor_version": (_c.c_uint32, ()),
    "libbpf_version_string": (_c.c_char_p, ()),
    "libbpf_set_print": (_P, (_P,)),
    "libbpf_get_error": (_c.c_long, (_P,)),
    "libbpf_num_possible_cpus": (_c.c_int, ()),
    "bpf_object__open_mem": (_P, (_P, _c.c_size_t, _P)),
    "bpf_object__load": (_c.c_int, (_P,)),
    "bpf_object__close": (None, (_P,)),
    "bpf_object__name": (_c.c_char_p, (_P,)),
    "bpf_object__next_program": (_P, (_P, _P)),
    "bpf_object__next_map": (_P, (_P, _P)),
    "bpf_program__name": (_c.c_char_p, (_P,)),
    "bpf_program__section_name": (_c.c_char_p, (_P,)),
    "bpf_program__fd": (_c.c_int, (_P,)),
    "bpf_program__type": (_c.c_int, (_P,)),
    "bpf_program__expected_attach_type": (_c.c_int, (_P,)),
    "bpf_program__attach": (_P, (_P,)),
    "bpf_map__name": (_c.c_char_p, (_P,)),
    "bpf_map__fd": (_c.c_int, (_P,)),
    "bpf_map__type": (_c.c_int, (_P,)),
    "bpf_map__key_size": (_c.c_uint32, (_P,)),
    "bpf_map__value_size": (_c.c_uint32, (_P,)),
    "bpf_map__max_entries": (_c.c_uint32, (_P,)),
    "bpf_map__is_internal": (_c.c_bool, (_P,)),
    "bpf_link__destroy": (_c.c_int, (_P,)),
    "bpf_link__fd": (_c.c_int, (_P,)),
    "bpf_iter_create": (_c.c_int, (_c.c_int,)),
    "bpf_map_lookup_elem": (_c.c_int, (_c.c_int, _P, _P)),
    "bpf_map_update_elem": (_c.c_int, (_c.c_int, _P, _P, _c.c_uint64)),
    "bpf_map_delete_elem": (_c.c_int, (_c.c_int, _P)),
    "bpf_map_get_next_key": (_c.c_int, (_c.c_int, _P, _P)),
    "bpf_obj_get_info_by_fd": (_c.c_int, (_c.c_int, _P, _c.POINTER(_c.c_uint32))),
    "bpf_map_get_next_id": (_c.c_int, (_c.c_uint32, _c.POINTER(_c.c_uint32))),
    "bpf_map_get_fd_by_id": (_c.c_int, (_c.c_uint32,)),
    "bpf_prog_test_run_opts": (_c.c_int, (_c.c_int, _P)),
    "bpf_object__btf": (_P, (_P,)),
    "btf__type_cnt": (_c.c_uint32, (_P,)),
    "btf__type_by_id": (_P, (_P, _c.c_uint32)),
    "btf__name_by_offset": (_c.c_char_p, (_P, _c.c_uint32)),
    "btf__raw_data": (_P, (_P, _c.POINTER(_c.c_uint32))),
    "bpf_map__initial_value": (_P, (_P, _c.POINTER(_c.c_size_t))),
    "bpf_map__set_initial_value": (_c.c_int, (_P, _P, _c.c_size_t)),
    "bpf_map__map_flags": (_c.c_uint32, (_P,)),
    "bpf_program__insns": (_P, (_P,)),
    "bpf_program__insn_cnt": (_c.c_size_t, (_P,)),
    "libbpf_probe_bpf_prog_type": (_c.c_int, (_c.c_int, _P)),
    "libbpf_probe_bpf_map_type": (_c.c_int, (_c.c_int, _P)),
    "libbpf_probe_bpf_helper": (_c.c_int, (_c.c_int, _c.c_int, _P)),
}

_LIBC_FUNCTIONS: dict[str, tuple[object, tuple[object, ...]]] = {
    "vasprintf": (_c.c_int, (_c.POINTER(_P), _c.c_char_p, _P)),
    "vsnprintf": (_c.c_int, (_c.c_char_p, _c.c_size_t, _c.c_char_p, _P)),
    "free": (None, (_P,)),
    "mount": (_c.c_int, (_c.c_char_p, _c.c_char_p, _c.c_char_p, _c.c_ulong, _P)),
}

# int (*libbpf_print_fn_t)(enum libbpf_print_level, const char *, va_list).
# va_list decays to a pointer when passed as an argument (x86-64, arm64).
_PRINT_FN = _c.CFUNCTYPE(_c.c_int, _c.c_int, _c.c_char_p, _P)

_FALLBACK_BUF = 65536


class LogCapture(list):
    """Collected libbpf messages (one string per print call), joinable as text."""

    def __init__(self, debug: bool = False) -> None:
        super().__init__()
        self.debug = debug

    @property
    def text(self) -> str:
        return "".join(self)

    def __str__(self) -> str:
        return self.text


class _Handle:
    __slots__ = ("libbpf", "libc", "print_cb")

    def __init__(self, libbpf: ctypes.CDLL, libc: ctypes.CDLL, print_cb: object) -> None:
        self.libbpf = libbpf
        self.libc = libc
        self.print_cb = print_cb  # keeps the ctypes callback alive while libbpf holds it


_handle: _Handle | None = None
_handle_lock = allocate_lock()
_tls = _local()  # per-thread stack of active LogCapture buffers


def _declare(cdll: ctypes.CDLL, table: dict[str, tuple[object, tuple[object, ...]]]) -> None:
    for name, (restype, argtypes) in table.items():
        fn = getattr(cdll, name)
        fn.restype = restype
        fn.argtypes = list(argtypes)


def _open_libbpf() -> ctypes.CDLL:
    # The usual soname first: find_library runs `ldconfig -p` (a few ms) and is only the fallback.
    try:
        return ctypes.CDLL("libbpf.so.1", use_errno=True)
    except OSError as exc:
        errors = [str(exc)]
    from ctypes.util import find_library

    found = find_library("bpf")
    if found and found != "libbpf.so.1":
        try:
            return ctypes.CDLL(found, use_errno=True)
        except OSError as exc:
            errors.append(str(exc))
    raise LibbpfMissingError("; ".join(errors) or "library not found")


def _open_libc() -> ctypes.CDLL:
    for name in ("libc.so.6", None):
        try:
            return ctypes.CDLL(name, use_errno=True)
        except OSError:
            continue
    raise OSError("cannot open the C library")


def _format(handle_libc: ctypes.CDLL, fmt: bytes, va: int | None) -> str:
    """Format a printf-style message with its va_list (which can be consumed once)."""
    try:
        out = _P()
        length = handle_libc.vasprintf(_c.byref(out), fmt, va)
        if length < 0 or not out.value:
            return ""
        try:
            return _c.string_at(out.value, length).decode("utf-8", "replace")
        finally:
            handle_libc.free(out)
    except AttributeError:  # a libc without vasprintf
        buf = _c.create_string_buffer(_FALLBACK_BUF)
        handle_libc.vsnprintf(buf, _FALLBACK_BUF, fmt, va)
        return buf.value.decode("utf-8", "replace")


def _make_print_callback(handle_libc: ctypes.CDLL) -> object:
    def on_print(level: int, fmt: bytes, va: int | None) -> int:
        try:
            captures = getattr(_tls, "stack", None)
            wanted = [c for c in captures or () if level < LIBBPF_DEBUG or c.debug]
            if not wanted and (captures or level >= LIBBPF_DEBUG):
                return 0
            text = _format(handle_libc, fmt, va)
            if wanted:
                for capture in wanted:
                    capture.append(text)
            elif level == LIBBPF_WARN:
                _logger().warning("%s", text.rstrip("\n"))
            else:
                _logger().info("%s", text.rstrip("\n"))
        except BaseException:  # never let an exception unwind into C
            return 0
        return 0

    return _PRINT_FN(on_print)


def _load() -> _Handle:
    cdll = _open_libbpf()
    try:
        _declare(cdll, _LIBBPF_FUNCTIONS)
    except AttributeError as exc:
        raise LibbpfMissingError(f"libbpf lacks a required function ({exc})") from None
    major = cdll.libbpf_major_version()
    if major < 1:
        raise LibbpfMissingError(f"found libbpf {major}.x, need 1.x or newer")
    cdll_libc = _open_libc()
    _declare(cdll_libc, {k: v for k, v in _LIBC_FUNCTIONS.items()
                         if hasattr(cdll_libc, k)})
    callback = _make_print_callback(cdll_libc)
    cdll.libbpf_set_print(_c.cast(callback, _P))
    atexit.register(_silence, cdll)
    return _Handle(cdll, cdll_libc, callback)


def _silence(cdll: ctypes.CDLL) -> None:
    """At exit, stop libbpf from calling back into a finalizing interpreter."""
    try:
        cdll.libbpf_set_print(None)
    except Exception:
        pass


def _get() -> _Handle:
    global _handle
    handle = _handle
    if handle is None:
        with _handle_lock:
            if _handle is None:
                _handle = _load()
            handle = _handle
    return handle


def lib() -> ctypes.CDLL:
    """The libbpf CDLL with argtypes/restypes declared; raises LibbpfMissingError."""
    return _get().libbpf


def libc() -> ctypes.CDLL:
    """The C library (for mount(2) and printf formatting)."""
    return _get().libc


def loaded() -> bool:
    """True once the library handle exists (used by finalizers at exit)."""
    return _handle is not None


def version() -> str:
    """libbpf's version string, e.g. "v1.1"."""
    raw = lib().libbpf_version_string()
    return raw.decode() if raw else ""


def get_errno() -> int:
    """errno left by the last libbpf/libc call made through this module."""
    return _c.get_errno()


class capture_log:  # noqa: N801 - used as a function: `with capture_log() as log:`
    """Collect libbpf output printed by this thread while the block runs.

    Warnings and info messages are captured; DEBUG messages only when
    `debug` is true. Nested captures all receive the text. (A class rather than a
    contextlib generator: contextlib costs milliseconds of start-up.)
    """

    __slots__ = ("_capture", "_stack")

    def __init__(self, debug: bool = False) -> None:
        self._capture = LogCapture(debug)
        self._stack: list | None = None

    def __enter__(self) -> LogCapture:
        _get()
        stack = getattr(_tls, "stack", None)
        if stack is None:
            stack = _tls.stack = []
        stack.append(self._capture)
        self._stack = stack
        return self._capture

    def __exit__(self, *exc: object) -> None:
        stack, capture = self._stack, self._capture
        # identity, not equality: LogCapture is a list and empty ones compare equal
        for index in range(len(stack) - 1, -1, -1):
            if stack[index] is capture:
                del stack[index]
                break


# ---- network attach: XDP, tc, cgroup_skb links (loader/xdp.py, tc.py, cgroup.py) ------
# Appended as one block; the opts structs these take are mirrored, with their `sz`
# field, next to the code that uses them. Runs at import, before the first lib().
_LIBBPF_FUNCTIONS.update({
    # int bpf_link_create(int prog_fd, int target_fd, enum bpf_attach_type, opts *)
    "bpf_link_create": (_c.c_int, (_c.c_int, _c.c_int, _c.c_int, _P)),
    # int bpf_xdp_attach(int ifindex, int prog_fd, __u32 flags, opts *)
    "bpf_xdp_attach": (_c.c_int, (_c.c_int, _c.c_int, _c.c_uint32, _P)),
    # int bpf_xdp_detach(int ifindex, __u32 flags, opts *)
    "bpf_xdp_detach": (_c.c_int, (_c.c_int, _c.c_uint32, _P)),
    # int bpf_xdp_query_id(int ifindex, int flags, __u32 *prog_id)
    "bpf_xdp_query_id": (_c.c_int, (_c.c_int, _c.c_int, _c.POINTER(_c.c_uint32))),
    "bpf_tc_hook_create": (_c.c_int, (_P,)),
    "bpf_tc_hook_destroy": (_c.c_int, (_P,)),
    "bpf_tc_attach": (_c.c_int, (_P, _P)),
    "bpf_tc_detach": (_c.c_int, (_P, _P)),
    "bpf_tc_query": (_c.c_int, (_P, _P)),
    # the kernel's list of links, to check from outside that nothing stayed attached
    "bpf_link_get_next_id": (_c.c_int, (_c.c_uint32, _c.POINTER(_c.c_uint32))),
    "bpf_link_get_fd_by_id": (_c.c_int, (_c.c_uint32,)),
    # the programs' and maps' id spaces, for listing what is loaded (loader/ids.py)
    "bpf_prog_get_next_id": (_c.c_int, (_c.c_uint32, _c.POINTER(_c.c_uint32))),
    "bpf_prog_get_fd_by_id": (_c.c_int, (_c.c_uint32,)),
    "bpf_map_get_next_id": (_c.c_int, (_c.c_uint32, _c.POINTER(_c.c_uint32))),
    "bpf_map_get_fd_by_id": (_c.c_int, (_c.c_uint32,)),
})
_LIBC_FUNCTIONS.update({
    "setns": (_c.c_int, (_c.c_int, _c.c_int)),
})
# ---- end of network attach block -------------------------------------------------------


# ---- maps and event streams: batch ops, queues, pinning, ring/perf buffers -------------
# (loader/map.py, batch.py, pinned.py, ringbuf.py, perfbuf.py). Callbacks are passed as
# void pointers (ctypes.cast of a CFUNCTYPE object the caller keeps alive).
_LIBBPF_FUNCTIONS.update({
    # int bpf_map_lookup_batch(int fd, void *in_batch, void *out_batch, void *keys,
    #                          void *values, __u32 *count, const struct bpf_map_batch_opts *)
    "bpf_map_lookup_batch": (_c.c_int, (_c.c_int, _P, _P, _P, _P, _c.POINTER(_c.c_uint32), _P)),
    "bpf_map_lookup_and_delete_batch": (
        _c.c_int, (_c.c_int, _P, _P, _P, _P, _c.POINTER(_c.c_uint32), _P)),
    "bpf_map_delete_batch": (_c.c_int, (_c.c_int, _P, _c.POINTER(_c.c_uint32), _P)),
    "bpf_map_update_batch": (_c.c_int, (_c.c_int, _P, _P, _c.POINTER(_c.c_uint32), _P)),
    "bpf_map_lookup_and_delete_elem": (_c.c_int, (_c.c_int, _P, _P)),
    "bpf_map_lookup_elem_flags": (_c.c_int, (_c.c_int, _P, _P, _c.c_uint64)),
    "bpf_map__pin": (_c.c_int, (_P, _c.c_char_p)),
    "bpf_map__unpin": (_c.c_int, (_P, _c.c_char_p)),
    "bpf_map__set_pin_path": (_c.c_int, (_P, _c.c_char_p)),
    "bpf_map__pin_path": (_c.c_char_p, (_P,)),
    "bpf_map__is_pinned": (_c.c_bool, (_P,)),
    "bpf_obj_get": (_c.c_int, (_c.c_char_p,)),
    "bpf_obj_pin": (_c.c_int, (_c.c_int, _c.c_char_p)),
    "btf__load_from_kernel_by_id": (_P, (_c.c_uint32,)),
    "btf__free": (None, (_P,)),
    # struct ring_buffer *ring_buffer__new(int map_fd, ring_buffer_sample_fn, void *ctx, opts *)
    "ring_buffer__new": (_P, (_c.c_int, _P, _P, _P)),
    "ring_buffer__add": (_c.c_int, (_P, _c.c_int, _P, _P)),
    "ring_buffer__poll": (_c.c_int, (_P, _c.c_int)),
    "ring_buffer__consume": (_c.c_int, (_P,)),
    "ring_buffer__epoll_fd": (_c.c_int, (_P,)),
    "ring_buffer__free": (None, (_P,)),
    # struct perf_buffer *perf_buffer__new(int map_fd, size_t page_cnt, sample_fn, lost_fn,
    #                                      void *ctx, const struct perf_buffer_opts *)
    "perf_buffer__new": (_P, (_c.c_int, _c.c_size_t, _P, _P, _P, _P)),
    "perf_buffer__poll": (_c.c_int, (_P, _c.c_int)),
    "perf_buffer__consume": (_c.c_int, (_P,)),
    "perf_buffer__epoll_fd": (_c.c_int, (_P,)),
    "perf_buffer__buffer_cnt": (_c.c_size_t, (_P,)),
    "perf_buffer__free": (None, (_P,)),
    # struct bpf_link *bpf_program__attach_perf_event(const struct bpf_program *, int pfd)
    "bpf_program__attach_perf_event": (_P, (_P, _c.c_int)),
})
# ---- end of maps and event streams block -----------------------------------------------
