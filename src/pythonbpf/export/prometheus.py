"""Serving a BPF object's maps to Prometheus: a custom collector read at scrape time, on an
HTTP server of its own (prometheus_client's, with a private registry: nothing global)."""
from __future__ import annotations

import threading
from typing import Any, Iterator, List, Mapping, Optional, Tuple

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import (CounterMetricFamily, GaugeMetricFamily,
                                    HistogramMetricFamily, Metric)
from prometheus_client.utils import floatToGoString

from .address import DEFAULT_HOST, DEFAULT_PORT, Listen, parse_listen
from .plan import plan
from .reading import READ_ERRORS, READ_SECONDS, Family, Reader, Reading
from .spec import MetricSpec

__all__ = ["Exporter", "MapCollector"]


def _empty(spec: MetricSpec) -> Metric:
    labels = list(spec.label_names)
    if spec.type == "counter":
        return CounterMetricFamily(spec.name, spec.help, labels=labels, unit=spec.unit)
    if spec.type == "histogram":
        return HistogramMetricFamily(spec.name, spec.help, labels=labels, unit=spec.unit)
    return GaugeMetricFamily(spec.name, spec.help, labels=labels, unit=spec.unit)


def to_prometheus(family: Family) -> Metric:
    """A prometheus_client family with the reading's samples (histograms made cumulative)."""
    metric = _empty(family.spec)
    if family.spec.type != "histogram":
        for series in family.series:
            metric.add_metric(list(series.labels), series.value)
        return metric
    for series in family.series:
        running, buckets = 0, []
        for bound, count in zip(series.bounds, series.counts):
            running += count
            buckets.append((floatToGoString(bound), running))
        buckets.append(("+Inf", series.count))
        metric.add_metric(list(series.labels), buckets, series.sum)
    return metric


class MapCollector:
    """prometheus_client collector: each scrape takes a reading (or shares a recent one)."""

    def __init__(self, reader: Reader):
        self._reader = reader

    def describe(self) -> List[Metric]:
        """The families without samples, so the registry checks names without a reading."""
        return [_empty(spec) for spec in (*self._reader.specs, READ_ERRORS, READ_SECONDS)]

    def collect(self) -> Iterator[Metric]:
        reading: Reading = self._reader.read()
        for family in reading.families:
            yield to_prometheus(family)
        errors = _empty(READ_ERRORS)
        errors.add_metric([], reading.errors)
        yield errors
        seconds = _empty(READ_SECONDS)
        seconds.add_metric([], reading.duration)
        yield seconds


class Exporter:
    """Serve BPF object `b`'s maps as Prometheus metrics on http://HOST:PORT/metrics.

    `metrics` is a METRICS-style dict; None reads the program file's METRICS, and without
    one exports every integer-valued map as a gauge. The mapping is checked here, so a bad
    option or a name collision raises ExportConfigError before anything is served. `listen`
    is (host, port) or "host:port" and defaults to loopback; port 0 picks a free port (see
    `address`). A scrape reuses a reading younger than `max_age` seconds. The exporter does
    not own `b`: closing the exporter stops serving, `b.close()` detaches the programs.
    """

    def __init__(self, b: Any, listen: Listen = (DEFAULT_HOST, DEFAULT_PORT),
                 metrics: Optional[Mapping[str, Any]] = None, *, max_age: float = 0.0):
        self._b = b
        self.listen = parse_listen(listen)
        self.specs, self.skipped = plan(b, metrics)
        self.max_age = max_age
        self.reader: Optional[Reader] = None
        self.registry: Optional[CollectorRegistry] = None
        self._server: Any = None
        self._thread: Optional[threading.Thread] = None

    def make_reader(self) -> Reader:
        """The reader over `b`'s maps (loads `b` if it is not loaded yet)."""
        if self.reader is None:
            self.reader = Reader(self.specs, self._b.maps, self._b.globals, self.max_age)
        return self.reader

    def start(self) -> "Exporter":
        """Start serving (in a daemon thread); a no-op when already serving."""
        if self._server is not None:
            return self
        registry = CollectorRegistry(auto_describe=True)
        registry.register(MapCollector(self.make_reader()))
        host, port = self.listen
        self._server, self._thread = start_http_server(port, addr=host, registry=registry)
        self.registry = registry
        return self

    @property
    def address(self) -> Tuple[str, int]:
        """(host, port) actually bound (the chosen port when started with port 0)."""
        if self._server is None:
            return self.listen
        host, port = self._server.server_address[:2]
        return host, port

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{f'[{host}]' if ':' in host else host}:{port}/metrics"

    def close(self) -> None:
        """Stop serving and free the port; safe twice."""
        server, self._server = self._server, None
        thread, self._thread = self._thread, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(5)

    def __enter__(self) -> "Exporter":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "serving" if self._server is not None else "stopped"
        return f"<Exporter {self.url} {state}, {len(self.specs)} metrics>"
