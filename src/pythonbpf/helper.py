"""`from pythonbpf.helper import pid, ktime, ...`: helpers and constants for BPF programs."""
from .lang.helpers import (  # noqa: F401
    BPF_ANY, BPF_EXIST, BPF_NOEXIST, TC_ACT_OK, TC_ACT_SHOT, XDP_ABORTED, XDP_DROP, XDP_PASS,
    XDP_REDIRECT, XDP_TX, comm, cpu, deref, gid, htonl, htons, ktime, ntohl, ntohs, pid, random,
    tid, uid,
)
