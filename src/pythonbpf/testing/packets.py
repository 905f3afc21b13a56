"""Packet builders for test runs of XDP/tc/socket programs.

Layers compose with `/`, outermost first, and become bytes with `bytes(...)`:

    bytes(ether() / ipv4(src="10.0.0.1", dst="10.0.0.2") / udp(1234, 53, b"hi"))

Everything a correct packet needs and a test rarely cares about is filled in
when the packet is built: EtherType and IP protocol from the next layer, IP
lengths, the IPv4 header checksum, UDP/TCP lengths and checksums (with the
IPv4 or IPv6 pseudo-header). Pass a field explicitly to build a deliberately
wrong packet (a bad checksum, a lying length, an odd IHL).
"""
from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass
from typing import Optional, Union

__all__ = [
    "Layer", "Packet", "Ether", "IPv4", "IPv6", "UDP", "TCP", "ICMP", "Raw",
    "ether", "ipv4", "ipv6", "udp", "tcp", "icmp", "packet", "checksum",
    "ETH_P_IP", "ETH_P_IPV6", "IPPROTO_ICMP", "IPPROTO_TCP", "IPPROTO_UDP",
]

ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
IPPROTO_ICMP = 1
IPPROTO_TCP = 6
IPPROTO_UDP = 17

_TCP_FLAG_BITS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10, "U": 0x20,
                  "E": 0x40, "C": 0x80}

LayerLike = Union["Layer", bytes, bytearray]


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071): one's complement of the one's complement sum."""
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _mac(value: Union[str, bytes]) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        raw = bytes(value)
    else:
        raw = bytes(int(part, 16) for part in value.replace("-", ":").split(":"))
    if len(raw) != 6:
        raise ValueError(f"a MAC address has 6 bytes, not {len(raw)}: {value!r}")
    return raw


def _ip(value: Union[str, bytes, int], version: int) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        raw = bytes(value)
        if len(raw) != (4 if version == 4 else 16):
            raise ValueError(f"an IPv{version} address has {4 if version == 4 else 16} bytes")
        return raw
    address = ipaddress.ip_address(value)
    if address.version != version:
        raise ValueError(f"{value!r} is not an IPv{version} address")
    return address.packed


class Layer:
    """One protocol header; `a / b` stacks `b` inside `a`."""

    def __truediv__(self, inner: LayerLike) -> "Packet":
        return Packet((self,)) / inner

    def __rtruediv__(self, outer: LayerLike) -> "Packet":
        return Packet((_as_layer(outer), self))

    def __bytes__(self) -> bytes:
        return bytes(Packet((self,)))

    def build(self, payload: bytes, inner: Optional["Layer"], outer: Optional["Layer"]) -> bytes:
        """This header followed by `payload` (the already built inner layers)."""
        raise NotImplementedError

    def protocol_number(self) -> Optional[int]:
        """The IP protocol number of this layer, when it can follow an IP header."""
        return None


@dataclass(frozen=True)
class Packet:
    """A stack of layers, outermost first."""

    layers: tuple

    def __truediv__(self, inner: LayerLike) -> "Packet":
        return Packet(self.layers + (_as_layer(inner),))

    def __rtruediv__(self, outer: LayerLike) -> "Packet":
        return Packet((_as_layer(outer),) + self.layers)

    def __bytes__(self) -> bytes:
        payload = b""
        layers = self.layers
        for index in range(len(layers) - 1, -1, -1):
            inner = layers[index + 1] if index + 1 < len(layers) else None
            outer = layers[index - 1] if index > 0 else None
            payload = layers[index].build(payload, inner, outer)
        return payload

    def __len__(self) -> int:
        return len(bytes(self))


@dataclass(frozen=True)
class Raw(Layer):
    """Literal bytes (a payload, or a header these builders do not know)."""

    data: bytes = b""

    def build(self, payload: bytes, inner: Optional[Layer], outer: Optional[Layer]) -> bytes:
        return self.data + payload


def _as_layer(value: LayerLike) -> Layer:
    if isinstance(value, Layer):
        return value
    if isinstance(value, (bytes, bytearray)):
        return Raw(bytes(value))
    raise TypeError(f"cannot stack {type(value).__name__} in a packet")


@dataclass(frozen=True)
class Ether(Layer):
    dst: Union[str, bytes] = "02:00:00:00:00:02"
    src: Union[str, bytes] = "02:00:00:00:00:01"
    type: Optional[int] = None  # default: from the next layer, else IPv4

    def build(self, payload: bytes, inner: Optional[Layer], outer: Optional[Layer]) -> bytes:
        ethertype = self.type
        if ethertype is None:
            ethertype = ETH_P_IPV6 if isinstance(inner, IPv6) else ETH_P_IP
        return _mac(self.dst) + _mac(self.src) + struct.pack("!H", ethertype) + payload


@dataclass(frozen=True)
class IPv4(Layer):
    src: Union[str, bytes, int] = "10.0.0.1"
    dst: Union[str, bytes, int] = "10.0.0.2"
    proto: Optional[int] = None  # default: from the next layer, else UDP
    ttl: int = 64
    tos: int = 0
    id: int = 0
    flags: int = 0x2  # DF
    frag_offset: int = 0
    options: bytes = b""  # padded with zeros (End of Options) to a multiple of 4
    ihl: Optional[int] = None  # default: 5 + options
    total_length: Optional[int] = None
    checksum: Optional[int] = None

    def protocol_number(self) -> Optional[int]:
        return 4  # IP-in-IP

    def header_fields(self, inner: Optional[Layer]) -> tuple:
        options = self.options + b"\x00" * (-len(self.options) % 4)
        proto = self.proto
        if proto is None:
            proto = inner.protocol_number() if inner is not None else None
            proto = IPPROTO_UDP if proto is None else proto
        ihl = self.ihl if self.ihl is not None else 5 + len(options) // 4
        return options, proto, ihl

    def build(self, payload: bytes, inner: Optional[Layer], outer: Optional[Layer]) -> bytes:
        options, proto, ihl = self.header_fields(inner)
        total = self.total_length
        if total is None:
            total = 20 + len(options) + len(payload)
        header = struct.pack(
            "!BBHHHBBH4s4s", (4 << 4) | (ihl & 0xF), self.tos, total, self.id,
            (self.flags << 13) | self.frag_offset, self.ttl, proto, 0,
            _ip(self.src, 4), _ip(self.dst, 4)) + options
        value = checksum(header) if self.checksum is None else self.checksum
        return header[:10] + struct.pack("!H", value) + header[12:] + payload

    def pseudo_header(self, proto: int, length: int) -> bytes:
        return _ip(self.src, 4) + _ip(self.dst, 4) + struct.pack("!BBH", 0, proto, length)


@dataclass(frozen=True)
class IPv6(Layer):
    src: Union[str, bytes] = "fd00::1"
    dst: Union[str, bytes] = "fd00::2"
    next_header: Optional[int] = None  # default: from the next layer, else UDP
    hop_limit: int = 64
    traffic_class: int = 0
    flow_label: int = 0
    payload_length: Optional[int] = None

    def protocol_number(self) -> Optional[int]:
        return 41

    def build(self, payload: bytes, inner: Optional[Layer], outer: Optional[Layer]) -> bytes:
        nxt = self.next_header
        if nxt is None:
            nxt = inner.protocol_number() if inner is not None else None
            nxt = IPPROTO_UDP if nxt is None else nxt
        length = len(payload) if self.payload_length is None else self.payload_length
        first = (6 << 28) | (self.traffic_class << 20) | self.flow_label
        return (struct.pack("!IHBB", first, length, nxt, self.hop_limit)
                + _ip(self.src, 6) + _ip(self.dst, 6) + payload)

    def pseudo_header(self, proto: int, length: int) -> bytes:
        return _ip(self.src, 6) + _ip(self.dst, 6) + struct.pack("!IxxxB", length, proto)


def _transport_checksum(segment: bytes, proto: int, outer: Optional[Layer]) -> int:
    """Checksum over the pseudo-header of the enclosing IP layer and the segment."""
    if isinstance(outer, (IPv4, IPv6)):
        return checksum(outer.pseudo_header(proto, len(segment)) + segment)
    return 0  # no IP layer around it: nothing meaningful to cover


@dataclass(frozen=True)
class UDP(Layer):
    sport: int = 1234
    dport: int = 80
    payload: bytes = b""
    length: Optional[int] = None
    checksum: Optional[int] = None  # default: computed (0 is sent as 0xffff)

    def protocol_number(self) -> Optional[int]:
        return IPPROTO_UDP

    def build(self, payload: bytes, inner: Optional[Layer], outer: Optional[Layer]) -> bytes:
        data = self.payload + payload
        length = 8 + len(data) if self.length is None else self.length
        segment = struct.pack("!HHHH", self.sport, self.dport, length, 0) + data
        value = self.checksum
        if value is None:
            value = _transport_checksum(segment, IPPROTO_UDP, outer)
            if value == 0 and isinstance(outer, (IPv4, IPv6)):
                value = 0xFFFF
        return segment[:6] + struct.pack("!H", value) + segment[8:]


@dataclass(frozen=True)
class TCP(Layer):
    sport: int = 1234
    dport: int = 80
    seq: int = 0
    ack: int = 0
    flags: Union[int, str] = "S"  # an int, or letters from "FSRPAUEC"
    window: int = 65535
    urgent: int = 0
    options: bytes = b""  # padded with zeros to a multiple of 4
    payload: bytes = b""
    data_offset: Optional[int] = None  # in 32-bit words; default 5 + options
    checksum: Optional[int] = None

    def protocol_number(self) -> Optional[int]:
        return IPPROTO_TCP

    def flag_bits(self) -> int:
        if isinstance(self.flags, int):
            return self.flags
        try:
            return sum(_TCP_FLAG_BITS[letter] for letter in set(self.flags.upper()))
        except KeyError as exc:
            raise ValueError(f"unknown TCP flag {exc.args[0]!r} (use FSRPAUEC)") from None

    def build(self, payload: bytes, inner: Optional[Layer], outer: Optional[Layer]) -> bytes:
        options = self.options + b"\x00" * (-len(self.options) % 4)
        offset = self.data_offset if self.data_offset is not None else 5 + len(options) // 4
        segment = struct.pack("!HHIIBBHHH", self.sport, self.dport, self.seq, self.ack,
                              offset << 4, self.flag_bits(), self.window, 0,
                              self.urgent) + options + self.payload + payload
        value = self.checksum
        if value is None:
            value = _transport_checksum(segment, IPPROTO_TCP, outer)
        return segment[:16] + struct.pack("!H", value) + segment[18:]


@dataclass(frozen=True)
class ICMP(Layer):
    """ICMPv4 echo-style header (type 8 = echo request, 0 = reply)."""

    type: int = 8
    code: int = 0
    id: int = 0
    seq: int = 0
    payload: bytes = b""
    checksum: Optional[int] = None

    def protocol_number(self) -> Optional[int]:
        return IPPROTO_ICMP

    def build(self, payload: bytes, inner: Optional[Layer], outer: Optional[Layer]) -> bytes:
        message = struct.pack("!BBHHH", self.type, self.code, 0, self.id, self.seq)
        message += self.payload + payload
        value = checksum(message) if self.checksum is None else self.checksum
        return message[:2] + struct.pack("!H", value) + message[4:]


# Lower-case constructors read like the protocol stack they build.
ether = Ether
ipv4 = IPv4
ipv6 = IPv6
icmp = ICMP


def udp(sport: int = 1234, dport: int = 80, payload: bytes = b"", **fields: object) -> UDP:
    return UDP(sport, dport, payload, **fields)  # type: ignore[arg-type]


def tcp(sport: int = 1234, dport: int = 80, flags: Union[int, str] = "S",
        **fields: object) -> TCP:
    return TCP(sport=sport, dport=dport, flags=flags, **fields)  # type: ignore[arg-type]


def packet(*layers: LayerLike) -> bytes:
    """The bytes of `layers` stacked outermost first: `packet(ether(), ipv4(), udp())`."""
    if not layers:
        return b""
    return bytes(Packet(tuple(_as_layer(layer) for layer in layers)))

