"""`--listen` values: where the HTTP endpoint binds. Loopback unless an address is given,
because map contents (pids, paths, addresses) are not for every host on the network."""
from __future__ import annotations

from typing import Tuple, Union

__all__ = ["parse_listen", "DEFAULT_HOST", "DEFAULT_PORT"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9435

Listen = Union[str, int, Tuple[str, int]]


def parse_listen(listen: Listen) -> Tuple[str, int]:
    """(host, port) from "host:port", "[v6]:port", ":port" or "port" (loopback), an int port,
    or a (host, port) tuple. Port 0 picks a free port."""
    if isinstance(listen, tuple):
        host, port = listen
    elif isinstance(listen, int):
        host, port = DEFAULT_HOST, listen
    else:
        text = listen.strip()
        if text.startswith("["):
            host, sep, rest = text[1:].partition("]")
            if not sep or not rest.startswith(":"):
                raise ValueError(f"bad listen address {listen!r}: write [ADDR]:PORT")
            port_text = rest[1:]
        elif ":" in text:
            host, _, port_text = text.rpartition(":")
            if ":" in host:
                raise ValueError(f"bad listen address {listen!r}: write IPv6 as [ADDR]:PORT")
        else:
            host, port_text = "", text
        try:
            port = int(port_text)
        except ValueError:
            raise ValueError(f"bad listen address {listen!r}: the port must be a number") from None
    host = host or DEFAULT_HOST
    if not 0 <= int(port) <= 65535:
        raise ValueError(f"bad listen port {port}: must be 0..65535")
    return str(host), int(port)
