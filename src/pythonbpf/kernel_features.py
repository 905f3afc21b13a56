"""Which Linux version added each program type, map type and helper pythonbpf uses.

Facts from the kernel's UAPI history, kept in one table so that a load refused by an older
kernel can say what is missing in plain words ("this kernel lacks the bpf_loop helper, added in
Linux 5.17") instead of an errno. Plain data: every layer may read it, nothing here runs.
"""
from __future__ import annotations

from typing import Dict, Tuple

__all__ = ["PROGRAM_TYPES", "MAP_TYPES", "HELPERS", "describe", "TESTED_KERNELS"]

# The kernels the test suite and the kernel matrix run on (docs/reliability.md).
TESTED_KERNELS = ("6.1 (Debian 12)", "6.12 (Debian 13 / LTS)", "6.18 (this project's hosts)")

# enum bpf_prog_type value -> (name, first Linux version)
PROGRAM_TYPES: Dict[int, Tuple[str, str]] = {
    1: ("socket filter", "3.19"), 2: ("kprobe", "4.1"), 3: ("tc classifier", "4.1"),
    4: ("tc action", "4.1"), 5: ("tracepoint", "4.7"), 6: ("XDP", "4.8"),
    7: ("perf_event", "4.9"), 8: ("cgroup_skb", "4.10"), 9: ("cgroup_sock", "4.10"),
    13: ("sock_ops", "4.13"), 14: ("sk_skb", "4.14"), 15: ("cgroup_device", "4.15"),
    16: ("sk_msg", "4.17"), 17: ("raw tracepoint", "4.17"), 18: ("cgroup_sock_addr", "4.17"),
    21: ("sk_reuseport", "4.19"), 22: ("flow_dissector", "4.20"), 23: ("cgroup_sysctl", "5.2"),
    24: ("writable raw tracepoint", "5.2"), 25: ("cgroup_sockopt", "5.3"),
    26: ("tracing (fentry/fexit/tp_btf/iter)", "5.5"), 27: ("struct_ops", "5.6"),
    28: ("freplace", "5.6"), 29: ("BPF LSM", "5.7"), 30: ("sk_lookup", "5.9"),
    31: ("syscall", "5.14"), 32: ("netfilter", "6.4"),
}

# enum bpf_map_type value -> (name, first Linux version)
MAP_TYPES: Dict[int, Tuple[str, str]] = {
    1: ("hash map", "3.19"), 2: ("array map", "3.19"), 3: ("program array", "4.2"),
    4: ("perf event array", "4.3"), 5: ("per-CPU hash map", "4.6"),
    6: ("per-CPU array map", "4.6"), 7: ("stack trace map", "4.6"), 8: ("cgroup array", "4.8"),
    9: ("LRU hash map", "4.10"), 10: ("LRU per-CPU hash map", "4.10"), 11: ("LPM trie", "4.11"),
    12: ("array of maps", "4.12"), 13: ("hash of maps", "4.12"), 14: ("devmap", "4.14"),
    15: ("sockmap", "4.14"), 16: ("cpumap", "4.15"), 17: ("xskmap", "4.18"),
    18: ("sockhash", "4.18"), 19: ("cgroup storage", "4.19"), 21: ("per-CPU cgroup storage", "4.20"),
    22: ("queue", "4.20"), 23: ("stack", "4.20"), 24: ("socket storage", "5.2"),
    25: ("devmap hash", "5.4"), 27: ("ring buffer", "5.8"), 28: ("inode storage", "5.10"),
    29: ("task storage", "5.11"), 30: ("bloom filter", "5.16"), 31: ("user ring buffer", "6.1"),
    32: ("cgroup storage (cgrp)", "6.2"), 33: ("arena", "6.9"),
}

# helper id -> (name, first Linux version)
HELPERS: Dict[int, Tuple[str, str]] = {
    1: ("bpf_map_lookup_elem", "3.19"), 2: ("bpf_map_update_elem", "3.19"),
    3: ("bpf_map_delete_elem", "3.19"), 5: ("bpf_ktime_get_ns", "4.1"),
    6: ("bpf_trace_printk", "4.1"), 7: ("bpf_get_prandom_u32", "4.1"),
    8: ("bpf_get_smp_processor_id", "4.1"), 9: ("bpf_skb_store_bytes", "4.1"),
    10: ("bpf_l3_csum_replace", "4.1"), 11: ("bpf_l4_csum_replace", "4.1"),
    12: ("bpf_tail_call", "4.2"), 14: ("bpf_get_current_pid_tgid", "4.2"),
    15: ("bpf_get_current_uid_gid", "4.2"), 16: ("bpf_get_current_comm", "4.2"),
    23: ("bpf_redirect", "4.4"), 25: ("bpf_perf_event_output", "4.4"),
    26: ("bpf_skb_load_bytes", "4.5"), 27: ("bpf_get_stackid", "4.6"),
    35: ("bpf_get_current_task", "4.8"), 44: ("bpf_xdp_adjust_head", "4.10"),
    65: ("bpf_xdp_adjust_tail", "4.18"), 80: ("bpf_get_current_cgroup_id", "4.18"),
    87: ("bpf_map_push_elem", "4.20"), 88: ("bpf_map_pop_elem", "4.20"),
    89: ("bpf_map_peek_elem", "4.20"), 112: ("bpf_probe_read_user", "5.5"),
    113: ("bpf_probe_read_kernel", "5.5"), 114: ("bpf_probe_read_user_str", "5.5"),
    115: ("bpf_probe_read_kernel_str", "5.5"), 126: ("bpf_seq_printf", "5.7"),
    130: ("bpf_ringbuf_output", "5.8"), 131: ("bpf_ringbuf_reserve", "5.8"),
    132: ("bpf_ringbuf_submit", "5.8"), 133: ("bpf_ringbuf_discard", "5.8"),
    177: ("bpf_trace_vprintk", "5.16"), 181: ("bpf_loop", "5.17"), 189: ("bpf_xdp_load_bytes", "5.18"),
}

def describe(table: Dict[int, Tuple[str, str]], number: int, kind: str) -> str:
    """'the ring buffer map type (Linux 5.8)' or 'map type 200 (unknown to pythonbpf)'."""
    found = table.get(number)
    if found is None:
        return f"{kind} {number} (not in pythonbpf's table)"
    name, since = found
    return f"the {name} {kind} (Linux {since})"
