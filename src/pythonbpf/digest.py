"""A blake2b hasher that costs no OpenSSL at start-up.

The compile cache (compiler/cache.py) hashes on every start (its keys and checksums), the
kernel-types identity and BTF index keys (btf/kernel.py, btf/index.py) whenever they are read. `hashlib` would load OpenSSL for that
(~3 ms); its C module `_blake2` is what hashlib's blake2b is and loads alone. It lives here, at
the package top, because btf/ may not import compiler/ and both need it.
"""
from __future__ import annotations

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Any

__all__ = ["hasher"]


def hasher(digest_size: int) -> "Any":
    """A new blake2b object with a `digest_size`-byte digest."""
    try:
        from _blake2 import blake2b
    except ImportError:  # pragma: no cover - CPython always has it
        from hashlib import blake2b
    return blake2b(digest_size=digest_size)
