"""Reading maps into plain numbers: the part shared by the Prometheus and OTLP outputs.

A reading is a handful of whole-map reads (`items()`, the kernel's batch lookups where it has
them): syscalls that copy values out while programs keep running. Nothing is locked on the
kernel side, so a reading is not a consistent snapshot across keys - a counter read early may
be behind one read late - but every value is one the kernel held, and per-CPU slots are added
up here rather than by stopping CPUs. Only one reading runs at a time (concurrent scrapes
wait for it and share it), and `max_age` lets several scrapers share one reading.

Histograms: key k of a log2 histogram counts the values v with `log2(v) == k`, i.e. bucket 0
holds 0 and 1 and bucket k >= 1 holds 2**k .. 2**(k+1) - 1, so its inclusive upper bound
(Prometheus `le`) is 2**(k+1) - 1. The kernel keeps counts only, so the histogram's sum is
estimated as if every value sat at the middle of its bucket (at most 33% off per value,
usually far less over many) unless the program keeps the exact sum in a Global (`"sum"`).
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from .spec import MetricSpec

__all__ = ["Series", "HistogramSeries", "Family", "Reading", "Reader", "SELF_SPECS",
           "bucket_bounds"]

log = logging.getLogger("pythonbpf.export")

READ_ERRORS = MetricSpec(map="", name="pythonbpf_exporter_read_errors", type="counter",
                         help="map reads that failed (the metric was left out of that reading)")
READ_SECONDS = MetricSpec(map="", name="pythonbpf_exporter_read_seconds", type="gauge",
                          help="how long the last reading of the maps took")
SELF_SPECS = (READ_ERRORS, READ_SECONDS)


@dataclass
class Series:
    labels: Tuple[str, ...]
    value: float


@dataclass
class HistogramSeries:
    labels: Tuple[str, ...]
    bounds: List[float]  # inclusive upper bounds of the finite buckets, ascending
    counts: List[int]  # per bucket (not cumulative); one more than bounds: above the last
    sum: float
    count: int


@dataclass
class Family:
    spec: MetricSpec
    series: List[Any] = field(default_factory=list)


@dataclass
class Reading:
    families: List[Family]
    time_ns: int  # wall clock, for OTLP data points
    duration: float  # seconds the reading took
    errors: int  # failed map reads since the reader was made


def bucket_bounds(spec: MetricSpec, k: int) -> Tuple[int, int]:
    """The smallest and largest integer value bucket `k` of `spec` holds."""
    if spec.buckets == "linear":
        return k * spec.step, (k + 1) * spec.step - 1
    return (0 if k == 0 else 1 << k), (1 << (k + 1)) - 1


def _value(value: Any, field_name: Optional[str]) -> int:
    """An integer from a map value: per-CPU lists summed, struct fields picked."""
    if isinstance(value, list):
        if field_name:
            return sum(getattr(v, field_name) for v in value)
        return sum(value)
    return getattr(value, field_name) if field_name else value


def _scaled(bound: int, scale: float) -> float:
    """`bound * scale` without binary noise in the `le` label (15e-06, not 1.4999999999999999e-05)."""
    return float(bound) if scale == 1 else float(f"{bound * scale:.15g}")


def _labels(key: Any, spec: MetricSpec) -> Tuple[str, ...]:
    return tuple(str(key if kl.field is None else getattr(key, kl.field)) for kl in spec.labels)


class Reader:
    """Turns maps into `Family` lists, one reading at a time, reused for `max_age` seconds.

    `views` maps map names to anything with `items()` (the BPF object's map views, or dicts
    in tests); `globals_` is looked up for histogram sums kept in a Global.
    """

    def __init__(self, specs: Sequence[MetricSpec], views: Mapping[str, Any],
                 globals_: Any = None, max_age: float = 0.0):
        self.specs = list(specs)
        self._views = dict(views)
        self._globals = globals_
        self.max_age = max_age
        self._lock = threading.Lock()
        self._last: Optional[Reading] = None
        self._last_mono = 0.0
        self._errors = 0
        self._failing: set = set()  # maps whose failure was logged (log once per outage)
        self._top: Dict[str, int] = {}  # highest bucket seen per histogram: buckets never vanish

    def read(self) -> Reading:
        with self._lock:
            now = time.monotonic()
            if self._last is not None and now - self._last_mono < self.max_age:
                return self._last
            families = []
            for spec in self.specs:
                try:
                    families.append(self._family(spec))
                    self._failing.discard(spec.map)
                except Exception as exc:  # one bad map must not fail the scrape
                    self._errors += 1
                    if spec.map not in self._failing:
                        self._failing.add(spec.map)
                        log.warning("reading map %r for %s failed: %s", spec.map, spec.name, exc)
            done = time.monotonic()
            self._last = Reading(families, time.time_ns(), done - now, self._errors)
            self._last_mono = done
            return self._last

    def _family(self, spec: MetricSpec) -> Family:
        items = self._views[spec.map].items()
        if spec.type == "histogram":
            return Family(spec, self._histograms(spec, items))
        series: Dict[Tuple[str, ...], int] = {}
        for key, value in items:
            number = _value(value, spec.value_field)
            if spec.skip_zero and not number:
                continue
            labels = _labels(key, spec)
            series[labels] = series.get(labels, 0) + number
        return Family(spec, [Series(labels, value) for labels, value in series.items()])

    def _histograms(self, spec: MetricSpec, items: List[Tuple[Any, Any]]) -> List[HistogramSeries]:
        groups: Dict[Tuple[str, ...], Dict[int, int]] = {}
        for key, value in items:
            count = _value(value, spec.value_field)
            if not count:
                continue
            bucket = getattr(key, spec.bucket_field) if spec.bucket_field else key
            counts = groups.setdefault(_labels(key, spec), {})
            counts[bucket] = counts.get(bucket, 0) + count
        if not groups and not spec.labels:
            groups[()] = {}  # an unlabelled histogram is there from the start, empty
        if spec.max_bucket is not None:
            top = spec.max_bucket
        else:
            seen = [k for counts in groups.values() for k in counts]
            top = max([self._top.get(spec.name, 0), *seen])
            self._top[spec.name] = top
        low = 0
        if spec.buckets == "linear":  # signed keys may count negative values
            low = min([0, *(k for counts in groups.values() for k in counts)])
        exact_sum = None
        if spec.sum_global and self._globals is not None:
            exact_sum = float(self._globals[spec.sum_global]) * spec.scale
        out = []
        for labels, counts in groups.items():
            per_bucket = [0] * (top - low + 2)
            total, estimate = 0, 0.0
            for k, n in counts.items():
                if spec.buckets == "log2":
                    k = max(k, 0)
                index = k - low if k <= top else top - low + 1
                per_bucket[index] += n
                lo, hi = bucket_bounds(spec, k)
                total += n
                estimate += n * (lo + hi) / 2
            bounds = [_scaled(bucket_bounds(spec, k)[1], spec.scale) for k in range(low, top + 1)]
            out.append(HistogramSeries(labels, bounds, per_bucket,
                                       exact_sum if exact_sum is not None else estimate * spec.scale,
                                       total))
        return out
