"""Helpers for testing BPF programs from pytest: packet builders for test_run."""
from .packets import (ICMP, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPv4, IPv6, TCP, UDP,
                      ETH_P_IP, ETH_P_IPV6, Ether, Layer, Packet, Raw, checksum, ether, icmp,
                      ipv4, ipv6, packet, tcp, udp)

__all__ = [
    "ETH_P_IP", "ETH_P_IPV6", "Ether", "ICMP", "IPPROTO_ICMP", "IPPROTO_TCP", "IPPROTO_UDP",
    "IPv4", "IPv6", "Layer", "Packet", "Raw", "TCP", "UDP", "checksum", "ether", "icmp",
    "ipv4", "ipv6", "packet", "tcp", "udp",
]
