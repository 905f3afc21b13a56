"""The deploy/ files stay true: the example program compiles and its METRICS are valid, the
ConfigMap carries the same program, and the commands in the unit and the manifest parse."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

pytest.importorskip("prometheus_client")

from pythonbpf import BPF  # noqa: E402
from pythonbpf.export import Exporter, metrics_from_source  # noqa: E402
from pythonbpf.export.cli import build_parser  # noqa: E402

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_example_program_compiles_with_valid_metrics():
    b = BPF(path=str(DEPLOY / "syscalls.py"))  # compiles; nothing reaches the kernel
    exporter = Exporter(b)
    assert {(s.name, s.type) for s in exporter.specs} == {
        ("pythonbpf_syscalls", "counter"), ("pythonbpf_write_sizes_bytes", "histogram")}
    assert exporter.listen == ("127.0.0.1", 9435)
    b.close()


def test_configmap_carries_the_example_program():
    manifest = (DEPLOY / "kubernetes" / "daemonset.yaml").read_text()
    block = manifest.split("  prog.py: |\n", 1)[1].split("\n---\n", 1)[0]
    program = "".join(line[4:] if line.strip() else "\n" for line in block.splitlines(True))
    assert program.rstrip("\n") == (DEPLOY / "syscalls.py").read_text().rstrip("\n")


def test_commands_in_the_unit_and_the_manifest_parse():
    unit = (DEPLOY / "systemd" / "pythonbpf-export.service").read_text()
    command = shlex.split(re.search(r"^ExecStart=(.*)$", unit, re.M).group(1))
    assert command[1] == "export"
    args = build_parser().parse_args(command[2:])
    assert args.listen == "127.0.0.1:9435"  # loopback unless the operator changes it
    manifest = (DEPLOY / "kubernetes" / "daemonset.yaml").read_text()
    line = re.search(r'^\s+args: (\[.*\])$', manifest, re.M).group(1)
    argv = [a.strip().strip('"') for a in line.strip("[]").split(",")]
    assert argv[0] == "export"
    assert build_parser().parse_args(argv[1:]).listen == "$(POD_IP):9435"


def test_fleet_doc_example_compiles_with_valid_metrics():
    text = (DEPLOY.parent / "docs" / "fleet.md").read_text()
    source = re.findall(r"```python\n(.*?)```", text, re.S)[0]
    b = BPF(source=source)
    specs = Exporter(b, metrics=metrics_from_source(source)).specs
    assert [(s.name, s.type) for s in specs] == [("pythonbpf_opens", "counter"),
                                                 ("pythonbpf_latency_seconds", "histogram")]
    b.close()


def test_grafana_dashboard_names_only_metrics_the_exporter_serves():
    """Every metric a dashboard query names is one the exporter writes for the example program
    (counters with `_total`, histograms as `_bucket`/`_sum`/`_count`, its own read metrics); the
    queries' answers are checked against a real Prometheus in test_export_prometheus.py."""
    import json

    board = json.loads((DEPLOY / "grafana" / "pythonbpf-syscalls.json").read_text())
    b = BPF(path=str(DEPLOY / "syscalls.py"))
    served = {"pythonbpf_exporter_read_seconds", "pythonbpf_exporter_read_errors_total"}
    for spec in Exporter(b).specs:
        suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}.get(spec.type, [""])
        served.update(spec.name + suffix for suffix in suffixes)
    b.close()
    exprs = [t["expr"] for panel in board["panels"] for t in panel["targets"]]
    named = {name for expr in exprs for name in re.findall(r"\bpythonbpf_[a-z0-9_]+", expr)}
    assert len(exprs) >= 6 and named <= served, named - served
    assert {"pythonbpf_syscalls_total", "pythonbpf_write_sizes_bytes_bucket"} <= named
    assert {p["id"] for p in board["panels"]} == set(range(1, len(board["panels"]) + 1))
    assert all(p["datasource"]["uid"] == "${DS_PROMETHEUS}" for p in board["panels"])


def test_fleet_doc_lists_the_dashboards_queries():
    import json

    board = json.loads((DEPLOY / "grafana" / "pythonbpf-syscalls.json").read_text())
    text = (DEPLOY.parent / "docs" / "fleet.md").read_text()
    block = re.search(r"## A Grafana dashboard\n.*?```promql\n(.*?)```", text, re.S).group(1)
    assert block.splitlines() == [t["expr"] for panel in board["panels"] for t in panel["targets"]]
