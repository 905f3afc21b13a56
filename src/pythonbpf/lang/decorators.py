"""Decorators that mark BPF objects in a Python module.

They only tag the decorated object: compilation is static (the compiler reads the module's
source with `ast`), so the decorators never need to do work at import time.
"""
from __future__ import annotations

TYPE_CHECKING = False  # importing typing would cost every user script milliseconds
if TYPE_CHECKING:
    from typing import Any, Callable, Optional, TypeVar

    T = TypeVar("T")

_TAG = "__pythonbpf__"


def _tag(obj: T, kind: str, **extra: Any) -> T:
    info = dict(getattr(obj, _TAG, None) or {})
    info.setdefault("kinds", set()).add(kind)
    info.update(extra)
    try:
        setattr(obj, _TAG, info)
    except (AttributeError, TypeError):
        pass
    return obj


def bpf(obj: T) -> T:
    """Mark a function, map, struct or global as part of the BPF object."""
    return _tag(obj, "bpf")


def map(obj: T) -> T:  # noqa: A001 - the seed project's public name
    """Mark a function whose return value declares a map (seed style)."""
    return _tag(obj, "map")


def bpfglobal(obj: T) -> T:
    """Mark a function whose return value is a global (e.g. LICENSE)."""
    return _tag(obj, "global")


def struct(cls: T) -> T:
    """Mark a class whose annotated fields describe a C struct."""
    return _tag(cls, "struct")


def section(name: str) -> Callable[[T], T]:
    """Place a program in an ELF section; libbpf derives program type and attach point from it."""
    if not isinstance(name, str):
        raise TypeError("section() takes the section name as a string, e.g. section('xdp')")

    def mark(obj: T) -> T:
        return _tag(obj, "section", section=name)

    return mark


def _program(section_name: str, **attach: Any) -> Callable[[T], T]:
    def mark(obj: T) -> T:
        return _tag(_tag(obj, "bpf"), "section", section=section_name, attach=attach)

    return mark


def tracepoint(name: str) -> Callable[[T], T]:
    """`@tracepoint("syscalls:sys_enter_openat")`: a tracepoint program (implies @bpf)."""
    return _program("tracepoint/" + name.replace(":", "/", 1))


def raw_tracepoint(name: str) -> Callable[[T], T]:
    """`@raw_tracepoint("sys_enter")`: a raw tracepoint program; `ctx.args[i]`."""
    return _program("raw_tp/" + name)


def tp_btf(name: str) -> Callable[[T], T]:
    """`@tp_btf("sched_switch")`: a BTF-typed tracepoint; arguments typed from kernel BTF."""
    return _program("tp_btf/" + name)


def uprobe(binary: str, symbol: str, pid: Optional[int] = None) -> Callable[[T], T]:
    """`@uprobe("libc", "malloc")`: a user-space function's entry; `arg0()`..`arg5()`."""
    return _program(f"uprobe/{binary}:{symbol}", pid=pid)


def uretprobe(binary: str, symbol: str, pid: Optional[int] = None) -> Callable[[T], T]:
    """`@uretprobe("libc", "malloc")`: a user-space function's return; `retval()`."""
    return _program(f"uretprobe/{binary}:{symbol}", pid=pid)


def usdt(binary: str, provider: str, name: str, pid: Optional[int] = None) -> Callable[[T], T]:
    """`@usdt("/usr/bin/python3", "python", "function__entry")`: a user-space static probe
    (SystemTap SDT note); `arg0()`..`arg11()` as the probe's spec says, `usdt_arg_count()`."""
    return _program(f"usdt/{binary}:{provider}:{name}", pid=pid)


def kprobe(function: str) -> Callable[[T], T]:
    """`@kprobe("do_sys_openat2")`: a kernel function's entry (needs CONFIG_KPROBES)."""
    return _program("kprobe/" + function)


def kretprobe(function: str) -> Callable[[T], T]:
    """`@kretprobe("do_sys_openat2")`: a kernel function's return (needs CONFIG_KPROBES)."""
    return _program("kretprobe/" + function)


def perf_event(frequency: Optional[int] = None, period: Optional[int] = None) -> Callable[[T], T]:
    """`@perf_event(frequency=99)`: sampled on every online CPU (software cpu-clock)."""
    if frequency is not None and period is not None:
        raise TypeError("perf_event() takes frequency= or period=, not both")
    return _program("perf_event", frequency=frequency, period=period)


def xdp(fn: T) -> T:
    """`@xdp`: an XDP program (attach with b.attach_xdp("eth0"))."""
    return _program("xdp")(fn)


def tc(fn: T) -> T:
    """`@tc`: a tc (sched_cls, direct-action) program (attach with b.attach_tc("eth0", "ingress"))."""
    return _program("tc")(fn)


def socket_filter(fn: T) -> T:
    """`@socket_filter`: a socket filter (attach with b.attach_socket(sock))."""
    return _program("socket")(fn)
