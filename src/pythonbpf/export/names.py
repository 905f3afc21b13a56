"""Prometheus metric and label names: sanitizing map names, validating chosen names, and
the sample names each metric type puts on the wire (what collisions are checked against).

A counter named `x` is written as `x_total` and a histogram `x` as `x_bucket`, `x_sum` and
`x_count`, so `x_total` the gauge and `x` the counter collide although their names differ;
checking the written names catches that before the first scrape would.
"""
from __future__ import annotations

import re
from typing import Tuple

from .errors import ExportConfigError

__all__ = ["sanitize", "check_metric_name", "check_label_name", "sample_names", "base_name"]

_METRIC = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_INVALID = re.compile(r"[^a-zA-Z0-9_]")
RESERVED_LABELS = frozenset({"le", "quantile"})


def sanitize(text: str) -> str:
    """`text` as a metric name part: invalid characters become `_`, no leading digit."""
    out = _INVALID.sub("_", text)
    return "_" + out if not out or out[0].isdigit() else out


def check_metric_name(name: str, where: str) -> str:
    if not _METRIC.match(name):
        raise ExportConfigError(f"{where}: {name!r} is not a valid Prometheus metric name "
                                "(letters, digits, '_' and ':', not starting with a digit)")
    return name


def check_label_name(name: str, where: str) -> str:
    if not isinstance(name, str) or not _LABEL.match(name):
        raise ExportConfigError(f"{where}: {name!r} is not a valid Prometheus label name "
                                "(letters, digits and '_', not starting with a digit)")
    if name.startswith("__"):
        raise ExportConfigError(f"{where}: label {name!r}: names starting with '__' are "
                                "reserved by Prometheus")
    if name in RESERVED_LABELS:
        raise ExportConfigError(f"{where}: label {name!r} is reserved by Prometheus "
                                "(histogram buckets and summaries use it); rename it")
    return name


def base_name(kind: str, name: str) -> str:
    """The family name prometheus_client writes: counters lose a `_total` suffix."""
    return name[:-len("_total")] if kind == "counter" and name.endswith("_total") else name


def sample_names(kind: str, name: str) -> Tuple[str, ...]:
    """Every name a metric of `kind` puts on the wire (family name included)."""
    base = base_name(kind, name)
    if kind == "counter":
        return base, base + "_total", base + "_created"
    if kind == "histogram":
        return base, base + "_bucket", base + "_sum", base + "_count", base + "_created"
    return (base,)
