"""Histograms of map contents in the text form bpftrace and BCC users know.

A program builds a histogram by counting into `hist[log2(x)] += 1` (power-of-two buckets)
or `hist[x // step] += 1` (linear buckets); these print it. Bucket labels are half-open
ranges `[lo, hi)` that match the program-side `log2` exactly: `log2(x)` is floor(log2(x))
for x >= 1 and 0 for x == 0, so bucket 0 holds 0 and 1 and is labelled `[0, 2)`, and bucket
k >= 1 holds 2**k .. 2**(k+1) - 1, labelled `[2^k, 2^(k+1))` (with K/M/G/T suffixes for
powers of 1024). Rows run from the first to the last non-empty bucket, empty ones between
included. Per-CPU counts are summed. Output goes to `sys.stdout` as it is when called
(so redirections and pytest's capture see it), or to `file`.
"""
from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, Dict, List, Optional, TextIO, Tuple

__all__ = ["print_log2_hist", "print_linear_hist", "log2_buckets", "linear_buckets",
           "log2_range", "range_label"]

BAR_WIDTH = 40
_SUFFIXES = ((1 << 40, "T"), (1 << 30, "G"), (1 << 20, "M"), (1 << 10, "K"))


def _count(value: Any) -> int:
    total = getattr(value, "sum", None)
    if callable(total) and isinstance(value, list):
        value = total()  # per-CPU counts
    if not isinstance(value, int):
        value = getattr(value, "value", value)
    if not isinstance(value, int):
        raise TypeError(f"histogram counts must be integers, got {type(value).__name__}")
    return value


def _counts(source: Any, b: Any = None) -> Dict[int, int]:
    """{bucket: count} from a map view, a map name (with `b`), or any mapping."""
    if isinstance(source, str) or callable(source) and not isinstance(source, Mapping):
        if b is None:
            raise TypeError("a map given by name needs its BPF object: print_log2_hist("
                            "'hist', b=b), or pass b['hist']")
        source = b[source]
    if not hasattr(source, "items"):
        raise TypeError(f"cannot read a histogram from {type(source).__name__}")
    counts: Dict[int, int] = {}
    for key, value in source.items():
        bucket = getattr(key, "value", key)
        if not isinstance(bucket, int):
            raise TypeError(f"histogram keys must be bucket numbers, got {type(key).__name__}")
        counts[bucket] = counts.get(bucket, 0) + _count(value)
    return counts


def _human(n: int) -> str:
    for size, suffix in _SUFFIXES:
        if n >= size and n % size == 0:
            return f"{n // size}{suffix}"
    return str(n)


def range_label(lo: int, hi: int) -> str:
    """"[lo, hi)" with K/M/G/T for multiples of powers of 1024."""
    return f"[{_human(lo)}, {_human(hi)})"


def log2_range(bucket: int) -> Tuple[int, int]:
    """The values [lo, hi) that `log2(x)` puts in `bucket`."""
    return (0, 2) if bucket == 0 else (1 << bucket, 1 << (bucket + 1))


def _rows(counts: Dict[int, int], lo_bucket: int = 0) -> List[int]:
    used = [k for k, v in counts.items() if v and k >= lo_bucket]
    if not used:
        return []
    return list(range(min(used), max(used) + 1))


def log2_buckets(source: Any, b: Any = None) -> List[Tuple[int, int, int]]:
    """(lo, hi, count) per power-of-two bucket, first to last non-empty."""
    counts = _counts(source, b)
    return [(*log2_range(k), counts.get(k, 0)) for k in _rows(counts)]


def linear_buckets(source: Any, step: int = 1, start: int = 0,
                   b: Any = None) -> List[Tuple[int, int, int]]:
    """(lo, hi, count) per linear bucket (key k covers [start + k*step, start + (k+1)*step))."""
    counts = _counts(source, b)
    rows = _rows(counts, lo_bucket=-(1 << 62))
    return [(start + k * step, start + (k + 1) * step, counts.get(k, 0)) for k in rows]


def _print(rows: List[Tuple[str, int]], label: str, out: Optional[TextIO]) -> None:
    out = out if out is not None else sys.stdout
    width = max([len(label), 16] + [len(text) for text, _ in rows])
    top = max([count for _, count in rows] + [0])
    print(f"{label:>{width}} : count    distribution", file=out)
    for text, count in rows:
        stars = (count * BAR_WIDTH + top - 1) // top if top and count else 0
        print(f"{text:>{width}} : {count:<8} |{'*' * stars:<{BAR_WIDTH}}|", file=out)


def print_log2_hist(source: Any, label: str = "value", b: Any = None,
                    file: Optional[TextIO] = None) -> None:
    """Print a power-of-two histogram: keys are `log2(x)` buckets, values counts.

    `source` is a map view (`b["hist"]`), a map name with `b=`, or a dict.
    """
    rows = [(range_label(lo, hi), count) for lo, hi, count in log2_buckets(source, b)]
    _print(rows, label, file)


def print_linear_hist(source: Any, label: str = "value", step: int = 1, start: int = 0,
                      b: Any = None, file: Optional[TextIO] = None) -> None:
    """Print a linear histogram: key k counts values in [start + k*step, start + (k+1)*step).

    With step 1 each row is labelled with its value alone, as BCC does.
    """
    if step < 1:
        raise ValueError("step must be >= 1")
    rows = [(str(lo) if step == 1 else f"[{lo}, {hi})", count)
            for lo, hi, count in linear_buckets(source, step, start, b)]
    _print(rows, label, file)
