"""Exceptions raised by the loader.

Every failure that reaches the user carries the kernel's real errno and, where
libbpf or the verifier said something, that text: a BPF failure without its
log is nearly impossible to act on.
"""

from __future__ import annotations

import errno as _errno
import os

__all__ = [
    "BPFError",
    "LibbpfMissingError",
    "PermissionDeniedError",
    "LoadError",
    "AttachError",
    "NotSupportedError",
    "errno_name",
    "errno_text",
]

# How many trailing verifier-log lines str(LoadError) shows; the full log
# stays available as `.log`.
_LOG_TAIL_LINES = 20

# Sections whose attach depends on optional kernel features
# (CONFIG_KPROBES, BPF trampolines, BPF LSM).
_FEATURE_SECTIONS = {
    "kprobe": "kprobes (CONFIG_KPROBES)",
    "kretprobe": "kprobes (CONFIG_KPROBES)",
    "ksyscall": "kprobes (CONFIG_KPROBES)",
    "kretsyscall": "kprobes (CONFIG_KPROBES)",
    "kprobe.multi": "multi-kprobes (CONFIG_FPROBE)",
    "kretprobe.multi": "multi-kprobes (CONFIG_FPROBE)",
    "fentry": "BPF trampolines (fentry)",
    "fexit": "BPF trampolines (fexit)",
    "fmod_ret": "BPF trampolines (fmod_ret)",
    "lsm": "BPF LSM (CONFIG_BPF_LSM and 'bpf' in lsm=)",
}


def errno_name(err: int | None) -> str:
    """Symbolic name of an errno value ("ENOENT"), or "E?<n>" if unknown."""
    if err is None:
        return "E?"
    err = abs(err)
    # ENOTSUPP (524) is kernel-internal but leaks out of bpf(); name it.
    if err == 524:
        return "ENOTSUPP"
    return _errno.errorcode.get(err, f"E?{err}")


def errno_text(err: int | None) -> str:
    """Human text for an errno value, including the kernel-only ENOTSUPP."""
    if err is None:
        return "unknown error"
    err = abs(err)
    if err == 524:
        return "Operation not supported by the kernel"
    return os.strerror(err)


class BPFError(Exception):
    """Base class of every loader error; `.errno` is set when the kernel gave one."""

    def __init__(self, message: str, errno: int | None = None) -> None:
        super().__init__(message)
        self.errno = abs(errno) if errno is not None else None


class LibbpfMissingError(BPFError):
    """The system libbpf (libbpf.so.1, >= 1.0) is not available."""

    def __init__(self, detail: str = "") -> None:
        message = (
            "libbpf.so.1 (libbpf >= 1.0) is required but could not be used"
            + (f": {detail}" if detail else "")
            + ". On Debian/Ubuntu install it with: apt-get install libbpf1"
        )
        super().__init__(message)


class PermissionDeniedError(BPFError, PermissionError):
    """The kernel refused a bpf() operation because the process lacks privileges."""

    def __init__(self, operation: str = "bpf() operation", errno: int | None = None) -> None:
        message = (
            f"{operation} was denied ({errno_name(errno or _errno.EPERM)}): "
            "loading BPF programs needs privileges; run as root or grant "
            "CAP_BPF and CAP_PERFMON (e.g. setcap cap_bpf,cap_perfmon+ep, "
            "or CAP_SYS_ADMIN on kernels older than 5.8)"
        )
        BPFError.__init__(self, message, errno if errno is not None else _errno.EPERM)


class LoadError(BPFError):
    """libbpf or the verifier rejected the object.

    `.log` is the full text libbpf printed during the load (it contains the
    verifier log), `.program` the failing program's name when libbpf said
    which one, `.errno` the error libbpf returned, `.missing` the kernel features it lacks.
    """

    def __init__(
        self,
        summary: str,
        log: str = "",
        program: str | None = None,
        errno: int | None = None,
    ) -> None:
        self.summary = summary
        self.log = log
        self.program = program
        # Set by whoever knows the ELF (pythonbpf.diagnostics.diagnose): the rejection
        # mapped to a Python line; str() then shows it instead of the raw log tail.
        self.diagnosis = None
        # What this kernel lacks of what the object needs (loader.features.Missing), probed
        # after the failure; the summary names it when it is not empty.
        self.missing: list = []
        super().__init__(summary, errno)

    def __str__(self) -> str:
        if self.diagnosis is not None:
            return f"{self.summary}\n{self.diagnosis.render()}"
        tail = _log_tail(self.log)
        if not tail:
            return self.summary
        return f"{self.summary}\n--- log tail ---\n{tail}"


class AttachError(BPFError):
    """Attaching a loaded program to its hook failed."""

    def __init__(
        self,
        program: str,
        target: str,
        errno: int | None,
        log: str = "",
        section: str = "",
    ) -> None:
        self.program = program
        self.target = target
        self.section = section
        self.log = log
        name = errno_name(errno)
        message = (
            f"cannot attach program '{program}' to '{target}': "
            f"{name} ({errno_text(errno)}); {_attach_remedy(section, target, errno)}"
        )
        tail = _log_tail(log, 8)
        if tail:
            message += f"\n--- libbpf log ---\n{tail}"
        super().__init__(message, errno)


class NotSupportedError(BPFError):
    """The requested feature is not supported by this loader or kernel."""


def _log_tail(log: str, lines: int = _LOG_TAIL_LINES) -> str:
    rows = [row for row in log.splitlines() if row.strip()]
    return "\n".join(rows[-lines:])


def _attach_remedy(section: str, target: str, err: int | None) -> str:
    """A one-line hint tailored to the section kind and errno."""
    from ..kinds.programs import section_label

    kind = section_label(section)  # the variant as written: kprobe.multi is its own feature
    err = abs(err) if err is not None else None
    feature = _FEATURE_SECTIONS.get(kind)
    if feature and err in (_errno.ENOENT, _errno.EOPNOTSUPP, 524, _errno.EINVAL):
        if kind.startswith("k") and not _kprobes_available():
            return (
                "this kernel has no kprobe support (CONFIG_KPROBES is off: "
                "no kprobe PMU and no kprobe_events); use a tracepoint, "
                "raw_tracepoint or tp_btf hook instead"
            )
        if err == _errno.ENOENT:
            return (
                f"the kernel function '{target}' was not found, or the kernel "
                f"lacks {feature} support; check the name in "
                "/proc/kallsyms or available_filter_functions"
            )
        return f"this kernel lacks {feature} support"
    if err in (_errno.EPERM, _errno.EACCES):
        return "run as root or grant CAP_BPF and CAP_PERFMON"
    if err == _errno.ESRCH and kind in ("usdt", "uprobe", "uretprobe"):
        return "no process has that pid (has it exited?)"
    if err == _errno.ENOENT and kind == "usdt":
        return ("the binary has no such USDT probe (or is not there); list its probes with "
                "`pythonbpf list usdt BINARY`")
    if err == _errno.ENOENT and kind in ("uprobe", "uretprobe"):
        return _uprobe_remedy(target)
    if err == _errno.ENOENT and kind in ("tracepoint", "tp"):
        return "the tracepoint does not exist; see tracefs events/<category>/<name>"
    if err == _errno.ENOENT:
        return "the attach target does not exist on this kernel"
    if err == _errno.EEXIST:
        return "this program is already attached to that target"
    if err == _errno.EBUSY:
        return "something else is already attached there in exclusive mode"
    if err in (_errno.EOPNOTSUPP, 524):
        return "the kernel does not support this attach type"
    if err == _errno.ESRCH:
        return "the section name does not tell libbpf where to attach; attach manually"
    return "see the libbpf log for details"


def _uprobe_remedy(target: str) -> str:
    """'no symbol ... in FILE' or 'no file FILE': what is missing of BINARY:SYMBOL."""
    binary, _, symbol = target.rpartition(":")
    if binary and not os.path.exists(binary):
        return f"there is no file {binary}; give an absolute path or a library name such as 'libc'"
    if binary and symbol:
        return (f"no symbol '{symbol}' in {binary}; list its functions with "
                f"`nm -D --defined-only {binary}` (a stripped binary has only its dynamic symbols)")
    return "the attach target does not exist"


def _kprobes_available() -> bool:
    """True if the kernel can create kprobes through perf or tracefs."""
    return any(
        os.path.exists(path)
        for path in (
            "/sys/bus/event_source/devices/kprobe/type",
            "/sys/kernel/tracing/kprobe_events",
            "/sys/kernel/debug/tracing/kprobe_events",
        )
    )


# ---- network attach errors (XDP, tc, socket filters, cgroup_skb) -----------------------
# Added for loader/xdp.py, tc.py, sockfilter.py, cgroup.py. These attach through
# netlink, setsockopt or BPF_LINK_CREATE, so the generic section-based remedy of
# AttachError does not fit; the attach code passes a hint written for its hook.

class NetworkAttachError(AttachError):
    """Attaching to a network hook (interface, socket, cgroup) failed.

    `.errno` is the kernel's errno, `.hook` the hook kind ("xdp", "tc",
    "socket", "cgroup_skb"), `.hint` the remedy shown in the message.
    """

    def __init__(
        self,
        program: str,
        target: str,
        errno: int | None,
        hint: str,
        hook: str = "",
        log: str = "",
    ) -> None:
        self.program = program
        self.target = target
        self.section = hook
        self.hook = hook
        self.hint = hint
        self.log = log
        message = (
            f"cannot attach program '{program}' to {target}: "
            f"{errno_name(errno)} ({errno_text(errno)}); {hint}"
        )
        tail = _log_tail(log, 8)
        if tail:
            message += f"\n--- libbpf log ---\n{tail}"
        BPFError.__init__(self, message, errno)


class InterfaceNotFoundError(NetworkAttachError, LookupError):
    """The named (or numbered) network interface does not exist in this network namespace."""


__all__ += ["NetworkAttachError", "InterfaceNotFoundError"]
