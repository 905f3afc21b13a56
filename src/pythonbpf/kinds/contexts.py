"""Context layouts: the fields of each program kind's context argument, by byte offset.

These structs are fixed by the kernel's UAPI (`struct xdp_md`, `struct __sk_buff`,
`struct bpf_sock_addr`, `struct bpf_sockopt`) or, for netfilter, by its BTF (`struct
bpf_nf_ctx`). The verifier rewrites each access into the kernel's real structure and accepts
only a field's exact offset and size, and only the fields the program's kind (and expected
attach type) may see, so a layout here lists exactly those fields. A kind's row
(`kinds/programs.py`) names its layout and the fields it may write.
"""
from __future__ import annotations

from ..spec.types import I32, U8, U32, U64, ArrayType, KernelPtrType

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Dict, Tuple

    from ..spec.types import ValueType

    Layout = Dict[str, Tuple[int, ValueType]]

# name -> (byte offset, type)
XDP_MD: "Layout" = {
    "data": (0, U32), "data_end": (4, U32), "data_meta": (8, U32), "ingress_ifindex": (12, U32),
    "rx_queue_index": (16, U32), "egress_ifindex": (20, U32),
}
SK_BUFF: "Layout" = {
    "len": (0, U32), "pkt_type": (4, U32), "mark": (8, U32), "queue_mapping": (12, U32),
    "protocol": (16, U32), "vlan_present": (20, U32), "vlan_tci": (24, U32), "vlan_proto": (28, U32),
    "priority": (32, U32), "ingress_ifindex": (36, U32), "ifindex": (40, U32), "tc_index": (44, U32),
    "hash": (68, U32), "tc_classid": (72, U32), "data": (76, U32), "data_end": (80, U32),
    "napi_id": (84, U32), "family": (88, U32), "remote_ip4": (92, U32), "local_ip4": (96, U32),
    "remote_port": (132, U32), "local_port": (136, U32), "data_meta": (140, U32),
}
# Fields only tc programs may read (the verifier refuses them elsewhere).
TC_ONLY: "Layout" = {
    "tstamp": (152, U64), "wire_len": (160, U32), "gso_segs": (164, U32), "gso_size": (176, U32),
    "tstamp_type": (180, U8), "hwtstamp": (184, U64),
}

# struct bpf_sock_addr (72 bytes): the address a connect/bind/sendmsg asks for. user_port is
# in network byte order in the low 16 bits; user_ip4/user_ip6 only in the IPv4/IPv6 kinds.
# (msg_src_ip4/6 belong to sendmsg only; `sk` is a socket pointer, not exposed.)
SOCK_ADDR: "Layout" = {
    "user_family": (0, U32), "user_port": (24, U32), "family": (28, U32), "type": (32, U32),
    "protocol": (36, U32),
}
SOCK_ADDR4: "Layout" = {**SOCK_ADDR, "user_ip4": (4, U32)}
SOCK_ADDR6: "Layout" = {**SOCK_ADDR, "user_ip6": (8, ArrayType(U32, 4))}

# struct bpf_sockopt (40 bytes): a getsockopt/setsockopt call. retval (what getsockopt returns
# to the caller) exists for getsockopt only. (sk, optval and optval_end are pointers, not
# exposed.)
SOCKOPT: "Layout" = {"level": (24, I32), "optname": (28, I32), "optlen": (32, I32)}
GETSOCKOPT: "Layout" = {**SOCKOPT, "retval": (36, I32)}

# struct bpf_nf_ctx (16 bytes): pointers to the hook's state and the packet, typed from the
# kernel's BTF (`ctx.state.hook`, `ctx.state.pf`, `ctx.skb.len`).
NF_CTX: "Layout" = {"state": (0, KernelPtrType("nf_hook_state")),
                    "skb": (8, KernelPtrType("sk_buff"))}

LAYOUTS: "Dict[str, Layout]" = {
    "xdp_md": XDP_MD,
    "__sk_buff": SK_BUFF,
    "__sk_buff (tc)": {**SK_BUFF, **TC_ONLY},
    "bpf_sock_addr (ipv4)": SOCK_ADDR4,
    "bpf_sock_addr (ipv6)": SOCK_ADDR6,
    "bpf_sockopt (get)": GETSOCKOPT,
    "bpf_sockopt (set)": SOCKOPT,
    "bpf_nf_ctx": NF_CTX,
}


def layout(context: str) -> "Layout":
    """The fields of context `context` (a row's `context`); {} for contexts without fixed
    fields (tracing contexts are typed from the kernel's BTF or tracepoint formats)."""
    return LAYOUTS.get(context, {})
