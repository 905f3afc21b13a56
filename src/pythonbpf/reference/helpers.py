"""Integer helpers of the language as plain Python: log2, byte swaps, Internet checksums.

These are what the compiled program computes (`log2` as `63 - ctlz(x | 1)`, the byte swaps as
`llvm.bswap`) or what the kernel's helpers compute (`bpf_l3_csum_replace`,
`bpf_l4_csum_replace`, whose arithmetic is the kernel's `csum_*` functions on values as the
CPU loads them from the packet, little-endian). The simulator in `pythonbpf.testing.sim` uses
them, so it and this reference agree by construction.
"""
from __future__ import annotations

M16 = 0xFFFF
M32 = 0xFFFFFFFF


def log2(x: int) -> int:
    """floor(log2(x)) for x >= 1, and 0 for 0 (x read as u64)."""
    return ((int(x) & (2 ** 64 - 1)) | 1).bit_length() - 1


def bswap(x: int, bits: int) -> int:
    """`x`'s low `bits` bits with their bytes reversed (htons/ntohs: 16, htonl/ntohl: 32)."""
    size = bits // 8
    return int.from_bytes((int(x) & ((1 << bits) - 1)).to_bytes(size, "little"), "big")


# ---- the kernel's ones' complement arithmetic (include/net/checksum.h) ------------------------

def csum_add(a: int, b: int) -> int:
    res = (a + b) & M32
    return (res + (res < b)) & M32


def csum_sub(a: int, b: int) -> int:
    return csum_add(a, ~b & M32)


def csum_fold(csum: int) -> int:
    s = (csum & M16) + (csum >> 16)
    s = (s & M16) + (s >> 16)
    return ~s & M16


def csum16_add(csum: int, addend: int) -> int:
    res = ((csum & M16) + (addend & M16)) & M16
    return (res + (res < (addend & M16))) & M16


def csum_replace2(checksum: int, old: int, new: int) -> int:
    """The 16-bit checksum after a 16-bit word changed from `old` to `new`."""
    return ~csum16_add(csum16_add(~checksum & M16, ~old & M16), new) & M16


def csum_replace4(checksum: int, old: int, new: int) -> int:
    """The checksum after a 32-bit word changed (also inet_proto_csum_replace2/4 on a packet
    without CHECKSUM_PARTIAL, as in test runs)."""
    tmp = csum_sub(~checksum & M32, old & M32)
    return csum_fold(csum_add(tmp, new & M32))


def csum_replace_by_diff(checksum: int, diff: int) -> int:
    return csum_fold(csum_add(diff & M32, ~checksum & M32))
