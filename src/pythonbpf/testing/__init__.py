"""Helpers for testing BPF programs from pytest: packet builders for test_run, and the
simulator (`simulate`, `mirror`, `crosscheck`, `SimulationError`) for tests without root."""
from .packets import (ICMP, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPv4, IPv6, TCP, UDP,
                      ETH_P_IP, ETH_P_IPV6, Ether, Layer, Packet, Raw, checksum, ether, icmp,
                      ipv4, ipv6, packet, tcp, udp)

__all__ = [
    "ETH_P_IP", "ETH_P_IPV6", "Ether", "ICMP", "IPPROTO_ICMP", "IPPROTO_TCP", "IPPROTO_UDP",
    "IPv4", "IPv6", "Layer", "Packet", "Raw", "TCP", "UDP", "checksum", "ether", "icmp",
    "ipv4", "ipv6", "packet", "tcp", "udp",
]

_SIM = ("simulate", "Simulation", "SimulationError", "mirror", "crosscheck", "Mirror", "Disagreement",
        "kernel_available", "save_tracepoint_formats")
__all__ += list(_SIM)


def __getattr__(name: str):
    """The simulator loads on first use: packet builders stay a light import."""
    if name in _SIM:
        from . import sim

        return getattr(sim, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
