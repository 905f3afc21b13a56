"""Network header structs in their wire layout: ethhdr, iphdr, ipv6hdr, tcphdr, udphdr, icmphdr.

Their layout is fixed by the RFCs, so packet programs read them at constant
offsets without CO-RE, and they must exist even where vmlinux BTF does not. They
mirror the kernel's UAPI definitions member for member (same names, same bitfield
order for this machine's byte order), except that groups the kernel wraps in
anonymous unions (iphdr/ipv6hdr `addrs`) are flat and IPv6 addresses are u8[16].
"""

from __future__ import annotations

import sys
from types import MappingProxyType
from typing import List, Mapping, Tuple

from .model import Struct
from .table import MemberSpec, TypeTable

BIG_ENDIAN = sys.byteorder == "big"


def _bitfields(little_endian_order: List[MemberSpec]) -> List[MemberSpec]:
    """C declares bitfields sharing a unit in the opposite order on big-endian
    machines so that each lands on the same wire bits (the kernel's
    __LITTLE_ENDIAN_BITFIELD / __BIG_ENDIAN_BITFIELD pairs)."""
    return list(reversed(little_endian_order)) if BIG_ENDIAN else little_endian_order


def _build() -> Tuple[TypeTable, Mapping[str, Struct]]:
    t = TypeTable()
    uchar = t.int("unsigned char", 1)
    ushort = t.int("unsigned short", 2)
    uint = t.int("unsigned int", 4)
    index = t.int("__ARRAY_SIZE_TYPE__", 4)
    u8 = t.typedef("__u8", uchar)
    u16 = t.typedef("__u16", ushort)
    u32 = t.typedef("__u32", uint)
    be16 = t.typedef("__be16", u16)
    be32 = t.typedef("__be32", u32)
    sum16 = t.typedef("__sum16", u16)

    def arr(elem: int, n: int) -> int:
        return t.array(elem, n, index)

    ids = {}
    ids["ethhdr"] = t.composite("ethhdr", [
        ("h_dest", arr(uchar, 6), 0), ("h_source", arr(uchar, 6), 0), ("h_proto", be16, 0)])
    ids["iphdr"] = t.composite("iphdr", _bitfields([("ihl", u8, 4), ("version", u8, 4)]) + [
        ("tos", u8, 0), ("tot_len", be16, 0), ("id", be16, 0), ("frag_off", be16, 0),
        ("ttl", u8, 0), ("protocol", u8, 0), ("check", sum16, 0),
        ("saddr", be32, 0), ("daddr", be32, 0)])
    ids["ipv6hdr"] = t.composite("ipv6hdr", _bitfields([("priority", u8, 4),
                                                      ("version", u8, 4)]) + [
        ("flow_lbl", arr(u8, 3), 0), ("payload_len", be16, 0), ("nexthdr", u8, 0),
        ("hop_limit", u8, 0), ("saddr", arr(u8, 16), 0), ("daddr", arr(u8, 16), 0)])
    # The AccECN `ae` bit (RFC 9768) took one of the four reserved bits, as in the
    # kernel's UAPI since 6.x; older kernels call all four `res1`.
    flags = [("ae", u16, 1), ("res1", u16, 3), ("doff", u16, 4)] + [
        (name, u16, 1) for name in ("fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr")]
    if BIG_ENDIAN:  # the kernel's big-endian order: doff, res1, ae, cwr ... fin
        flags = [flags[2], flags[1], flags[0]] + list(reversed(flags[3:]))
    ids["tcphdr"] = t.composite("tcphdr", [
        ("source", be16, 0), ("dest", be16, 0), ("seq", be32, 0), ("ack_seq", be32, 0)] + flags + [
        ("window", be16, 0), ("check", sum16, 0), ("urg_ptr", be16, 0)])
    ids["udphdr"] = t.composite("udphdr", [
        ("source", be16, 0), ("dest", be16, 0), ("len", be16, 0), ("check", sum16, 0)])
    echo = t.composite("", [("id", be16, 0), ("sequence", be16, 0)])
    frag = t.composite("", [("__unused", be16, 0), ("mtu", be16, 0)])
    un = t.composite("", [("echo", echo, 0), ("gateway", be32, 0), ("frag", frag, 0),
                          ("reserved", arr(u8, 4), 0)], union=True)
    ids["icmphdr"] = t.composite("icmphdr", [
        ("type", u8, 0), ("code", u8, 0), ("checksum", sum16, 0), ("un", un, 0)])
    headers = {}
    for name, type_id in ids.items():
        header = t.type_by_id(type_id)
        assert isinstance(header, Struct)
        headers[name] = header
    return t, MappingProxyType(headers)


NETWORK_TYPES, NETWORK_HEADERS = _build()
