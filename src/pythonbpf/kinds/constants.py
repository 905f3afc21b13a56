"""The kernel's UAPI numbers (linux/bpf.h) that more than one layer needs, defined once.

The program and the user space around it agree on these with the kernel, so a second copy
that drifts is a bug nobody sees until a load fails. Numbers only: which map kind or helper
a number belongs to, and since when, is in maps.py and helpers.py; the program types are
listed here with the Linux version that added each (for the loader's plain-words errors).
"""
from __future__ import annotations

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Dict, Tuple

# enum bpf_cmd (the bpf() commands the loader issues itself)
BPF_MAP_CREATE = 0
BPF_LINK_CREATE = 28

# enum bpf_prog_type
BPF_PROG_TYPE_SOCKET_FILTER = 1
BPF_PROG_TYPE_KPROBE = 2
BPF_PROG_TYPE_SCHED_CLS = 3
BPF_PROG_TYPE_SCHED_ACT = 4
BPF_PROG_TYPE_TRACEPOINT = 5
BPF_PROG_TYPE_XDP = 6
BPF_PROG_TYPE_PERF_EVENT = 7
BPF_PROG_TYPE_CGROUP_SKB = 8
BPF_PROG_TYPE_LWT_IN = 10
BPF_PROG_TYPE_LWT_OUT = 11
BPF_PROG_TYPE_LWT_XMIT = 12
BPF_PROG_TYPE_SK_SKB = 14
BPF_PROG_TYPE_SK_MSG = 16
BPF_PROG_TYPE_RAW_TRACEPOINT = 17
BPF_PROG_TYPE_CGROUP_SOCK_ADDR = 18
BPF_PROG_TYPE_FLOW_DISSECTOR = 22
BPF_PROG_TYPE_CGROUP_SOCKOPT = 25
BPF_PROG_TYPE_TRACING = 26
BPF_PROG_TYPE_EXT = 28
BPF_PROG_TYPE_LSM = 29
BPF_PROG_TYPE_NETFILTER = 32

# enum bpf_attach_type (the expected attach types of kinds/programs.py's rows, and the
# loader's link targets)
BPF_CGROUP_INET_INGRESS = 0
BPF_CGROUP_INET_EGRESS = 1
BPF_CGROUP_INET4_CONNECT = 10
BPF_CGROUP_INET6_CONNECT = 11
BPF_CGROUP_GETSOCKOPT = 21
BPF_CGROUP_SETSOCKOPT = 22
BPF_NETFILTER = 45
BPF_TCX_INGRESS = 46
BPF_TCX_EGRESS = 47
BPF_NETKIT_PRIMARY = 54

# enum bpf_prog_type value -> (plain name, first Linux version), for "this kernel lacks ..."
PROGRAM_TYPES: "Dict[int, Tuple[str, str]]" = {
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

# enum bpf_map_type (the rows of maps.py carry the same numbers; these names are for code
# that holds a kernel map of unknown origin and asks what it is)
BPF_MAP_TYPE_HASH = 1
BPF_MAP_TYPE_ARRAY = 2
BPF_MAP_TYPE_PROG_ARRAY = 3
BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4
BPF_MAP_TYPE_PERCPU_HASH = 5
BPF_MAP_TYPE_PERCPU_ARRAY = 6
BPF_MAP_TYPE_STACK_TRACE = 7
BPF_MAP_TYPE_LRU_HASH = 9
BPF_MAP_TYPE_LRU_PERCPU_HASH = 10
BPF_MAP_TYPE_LPM_TRIE = 11
BPF_MAP_TYPE_QUEUE = 22
BPF_MAP_TYPE_STACK = 23
BPF_MAP_TYPE_RINGBUF = 27
BPF_MAP_TYPE_BLOOM_FILTER = 30

# bpf_map_update_elem flags
BPF_ANY = 0
BPF_NOEXIST = 1
BPF_EXIST = 2

# map_flags
BPF_F_NO_PREALLOC = 1
BPF_F_NO_COMMON_LRU = 2

# bpf_perf_event_output: the current CPU's slot of the perf event array
BPF_F_CURRENT_CPU = 0xFFFFFFFF

# bpf_get_stackid flags
BPF_F_SKIP_FIELD_MASK = 0xFF  # how many innermost frames to skip
BPF_F_USER_STACK = 1 << 8
PERF_MAX_STACK_DEPTH = 127

# program return codes
XDP_ABORTED = 0
XDP_DROP = 1
XDP_PASS = 2
XDP_TX = 3
XDP_REDIRECT = 4
TC_ACT_OK = 0
TC_ACT_SHOT = 2
TC_ACT_REDIRECT = 7
NF_DROP = 0  # a netfilter program's verdicts (uapi/linux/netfilter.h #defines: no BTF enum)
NF_ACCEPT = 1


def describe_program_type(number: int) -> str:
    """'the XDP program type (Linux 4.8)', or 'program type 200 (not in pythonbpf's table)'."""
    found = PROGRAM_TYPES.get(number)
    if found is None:
        return f"program type {number} (not in pythonbpf's table)"
    return f"the {found[0]} program type (Linux {found[1]})"
