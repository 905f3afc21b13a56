"""OTLP: readings become the OpenTelemetry SDK's export model, and the SDK's OTLP/HTTP
exporter delivers them; a local receiver decodes what arrives with the OTLP protobufs."""
from __future__ import annotations

import os
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

pytest.importorskip("opentelemetry.sdk")
pytest.importorskip("opentelemetry.exporter.otlp.proto.http")

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (  # noqa: E402
    ExportMetricsServiceRequest)

from pythonbpf.spec.types import U32, U64  # noqa: E402
from pythonbpf.export.cli import main  # noqa: E402
from pythonbpf.export.otlp import OtlpPusher, metrics_url  # noqa: E402
from pythonbpf.export.reading import Reader  # noqa: E402
from pythonbpf.export.spec import MapInfo, build_specs  # noqa: E402

INFOS = {"calls": MapInfo("calls", 1, U32, U64), "lat": MapInfo("lat", 6, U32, U64),
         "cur": MapInfo("cur", 1, U32, U64)}
METRICS = {"calls": {"type": "counter", "labels": ["pid"], "help": "calls"},
           "lat": {"type": "histogram", "unit": "us"}, "cur": {"labels": ["cpu"]}}


class Receiver:
    """A stand-in collector: records each OTLP/HTTP metrics request, decoded."""

    def __init__(self) -> None:
        self.requests = []
        received = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = ExportMetricsServiceRequest()
                request.ParseFromString(body)
                received.append((self.path, self.headers["Content-Type"], request))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"

    def metrics(self, index: int = -1) -> dict:
        _, _, request = self.requests[index]
        return {m.name: m for rm in request.resource_metrics for sm in rm.scope_metrics
                for m in sm.metrics}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def test_endpoint_gets_the_standard_path():
    assert metrics_url("http://c:4318") == "http://c:4318/v1/metrics"
    assert metrics_url("c:4318/") == "http://c:4318/v1/metrics"
    assert metrics_url("https://c/otlp/v1/metrics") == "https://c/otlp/v1/metrics"


def test_push_delivers_counters_gauges_and_histograms(receiver):
    views = {"calls": {7: 10, 8: 2}, "lat": {0: 3, 2: 1, 5: 2}, "cur": {1: 4}}
    reader = Reader(build_specs(INFOS, METRICS), views)
    pusher = OtlpPusher(reader, receiver.endpoint, interval=60,
                        resource={"pythonbpf.program": "prog.py"})
    assert pusher.push()
    path, content_type, request = receiver.requests[0]
    assert path == "/v1/metrics" and content_type == "application/x-protobuf"
    resource = {a.key: a.value.string_value for a in request.resource_metrics[0].resource.attributes}
    assert resource["service.name"] == "pythonbpf" and resource["pythonbpf.program"] == "prog.py"
    got = receiver.metrics()
    calls = got["pythonbpf_calls"]
    assert calls.description == "calls" and calls.sum.is_monotonic
    assert calls.sum.aggregation_temporality == 2  # cumulative
    assert {p.attributes[0].value.string_value: p.as_int for p in calls.sum.data_points} == \
        {"7": 10, "8": 2}
    assert [(p.attributes[0].key, p.as_int) for p in got["pythonbpf_cur"].gauge.data_points] == \
        [("cpu", 4)]
    lat = got["pythonbpf_lat_us"]
    assert lat.unit == "us"
    point = lat.histogram.data_points[0]
    assert list(point.explicit_bounds) == [1, 3, 7, 15, 31, 63]  # le = 2**(k+1) - 1
    assert list(point.bucket_counts) == [3, 0, 1, 0, 0, 2, 0]  # per bucket, then overflow
    assert point.count == 6 and point.sum == 3 * 0.5 + 1 * 5.5 + 2 * 47.5
    assert not point.HasField("min") and not point.HasField("max")  # the kernel never saw them


def test_pusher_runs_on_an_interval_and_pushes_once_more_at_close(receiver):
    views = {"calls": {1: 1}, "lat": {}, "cur": {}}
    pusher = OtlpPusher(Reader(build_specs(INFOS, METRICS), views), receiver.endpoint,
                        interval=0.05)
    with pusher:
        while len(receiver.requests) < 2:
            threading.Event().wait(0.01)
        views["calls"][1] = 5
    last = receiver.metrics()["pythonbpf_calls"].sum.data_points[0]
    assert last.as_int == 5  # the final push saw the last value
    assert pusher.failures == 0


def test_a_collector_down_is_a_failed_push_not_an_exception():
    reader = Reader(build_specs(INFOS, METRICS), {"calls": {}, "lat": {}, "cur": {}})
    pusher = OtlpPusher(reader, "http://127.0.0.1:9", interval=60, timeout=1)
    assert pusher.push() is False and pusher.failures == 1


@pytest.mark.kernel
def test_cli_pushes_a_program_s_maps(tmp_path: Path, receiver):
    path = tmp_path / "prog.py"
    path.write_text('''
from pythonbpf import Const, tracepoint
from pythonbpf.helper import pid
from pythonbpf.maps import HashMap
from pythonbpf.types import u32, u64

METRICS = {"calls": {"type": "counter", "labels": ["pid"]}}
ME = Const(u32, 0)
calls = HashMap(key=u32, value=u64, max_entries=16)

@tracepoint("syscalls:sys_enter_getppid")
def on_getppid(ctx):
    if pid() == ME:
        calls[pid()] += 1
    return 0
''')
    stop = threading.Event()

    def load() -> None:
        while not stop.is_set():
            os.getppid()
            stop.wait(0.001)

    worker = threading.Thread(target=load)
    worker.start()
    try:
        status = main([str(path), "--listen", "off", "--otlp", receiver.endpoint,
                       "--interval", "0.2", "--duration", "1", "--const", f"ME={os.getpid()}"])
    finally:
        stop.set()
        worker.join()
    assert status == 0
    assert len(receiver.requests) >= 3  # every 0.2 s, and once more at the end
    points = receiver.metrics()["pythonbpf_calls"].sum.data_points
    assert [p.attributes[0].value.string_value for p in points] == [str(os.getpid())]
    assert points[0].as_int > 0
