"""Program contexts by section: which program kind a section is, and the fields of its context.

The context structs of packet programs are fixed by the kernel's UAPI (`struct xdp_md`,
`struct __sk_buff`); the verifier rewrites each field access, and accepts only reads of a
field's exact offset and size, which is how lowering emits them.
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple

from ...kinds.programs import PROGRAM_KINDS, parse_section
from ...spec.types import U8, U32, U64, IntType

# name -> (byte offset, type)
XDP_MD: Dict[str, Tuple[int, IntType]] = {
    "data": (0, U32), "data_end": (4, U32), "data_meta": (8, U32), "ingress_ifindex": (12, U32),
    "rx_queue_index": (16, U32), "egress_ifindex": (20, U32),
}
SK_BUFF: Dict[str, Tuple[int, IntType]] = {
    "len": (0, U32), "pkt_type": (4, U32), "mark": (8, U32), "queue_mapping": (12, U32),
    "protocol": (16, U32), "vlan_present": (20, U32), "vlan_tci": (24, U32), "vlan_proto": (28, U32),
    "priority": (32, U32), "ingress_ifindex": (36, U32), "ifindex": (40, U32), "tc_index": (44, U32),
    "hash": (68, U32), "tc_classid": (72, U32), "data": (76, U32), "data_end": (80, U32),
    "napi_id": (84, U32), "family": (88, U32), "remote_ip4": (92, U32), "local_ip4": (96, U32),
    "remote_port": (132, U32), "local_port": (136, U32), "data_meta": (140, U32),
}
# Fields only tc programs may read (the verifier refuses them elsewhere).
TC_ONLY: Dict[str, Tuple[int, IntType]] = {
    "tstamp": (152, U64), "wire_len": (160, U32), "gso_segs": (164, U32), "gso_size": (176, U32),
    "tstamp_type": (180, U8), "hwtstamp": (184, U64),
}
PACKET_KINDS = {k.name for k in PROGRAM_KINDS if k.packet}
WRITABLE_PACKETS = {k.name for k in PROGRAM_KINDS if k.writable}


def program_kind(section: str) -> Optional[str]:
    parsed = parse_section(section)
    return parsed.kind.name if parsed is not None else None


def context_fields(kind: Optional[str]) -> Dict[str, Tuple[int, IntType]]:
    if kind == "xdp":
        return XDP_MD
    if kind == "tc":
        return {**SK_BUFF, **TC_ONLY}
    if kind in ("socket", "cgroup_skb"):
        return SK_BUFF
    return {}


def packet_bounds(kind: str) -> Tuple[int, int]:
    """Offsets of the packet's data and data_end pointers in the context."""
    fields = context_fields(kind)
    return fields["data"][0], fields["data_end"][0]
