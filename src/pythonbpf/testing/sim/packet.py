"""The packet of a simulated packet-program run, as BPF_PROG_TEST_RUN builds it.

Facts of the kernel's test runs kept here (and checked by the cross-check tests):
- XDP and tc programs see the frame from its Ethernet header; socket filters and cgroup_skb
  programs see it from the network header (the kernel pulls the Ethernet header off), and in
  their `data_out` the first 14 bytes come back zeroed.
- XDP frames have 256 bytes of headroom, of which `xdp_adjust_head` can use all but the 40 of
  the kernel's `struct xdp_frame`, and may grow (`xdp_adjust_tail`) up to 4096 - 256 - 320 bytes;
  grown bytes are zero. Larger frames are split into fragments that direct packet access
  cannot reach, so they are refused here.
- The `__sk_buff` of a test run: `len` is the packet length seen by the program, `protocol` the
  frame's EtherType (as the kernel stores it, in network byte order), `pkt_type` from the
  destination MAC against the loopback device's all-zero addresses, `ifindex` 1 (loopback),
  the rest zero unless the test passes them in `ctx`; cgroup_skb programs also see a socket
  whose family and addresses come from the IP header.
"""
from __future__ import annotations

from typing import Dict, Tuple

from .memory import Ptr

ETH_HLEN = 14
XDP_HEADROOM = 256
XDP_FRAME_SIZE = 40  # sizeof(struct xdp_frame), kept below the lowest data start
SKB_SHARED_INFO = 320
XDP_MAX_DATA = 4096 - XDP_HEADROOM - SKB_SHARED_INFO
ETH_P_802_3_MIN = 0x0600

PACKET_HOST, PACKET_MULTICAST, PACKET_OTHERHOST = 0, 2, 3


class Packet:
    """`buf[data:end]` is the packet the program sees; `l2` says whether that starts at the
    Ethernet header (xdp, tc) or after it (socket, cgroup_skb)."""

    def __init__(self, frame: bytes, kind: str) -> None:
        self.kind = kind
        self.l2 = kind in ("xdp", "tc")
        self.buf = bytearray(XDP_HEADROOM) + bytearray(frame) + bytearray(XDP_MAX_DATA)
        self.data = XDP_HEADROOM + (0 if self.l2 else ETH_HLEN)
        self.end = XDP_HEADROOM + len(frame)
        self.frame = bytes(frame)

    def cursor(self) -> Ptr:
        return Ptr(self.buf, self.data)

    def fits(self, ptr: Ptr, size: int) -> bool:
        return ptr.buf is self.buf and self.data <= ptr.offset and ptr.offset + size <= self.end

    def length(self) -> int:
        return self.end - self.data

    def data_out(self) -> bytes:
        body = bytes(self.buf[self.data:self.end])
        return body if self.l2 else bytes(ETH_HLEN) + body

    # ---- XDP adjustments -----------------------------------------------------------------
    def adjust_head(self, delta: int) -> int:
        new = self.data + delta
        if new < XDP_FRAME_SIZE or new > self.end - ETH_HLEN:
            return -22
        if delta < 0:
            self.buf[new:self.data] = bytes(-delta)
        self.data = new
        return 0

    def adjust_tail(self, delta: int) -> int:
        new = self.end + delta
        if new < self.data + ETH_HLEN or new > XDP_HEADROOM + XDP_MAX_DATA:
            return -22
        if delta > 0:
            self.buf[self.end:new] = bytes(delta)
        self.end = new
        return 0


def ethertype(frame: bytes) -> int:
    """eth_type_trans()'s protocol, as the u32 a program reads from `__sk_buff.protocol`."""
    proto = int.from_bytes(frame[12:14], "big")
    if proto < ETH_P_802_3_MIN:
        proto = 0x0001 if frame[14:16] == b"\xff\xff" else 0x0004  # ETH_P_802_3 / ETH_P_802_2
    return int.from_bytes(proto.to_bytes(2, "big"), "little")


def packet_type(frame: bytes) -> int:
    """eth_type_trans() on the loopback device, whose address and broadcast address are both
    all-zero: so ff:ff:ff:ff:ff:ff is a multicast, not a broadcast, there."""
    dest = frame[0:6]
    if dest == bytes(6):
        return PACKET_HOST
    return PACKET_MULTICAST if dest[0] & 1 else PACKET_OTHERHOST


# The kernel's UAPI context structs (include/uapi/linux/bpf.h), written out here rather than
# taken from the compiler, so that a compiler reading the wrong offset shows up as a difference:
# name -> (offset, size).
SK_BUFF: Dict[str, Tuple[int, int]] = {
    "len": (0, 4), "pkt_type": (4, 4), "mark": (8, 4), "queue_mapping": (12, 4), "protocol": (16, 4),
    "vlan_present": (20, 4), "vlan_tci": (24, 4), "vlan_proto": (28, 4), "priority": (32, 4),
    "ingress_ifindex": (36, 4), "ifindex": (40, 4), "tc_index": (44, 4),
    **{f"cb[{i}]": (48 + 4 * i, 4) for i in range(5)}, "hash": (68, 4), "tc_classid": (72, 4),
    "data": (76, 4), "data_end": (80, 4), "napi_id": (84, 4), "family": (88, 4), "remote_ip4": (92, 4),
    "local_ip4": (96, 4), **{f"remote_ip6[{i}]": (100 + 4 * i, 4) for i in range(4)},
    **{f"local_ip6[{i}]": (116 + 4 * i, 4) for i in range(4)}, "remote_port": (132, 4),
    "local_port": (136, 4), "data_meta": (140, 4), "flow_keys": (144, 8), "tstamp": (152, 8),
    "wire_len": (160, 4), "gso_segs": (164, 4), "sk": (168, 8), "gso_size": (176, 4),
    "tstamp_type": (180, 1), "hwtstamp": (184, 8),
}
XDP_MD: Dict[str, Tuple[int, int]] = {
    "data": (0, 4), "data_end": (4, 4), "data_meta": (8, 4), "ingress_ifindex": (12, 4),
    "rx_queue_index": (16, 4), "egress_ifindex": (20, 4),
}
CONTEXT_SIZE = {"xdp": 24, "skb": 192}
SK_FIELDS = ("family", "remote_ip4", "local_ip4", "remote_port", "local_port") + \
    tuple(f"{side}_ip6[{i}]" for side in ("remote", "local") for i in range(4))
_SKB_COMMON = ("len", "pkt_type", "mark", "queue_mapping", "protocol", "vlan_present", "vlan_tci",
               "vlan_proto", "priority", "ingress_ifindex", "ifindex", "tc_index", "hash", "napi_id") + \
    tuple(f"cb[{i}]" for i in range(5))
# What the verifier lets each program type read (measured: a read of anything else is refused).
READABLE = {
    "tc": set(_SKB_COMMON) | {"tc_classid", "data_meta", "tstamp", "wire_len", "gso_segs", "gso_size",
                              "tstamp_type", "hwtstamp"},
    "socket": set(_SKB_COMMON),
    "cgroup_skb": set(_SKB_COMMON) | set(SK_FIELDS),
    "xdp": {"ingress_ifindex", "rx_queue_index"},
}
POINTERS = {"data", "data_end", "data_meta"}  # values the simulator cannot give: kernel addresses


def layout(kind: str) -> Dict[str, Tuple[int, int]]:
    return XDP_MD if kind == "xdp" else SK_BUFF


def skb_defaults(packet: Packet) -> Dict[str, int]:
    """`__sk_buff` fields of a test run (the rest are zero or refused)."""
    frame = packet.frame
    values = {"len": packet.length(), "pkt_type": packet_type(frame), "protocol": ethertype(frame),
              "ifindex": 1}
    if packet.kind == "cgroup_skb":
        values.update(test_run_socket(frame))
    return values


def test_run_socket(frame: bytes) -> Dict[str, int]:
    """The dummy socket a test run gives cgroup_skb programs: its family and addresses come from
    the IP header (remote = destination, local = source, as the kernel stores them)."""
    proto = int.from_bytes(frame[12:14], "big")
    ip = frame[ETH_HLEN:]
    if proto == 0x0800 and len(ip) >= 20:
        return {"family": 2, "remote_ip4": int.from_bytes(ip[16:20], "little"),
                "local_ip4": int.from_bytes(ip[12:16], "little")}
    if proto == 0x86DD and len(ip) >= 40:
        out = {"family": 10}
        for i in range(4):
            out[f"remote_ip6[{i}]"] = int.from_bytes(ip[24 + 4 * i:28 + 4 * i], "little")
            out[f"local_ip6[{i}]"] = int.from_bytes(ip[8 + 4 * i:12 + 4 * i], "little")
        return out
    return {}


def xdp_defaults(packet: Packet) -> Dict[str, int]:
    return {"ingress_ifindex": 1, "rx_queue_index": 0}
