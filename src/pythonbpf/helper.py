"""`from pythonbpf.helper import pid, ktime, ...`: helpers and constants for BPF programs."""
from .lang.helpers import (  # noqa: F401
    BPF_ANY, BPF_EXIST, BPF_NOEXIST, TC_ACT_OK, TC_ACT_SHOT, XDP_ABORTED, XDP_DROP, XDP_PASS,
    XDP_REDIRECT, XDP_TX, arg0, arg1, arg2, arg3, arg4, arg5, cgroup_id, comm, cpu, current_task, deref,
    gid, htonl, htons, ktime, l3_csum_replace, l4_csum_replace, log2, ntohl, ntohs, pid,
    probe_read, probe_read_kernel, probe_read_kernel_str, probe_read_user, probe_read_user_str, random, redirect,
    retval, skb_load_bytes, smp_processor_id, get_current_cgroup_id, skb_store_bytes, tid, uid, xdp_adjust_head, xdp_adjust_tail,
)
