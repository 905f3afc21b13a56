"""LPM tries: longest-prefix-match lookups over keys `{prefixlen: u32, data...}`.

Kernel facts kept here: a lookup (from a program or from user space) finds the entry with the
longest prefix that matches the first `prefixlen` bits of the key's data; two keys with the same
prefix length and the same leading bits are the same entry (an update replaces it, keeping the
new key's bytes); a prefix longer than the data is EINVAL; a full trie refuses a new prefix
with ENOSPC (not E2BIG).
"""
from __future__ import annotations

import errno
from typing import Dict, List, Optional, Tuple

from ..memory import Ptr
from .base import SimMap, UserValue

Node = Tuple[bytes, bytearray]  # (the key as stored, the value)


def prefix_bits(data: bytes, bits: int) -> int:
    """The first `bits` bits of `data` (big-endian bit order, as the trie compares them)."""
    whole = int.from_bytes(data, "big")
    return whole >> (len(data) * 8 - bits) if bits else 0


class LpmTrie(SimMap):
    def __init__(self, decl, ncpus: int) -> None:
        super().__init__(decl, ncpus)
        self.data_size = self.key_size - 4
        self.nodes: Dict[Tuple[int, int], Node] = {}

    def split(self, key: bytes) -> Tuple[int, bytes]:
        return int.from_bytes(key[:4], "little"), bytes(key[4:4 + self.data_size])

    def node_id(self, key: bytes) -> Optional[Tuple[int, int]]:
        plen, data = self.split(key)
        if plen > self.data_size * 8:
            return None
        return plen, prefix_bits(data, plen)

    def match(self, key: bytes) -> Optional[Node]:
        plen, data = self.split(key)
        best: Optional[Node] = None
        best_len = -1
        for (node_len, bits), node in self.nodes.items():
            if node_len <= plen and node_len > best_len and prefix_bits(data, node_len) == bits:
                best, best_len = node, node_len
        return best

    # ---- programs ----------------------------------------------------------------------
    def lookup_elem(self, key: bytes, cpu: int) -> Optional[Ptr]:
        node = self.match(key)
        return None if node is None else Ptr(node[1])

    def update_elem(self, key: bytes, value: bytes, flags: int, cpu: int) -> int:
        ident = self.node_id(key)
        if ident is None:
            return -errno.EINVAL
        exists = ident in self.nodes
        status = self.check_flags(flags, exists)
        if status:
            return status
        if not exists and len(self.nodes) >= self.max_entries:
            return -errno.ENOSPC
        self.nodes[ident] = (bytes(key), bytearray(value))
        return 0

    def delete_elem(self, key: bytes) -> int:
        ident = self.node_id(key)
        if ident is None or self.nodes.pop(ident, None) is None:
            return -errno.ENOENT
        return 0

    # ---- user space --------------------------------------------------------------------
    def get(self, key: bytes) -> Optional[UserValue]:
        node = self.match(key)
        return None if node is None else bytes(node[1])

    def put(self, key: bytes, value: UserValue, flags: int) -> int:
        return self.update_elem(key, bytes(value), flags, 0)

    def keys(self) -> List[bytes]:
        return [node[0] for node in self.nodes.values()]
