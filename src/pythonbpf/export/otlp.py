"""Pushing the same readings over OTLP (HTTP/protobuf) through the OpenTelemetry SDK.

The SDK's instruments cannot carry what the kernel keeps: there is no asynchronous histogram
instrument, and replaying bucket counts as single observations would cost one call per event.
So readings are turned directly into the SDK's exported data model (`MetricsData`, cumulative
temporality) and handed to the SDK's `OTLPMetricExporter`, which does the wire format,
retries and headers; nothing here encodes protobuf. Histograms keep their bucket layout as
explicit bounds (the same inclusive `le` bounds Prometheus gets), and min/max stay unset
because the kernel never saw them.
"""
from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any, List, Mapping, Optional
from urllib.parse import urlsplit

from opentelemetry.sdk.metrics.export import (AggregationTemporality, Gauge, Histogram,
                                              HistogramDataPoint, Metric, MetricExportResult,
                                              MetricsData, NumberDataPoint, ResourceMetrics,
                                              ScopeMetrics, Sum)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from .plan import plan
from .reading import Family, Reader, Reading

__all__ = ["OtlpPusher", "to_metrics_data", "metrics_url"]

log = logging.getLogger("pythonbpf.export")
CUMULATIVE = AggregationTemporality.CUMULATIVE
SCOPE = InstrumentationScope("pythonbpf.export")


def metrics_url(endpoint: str) -> str:
    """An OTLP/HTTP metrics URL: "http://collector:4318" gets the standard /v1/metrics."""
    if "://" not in endpoint:
        endpoint = "http://" + endpoint
    return endpoint.rstrip("/") + "/v1/metrics" if urlsplit(endpoint).path in ("", "/") else endpoint


def _metric(family: Family, start_ns: int, now_ns: int) -> Metric:
    spec = family.spec
    names = spec.label_names

    def attrs(labels: Any) -> dict:
        return dict(zip(names, labels))

    if spec.type == "histogram":
        points = [HistogramDataPoint(attributes=attrs(s.labels), start_time_unix_nano=start_ns,
                                     time_unix_nano=now_ns, count=s.count, sum=s.sum,
                                     bucket_counts=list(s.counts), explicit_bounds=list(s.bounds),
                                     min=None, max=None)
                  for s in family.series]
        data: Any = Histogram(data_points=points, aggregation_temporality=CUMULATIVE)
    else:
        points = [NumberDataPoint(attributes=attrs(s.labels), start_time_unix_nano=start_ns,
                                  time_unix_nano=now_ns, value=s.value)
                  for s in family.series]
        data = (Sum(data_points=points, aggregation_temporality=CUMULATIVE, is_monotonic=True)
                if spec.type == "counter" else Gauge(data_points=points))
    return Metric(name=spec.name, description=spec.help, unit=spec.unit, data=data)


def to_metrics_data(reading: Reading, resource: Resource, start_ns: int) -> MetricsData:
    """The SDK's export model for one reading."""
    metrics: List[Metric] = [_metric(f, start_ns, reading.time_ns) for f in reading.families]
    scope = ScopeMetrics(scope=SCOPE, metrics=metrics, schema_url="")
    return MetricsData(resource_metrics=[ResourceMetrics(resource=resource, scope_metrics=[scope],
                                                         schema_url="")])


class OtlpPusher:
    """Push readings every `interval` seconds to an OTLP/HTTP endpoint (a collector).

    `endpoint` None lets the SDK take OTEL_EXPORTER_OTLP_(METRICS_)ENDPOINT from the
    environment. `exporter` replaces the OTLP exporter (anything with `export(MetricsData)`).
    """

    def __init__(self, reader: Reader, endpoint: Optional[str] = None, interval: float = 15.0,
                 *, exporter: Any = None, resource: Optional[Mapping[str, str]] = None,
                 timeout: float = 10.0):
        if interval <= 0:
            raise ValueError("the OTLP interval must be positive")
        if exporter is None:
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

            exporter = OTLPMetricExporter(endpoint=metrics_url(endpoint) if endpoint else None,
                                          timeout=timeout)
        self._reader = reader
        self._exporter = exporter
        self.interval = interval
        self.resource = Resource.create({"service.name": "pythonbpf",
                                         "host.name": socket.gethostname(), **(resource or {})})
        self._start_ns = time.time_ns()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self.failures = 0

    @classmethod
    def for_bpf(cls, b: Any, endpoint: Optional[str] = None, interval: float = 15.0,
                metrics: Optional[Mapping[str, Any]] = None, **options: Any) -> "OtlpPusher":
        """A pusher of BPF object `b`'s maps (METRICS as for `Exporter`)."""
        specs, _ = plan(b, metrics)
        return cls(Reader(specs, b.maps, b.globals), endpoint, interval, **options)

    def push(self) -> bool:
        """Read the maps and export once; False (and logged) when the export failed."""
        data = to_metrics_data(self._reader.read(), self.resource, self._start_ns)
        try:
            ok = self._exporter.export(data) == MetricExportResult.SUCCESS
        except Exception as exc:  # a collector down must not stop the next push
            log.warning("OTLP export failed: %s", exc)
            ok = False
        self.failures += not ok
        return ok

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.push()

    def start(self) -> "OtlpPusher":
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="pythonbpf-otlp", daemon=True)
            self._thread.start()
        return self

    def close(self, final_push: bool = True) -> None:
        """Stop pushing (after one last push, so short runs are not lost); safe twice."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        thread.join(self.interval + 30)
        if final_push:
            self.push()
        shutdown = getattr(self._exporter, "shutdown", None)
        if shutdown is not None:
            shutdown()

    def __enter__(self) -> "OtlpPusher":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()
