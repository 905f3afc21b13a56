"""The exporter without the kernel: METRICS read statically, checked before serving (clear
errors for collisions and bad options), readings from plain dicts turned into the Prometheus
text format, listen addresses."""
from __future__ import annotations

import textwrap
from pathlib import Path
import pytest

pytest.importorskip("prometheus_client")

from prometheus_client import CollectorRegistry, generate_latest  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from pythonbpf import BPF  # noqa: E402
from pythonbpf.spec.types import StrType, StructType, Field, U32, U64  # noqa: E402
from pythonbpf.export import ExportConfigError, Exporter, metrics_from_source  # noqa: E402
from pythonbpf.export.address import parse_listen  # noqa: E402
from pythonbpf.export.cli import main  # noqa: E402
from pythonbpf.export.prometheus import MapCollector  # noqa: E402
from pythonbpf.export.reading import Reader  # noqa: E402
from pythonbpf.export.spec import MapInfo, build_specs, default_specs  # noqa: E402
from pythonbpf.runtime.mapview import PerCpu  # noqa: E402
from pythonbpf.runtime.records import Record  # noqa: E402

HEADER = '''
from pythonbpf import bpf, struct, tracepoint, Global
from pythonbpf.helper import pid
from pythonbpf.maps import HashMap, ArrayMap, RingBuf
from pythonbpf.types import u32, u64

@bpf
@struct
class Stats:
    packets: u64
    bytes: u64

hits = Global(u64)
a = HashMap(key=u32, value=u64, max_entries=8)
stats_packets = HashMap(key=u32, value=u64, max_entries=8)
stats = HashMap(key=u32, value=Stats, max_entries=8)
slots = ArrayMap(key=u32, value=u64, max_entries=8)
events = RingBuf(max_entries=4096)

@tracepoint("syscalls:sys_enter_getppid")
def prog(ctx):
    a[pid()] += 1
    return 0
'''


def compiled(tmp_path: Path, metrics: str = "") -> BPF:
    path = tmp_path / "prog.py"
    path.write_text(HEADER + textwrap.dedent(metrics))
    return BPF(path=str(path))  # compiles only: nothing reaches the kernel


def error(tmp_path: Path, metrics: str) -> str:
    b = compiled(tmp_path, metrics)
    with pytest.raises(ExportConfigError) as info:
        Exporter(b, listen=0)
    b.close()
    return str(info.value)


# ---- METRICS in the program file ---------------------------------------------------------

def test_metrics_are_read_without_running_the_file():
    source = 'import sys\nsys.exit(3)\nMETRICS = {"a": {"type": "counter", "labels": ["pid"]}}\n'
    assert metrics_from_source(source) == {"a": {"type": "counter", "labels": ["pid"]}}
    assert metrics_from_source("x = 1\n") is None
    with pytest.raises(ExportConfigError, match=r"prog.py:2: METRICS must be a literal"):
        metrics_from_source("N = 1\nMETRICS = {'a': {'help': str(N)}}\n", "prog.py")
    with pytest.raises(ExportConfigError, match="must be a dict"):
        metrics_from_source("METRICS = [1]\n")


def test_defaults_export_integer_maps_as_gauges(tmp_path):
    b = compiled(tmp_path)
    exporter = Exporter(b, listen=0)
    assert {s.name: (s.type, s.label_names) for s in exporter.specs} == {
        "pythonbpf_a": ("gauge", ("key",)), "pythonbpf_stats_packets": ("gauge", ("key",)),
        "pythonbpf_slots": ("gauge", ("key",))}
    assert dict(exporter.skipped).keys() == {"stats", "events"}
    b.close()


def test_the_file_metrics_replace_the_defaults(tmp_path):
    b = compiled(tmp_path, 'METRICS = {"stats": {"type": "counter", "labels": ["ifindex"]}}\n')
    names = [(s.name, s.value_field) for s in Exporter(b, listen=0).specs]
    assert names == [("pythonbpf_stats_packets", "packets"), ("pythonbpf_stats_bytes", "bytes")]
    b.close()


# ---- errors before serving ---------------------------------------------------------------

def test_metric_name_collision_is_an_error_at_start(tmp_path):
    # a struct value's field metric and another map's default name meet
    text = error(tmp_path, 'METRICS = {"stats": {"field": "packets"}, "stats_packets": {}}\n')
    assert "metric name collision" in text and "'pythonbpf_stats_packets'" in text
    text = error(tmp_path, 'METRICS = {"stats": {}, "stats_packets": {"name": "pythonbpf_stats_bytes"}}\n')
    assert "pythonbpf_stats_bytes" in text and "map 'stats'" in text and "map 'stats_packets'" in text
    # a counter `x` writes `x_total`: a gauge of that name collides although the names differ
    text = error(tmp_path, 'METRICS = {"a": {"type": "counter", "name": "x"}, '
                           '"slots": {"name": "x_total"}}\n')
    assert "'x_total'" in text and "another \"name\"" in text
    # a histogram writes _bucket, _sum, _count
    assert "'h_count'" in error(tmp_path, 'METRICS = {"a": {"type": "histogram", "name": "h"}, '
                                          '"slots": {"name": "h_count"}}\n')
    # the exporter's own metrics are taken
    assert "pythonbpf_exporter_read_seconds" in error(
        tmp_path, 'METRICS = {"a": {"name": "pythonbpf_exporter_read_seconds"}}\n')


def test_label_collisions_and_reserved_labels_are_errors():
    key = StructType("K", (Field("pid", U32, 0), Field("tid", U32, 4)), 8, 4)
    infos = {"m": MapInfo("m", 1, key, U64), "i": MapInfo("i", 1, U32, U64)}
    with pytest.raises(ExportConfigError, match="label 'p' is used twice"):
        build_specs(infos, {"m": {"labels": ["p", "p"]}})
    with pytest.raises(ExportConfigError, match="label 'le' is reserved"):
        build_specs(infos, {"i": {"labels": ["le"]}})
    with pytest.raises(ExportConfigError, match="reserved by Prometheus"):
        build_specs(infos, {"i": {"labels": ["__name__"]}})
    with pytest.raises(ExportConfigError, match="not a valid Prometheus label name"):
        build_specs(infos, {"i": {"labels": ["1pid"]}})
    with pytest.raises(ExportConfigError, match="each field of key struct K in order"):
        build_specs(infos, {"m": {"labels": ["pid"]}})
    assert build_specs(infos, {"m": {"labels": {"tid": "thread"}}})[0].label_names == ("pid", "thread")


@pytest.mark.parametrize("metrics, message", [
    ('{"nope": {}}', "no map named 'nope' (maps: a, events, slots, stats, stats_packets)"),
    ('{"events": {}}', "ringbuf maps cannot be exported"),
    ('{"a": {"typ": "counter"}}', "unknown option 'typ'"),
    ('{"a": {"type": "summary"}}', "'type' must be one of counter, gauge, histogram"),
    ('{"a": {"type": "gauge", "max_bucket": 3}}', "max_bucket only apply to histograms"),
    ('{"a": {"field": "x"}}', "'field' is for struct values"),
    ('{"stats": {"field": "x"}}', "integer field of Stats (packets, bytes), not 'x'"),
    ('{"a": {"name": "bad-name"}}', "'bad-name' is not a valid Prometheus metric name"),
    ('{"a": {"type": "histogram", "labels": ["x"]}}', "a histogram keyed by an integer has no labels"),
    ('{"a": {"type": "histogram", "sum": "nothing"}}', "'sum' names 'nothing', which is not a Global"),
    ('{"a": {"type": "histogram", "linear": 0}}', "'linear' must be an integer >= 1"),
    ('{"a": {"unit": "m/s"}}', "'unit' must be a plain word"),
    ('{"a": {"labels": ["x", "y"]}}', "a list of one name"),
])
def test_bad_options_are_clear_errors(tmp_path, metrics, message):
    assert message in error(tmp_path, f"METRICS = {metrics}\n")


def test_cli_rejects_bad_metrics_before_loading(tmp_path, capsys):
    path = tmp_path / "prog.py"
    path.write_text(HEADER + 'METRICS = {"a": {"name": "x"}, "slots": {"name": "x"}}\n')
    assert main([str(path), "--listen", "127.0.0.1:0"]) == 2
    assert "metric name collision" in capsys.readouterr().err
    assert main([str(path), "--listen", "127.0.0.1:http"]) == 2
    assert "the port must be a number" in capsys.readouterr().err
    path.write_text(HEADER + "def broken(:\n")
    assert main([str(path)]) == 1


def test_listen_addresses():
    assert parse_listen("127.0.0.1:9435") == ("127.0.0.1", 9435)
    assert parse_listen(":9100") == ("127.0.0.1", 9100)  # no host: loopback, not everywhere
    assert parse_listen("9100") == ("127.0.0.1", 9100)
    assert parse_listen(0) == ("127.0.0.1", 0)
    assert parse_listen("0.0.0.0:80") == ("0.0.0.0", 80)
    assert parse_listen("[::1]:9435") == ("::1", 9435)
    for bad in ("::1:9435", "host:99999", "[::1]9435"):
        with pytest.raises(ValueError):
            parse_listen(bad)


# ---- readings to the text format -------------------------------------------------------

KEY = StructType("K", (Field("pid", U32, 0), Field("comm", StrType(16), 4)), 20, 4)
HKEY = StructType("H", (Field("cpu", U32, 0), Field("slot", U32, 4)), 8, 4)
VALUE = StructType("V", (Field("packets", U64, 0), Field("bytes", U64, 8)), 16, 8)
INFOS = {"arr": MapInfo("arr", 6, U32, U64), "byproc": MapInfo("byproc", 1, KEY, VALUE),
         "lat": MapInfo("lat", 1, U32, U64), "lin": MapInfo("lin", 1, HKEY, U64)}
METRICS = {
    "arr": {"type": "counter", "labels": ["cpu"]},
    "byproc": [{"type": "counter", "field": "packets"},
               {"type": "gauge", "field": "bytes", "unit": "bytes", "name": "proc_bytes"}],
    "lat": {"type": "histogram", "unit": "seconds", "scale": 1e-6},
    "lin": {"type": "histogram", "linear": 10, "labels": {"cpu": "core"}},
}


def record(**fields):
    return Record(**fields)  # what map views decode structs to


def views():
    return {
        "arr": {0: PerCpu([1, 2]), 1: PerCpu([0, 0]), 2: PerCpu([0, 5])},
        "byproc": {record(pid=7, comm="bash"): PerCpu([record(packets=1, bytes=100),
                                                       record(packets=2, bytes=50)])},
        "lat": {0: 2, 3: 1, 10: 4},
        "lin": {record(cpu=0, slot=0): 1, record(cpu=0, slot=2): 3, record(cpu=1, slot=1): 5},
    }


def text_of(reader: Reader) -> dict:
    registry = CollectorRegistry()
    registry.register(MapCollector(reader))
    out: dict = {}
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        for s in family.samples:
            out.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return out


def test_reading_sums_per_cpu_values_and_makes_cumulative_buckets():
    got = text_of(Reader(build_specs(INFOS, METRICS), views()))
    # array maps: zero entries left out, per-CPU slots added up
    assert got["pythonbpf_arr_total"] == {(("cpu", "0"),): 3, (("cpu", "2"),): 5}
    # struct keys: fields are labels; struct values: one metric per field asked for
    labels = (("comm", "bash"), ("pid", "7"))
    assert got["pythonbpf_byproc_packets_total"] == {labels: 3}
    assert got["proc_bytes"] == {labels: 150}
    # log2 buckets in microseconds, scaled to seconds: le = (2**(k+1) - 1) * 1e-6
    lat = got["pythonbpf_lat_seconds_bucket"]
    assert len(lat) == 11 + 1
    assert lat[(("le", "1e-06"),)] == 2 and lat[(("le", "1.5e-05"),)] == 3
    assert lat[(("le", "0.001023"),)] == 3 and lat[(("le", "0.002047"),)] == 7
    assert lat[(("le", "+Inf"),)] == 7
    assert got["pythonbpf_lat_seconds_sum"][()] == pytest.approx(
        (2 * 0.5 + 1 * (8 + 15) / 2 + 4 * (1024 + 2047) / 2) * 1e-6)
    # linear buckets with a label from the key struct: key k counts [10k, 10k + 9]
    lin = got["pythonbpf_lin_bucket"]
    assert [lin[(("core", "0"), ("le", le))] for le in ("9.0", "19.0", "29.0", "+Inf")] == [1, 1, 4, 4]
    assert [lin[(("core", "1"), ("le", le))] for le in ("9.0", "19.0", "29.0", "+Inf")] == [0, 5, 5, 5]
    assert got["pythonbpf_lin_sum"][(("core", "0"),)] == 1 * 4.5 + 3 * 24.5


def test_histogram_buckets_never_disappear_and_max_bucket_caps():
    data = views()
    reader = Reader(build_specs(INFOS, {"lat": {"type": "histogram"}}), data)
    assert len(text_of(reader)["pythonbpf_lat_bucket"]) == 12
    data["lat"] = {0: 1}  # the map was cleared: the series keeps its buckets
    assert len(text_of(reader)["pythonbpf_lat_bucket"]) == 12
    capped = Reader(build_specs(INFOS, {"lat": {"type": "histogram", "max_bucket": 3}}), views())
    got = text_of(capped)
    assert len(got["pythonbpf_lat_bucket"]) == 5  # buckets 0..3, then +Inf
    assert got["pythonbpf_lat_bucket"][(("le", "15.0"),)] == 3
    assert got["pythonbpf_lat_bucket"][(("le", "+Inf"),)] == 7


class Failing(dict):
    def items(self):
        raise OSError("map gone")


def test_a_failing_map_is_counted_not_fatal_and_max_age_shares_readings(caplog):
    data = views()
    data["lat"] = Failing()
    reader = Reader(build_specs(INFOS, METRICS), data, max_age=60)
    got = text_of(reader)
    assert "pythonbpf_lat_seconds_bucket" not in got and "pythonbpf_arr_total" in got
    assert got["pythonbpf_exporter_read_errors_total"] == {(): 1}
    assert "map 'lat'" in caplog.text and "map gone" in caplog.text
    data["arr"][0] = PerCpu([100, 0])
    assert text_of(reader)["pythonbpf_arr_total"][(("cpu", "0"),)] == 3  # the shared reading
    reader.max_age = 0
    again = text_of(reader)
    assert again["pythonbpf_arr_total"][(("cpu", "0"),)] == 100
    assert again["pythonbpf_exporter_read_errors_total"] == {(): 2}


def test_default_specs_skip_what_cannot_be_a_gauge():
    specs, skipped = default_specs({**INFOS, "q": MapInfo("q", 22, None, U64)})
    assert [(s.name, s.label_names) for s in specs] == [
        ("pythonbpf_arr", ("key",)), ("pythonbpf_lat", ("key",)), ("pythonbpf_lin", ("cpu", "slot"))]
    assert dict(skipped).keys() == {"byproc", "q"}
