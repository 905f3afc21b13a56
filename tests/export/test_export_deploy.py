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
