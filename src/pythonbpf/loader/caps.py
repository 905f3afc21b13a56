"""Process capabilities relevant to BPF.

The kernel answers EPERM/EACCES both for "you are not allowed to use bpf()"
and for "the verifier rejected this program" (EACCES). Looking at the
effective capability set tells the two apart, so an unprivileged user gets a
"run as root" message instead of a confusing verifier error.
"""

from __future__ import annotations

from .errors import PermissionDeniedError

__all__ = ["CAP_SYS_ADMIN", "CAP_PERFMON", "CAP_BPF", "effective_caps",
           "has_bpf_privileges", "check_privileges"]

CAP_SYS_ADMIN = 21
CAP_PERFMON = 38
CAP_BPF = 39


def effective_caps() -> int | None:
    """CapEff of this process as a bit mask, or None if /proc is unreadable."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"CapEff:"):
                    return int(line.split(b":", 1)[1].strip(), 16)
    except (OSError, ValueError):
        return None
    return None


def has_bpf_privileges(capeff: int | None = None) -> bool:
    """True if the capability mask allows loading tracing BPF programs.

    CAP_SYS_ADMIN alone suffices (pre-5.8 rule, still honoured); otherwise both
    CAP_BPF and CAP_PERFMON are needed for tracing programs. If the mask cannot
    be read, assume privileged so callers fall back to the kernel's verdict.
    """
    if capeff is None:
        capeff = effective_caps()
        if capeff is None:
            return True
    if capeff & (1 << CAP_SYS_ADMIN):
        return True
    return bool(capeff & (1 << CAP_BPF)) and bool(capeff & (1 << CAP_PERFMON))


def check_privileges(operation: str = "bpf() operation", errno: int | None = None) -> None:
    """Raise PermissionDeniedError if this process lacks BPF privileges."""
    if not has_bpf_privileges():
        raise PermissionDeniedError(operation, errno)
