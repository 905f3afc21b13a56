"""A real Prometheus (Debian's `prometheus` server) scrapes `pythonbpf export` every second;
what its HTTP query API answers equals the events the test made, exactly: a counter and every
bucket of a histogram. Then the Grafana dashboard's queries, run against the same server
scraping the deploy/ example program, each return data.

Everything started here (the server, the exporter, the workload) is stopped in `finally`, and
the server's storage lives in the test's temporary directory.
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("prometheus_client")

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from system_packages import require_packages  # noqa: E402

PROMETHEUS = "/usr/bin/prometheus"
DASHBOARD = ROOT / "deploy" / "grafana" / "pythonbpf-syscalls.json"
WAIT = 60.0  # seconds any one condition may take (start-up, a scrape, a value showing up)

PROGRAM = '''
from pythonbpf import Const, tracepoint
from pythonbpf.helper import log2, pid
from pythonbpf.maps import HashMap
from pythonbpf.types import u32, u64

METRICS = {
    "calls": {"type": "counter", "help": "getppid calls of one process", "labels": ["pid"]},
    "sizes": {"type": "histogram", "unit": "bytes", "help": "write sizes", "max_bucket": 13},
}

ME = Const(u32, 0)
FD = Const(u32, 57)
calls = HashMap(key=u32, value=u64, max_entries=16)
sizes = HashMap(key=u32, value=u64, max_entries=64)

@tracepoint("syscalls:sys_enter_getppid")
def on_getppid(ctx):
    if pid() != ME:
        return 0
    calls[pid()] += 1
    return 0

@tracepoint("syscalls:sys_enter_write")
def on_write(ctx):
    if pid() != ME or ctx.fd != FD:
        return 0
    sizes[log2(ctx.count)] += 1
    return 0
'''

CALLS = 777
SIZES = [0, 1, 2, 3, 5, 8, 13, 100, 1000, 1023, 1024, 4095, 4096, 9000, 20000, 70000]
FD = 57

# Waits for a line on stdin, then makes exactly CALLS getppid() calls and one write of each size
# to fd FD (/dev/null), and says so.
WORKLOAD = f'''
import os, sys
os.dup2(os.open(os.devnull, os.O_WRONLY), {FD})
sys.stdin.readline()
for _ in range({CALLS}):
    os.getppid()
for size in {SIZES!r}:
    os.write({FD}, b"x" * size)
print("done", flush=True)
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, probe, timeout: float = WAIT):
    """Poll `probe` until it returns something true; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = probe()
        except OSError as exc:  # not listening yet
            last = exc
        if last and not isinstance(last, Exception):
            return last
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; last: {last!r}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Prometheus:
    """A Prometheus server on 127.0.0.1 scraping `targets` every second, storage in `workdir`."""

    def __init__(self, workdir: Path, targets: list):
        require_packages({PROMETHEUS: "prometheus"})
        self.port = free_port()
        config = workdir / "prometheus.yml"
        config.write_text(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
            "scrape_configs:\n  - job_name: pythonbpf\n    static_configs:\n"
            f"      - targets: {json.dumps(targets)}\n")
        self.log = open(workdir / "prometheus.log", "w+")
        self.proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={workdir / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"
        wait_for("Prometheus to be ready", self._ready)

    def _ready(self) -> bool:
        if self.proc.poll() is not None:
            self.log.seek(0)
            raise AssertionError(f"prometheus exited with {self.proc.returncode}:\n{self.log.read()[-3000:]}")
        with urllib.request.urlopen(self.url + "/-/ready", timeout=2) as response:
            return response.status == 200

    def query(self, expr: str) -> list:
        """The instant vector `expr` evaluates to now: [(labels, float value)]."""
        url = self.url + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        with urllib.request.urlopen(url, timeout=10) as response:
            body = json.load(response)
        assert body["status"] == "success", body
        return [(r["metric"], float(r["value"][1])) for r in body["data"]["result"]]

    def scraped(self, target: str) -> bool:
        """Prometheus has scraped `target` successfully (its `up` is 1)."""
        return any(labels.get("instance") == target and value == 1.0
                   for labels, value in self.query('up{job="pythonbpf"}'))

    def close(self) -> None:
        stop(self.proc)
        self.log.close()


def start_exporter(program: str, *args: str) -> tuple:
    """`pythonbpf export PROGRAM --listen 127.0.0.1:0 ARGS`: the process and host:port it serves on."""
    proc = subprocess.Popen([sys.executable, "-m", "pythonbpf.export.cli", program, "--listen", "127.0.0.1:0",
                             *args], stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=str(ROOT / "src")))
    line = proc.stderr.readline()
    while line and "serving" not in line:  # warnings (a program without LICENSE) come first
        line = proc.stderr.readline()
    found = re.search(r"serving \d+ metrics on http://(127\.0\.0\.1:\d+)", line)
    if not found:
        stop(proc)
        raise AssertionError(f"the exporter did not start: {line}{proc.stderr.read()}")
    return proc, found.group(1)


def test_prometheus_reads_the_exact_counter_and_buckets(tmp_path):
    program = tmp_path / "prog.py"
    program.write_text(PROGRAM)
    workload = subprocess.Popen([sys.executable, "-c", WORKLOAD], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
    exporter = prometheus = None
    try:
        exporter, target = start_exporter(str(program), "--const", f"ME={workload.pid}", "--const", f"FD={FD}")
        prometheus = Prometheus(tmp_path, [target])
        wait_for(f"a first scrape of {target}", lambda: prometheus.scraped(target))
        workload.stdin.write("go\n")
        workload.stdin.flush()
        assert workload.stdout.readline().strip() == "done"
        assert workload.wait(timeout=30) == 0

        def counted():
            found = prometheus.query("pythonbpf_calls_total")
            return found if found and found[0][1] >= CALLS else None

        [(labels, value)] = wait_for(f"pythonbpf_calls_total to reach {CALLS}", counted)
        assert value == CALLS
        assert labels["pid"] == str(workload.pid) and labels["job"] == "pythonbpf"
        assert labels["instance"] == target

        def bucketed():
            found = prometheus.query('pythonbpf_sizes_bytes_bucket{le="+Inf"}')
            return found if found and found[0][1] >= len(SIZES) else None

        wait_for("the +Inf bucket to hold every write", bucketed)
        buckets = {labels["le"]: value for labels, value in prometheus.query("pythonbpf_sizes_bytes_bucket")}
        expected = {}
        for k in range(14):  # max_bucket 13: bucket k holds 2**k .. 2**(k+1)-1 (0 and 1 in bucket 0)
            le = (1 << (k + 1)) - 1
            expected[float(le)] = sum(1 for size in SIZES if size <= le)
        assert {float(le): v for le, v in buckets.items() if le != "+Inf"} == expected
        assert buckets["+Inf"] == len(SIZES)  # 20000 and 70000 are above the last finite bucket
        [(_, count)] = prometheus.query("pythonbpf_sizes_bytes_count")
        assert count == len(SIZES)
        # more scrapes later, every sample Prometheus stored still says exactly CALLS
        wait_for("three samples of the counter",
                 lambda: prometheus.query("count_over_time(pythonbpf_calls_total[5m]) >= 3"))
        assert prometheus.query("max_over_time(pythonbpf_calls_total[5m])")[0][1] == CALLS
        assert prometheus.query("min_over_time(pythonbpf_calls_total[5m])")[0][1] == CALLS
    finally:
        if workload.poll() is None:
            workload.kill()
            workload.wait()
        for proc in (exporter,):
            if proc is not None:
                stop(proc)
                proc.stderr.close()
        if prometheus is not None:
            prometheus.close()


def dashboard_queries() -> list:
    """Every PromQL expression of the Grafana dashboard, its variables set as Grafana would."""
    board = json.loads(DASHBOARD.read_text())
    exprs = [target["expr"] for panel in board["panels"] for target in panel.get("targets", [])]
    assert exprs, "the dashboard has no queries"
    return [expr.replace("$__rate_interval", "10s").replace("$instance", ".*").replace("$job", "pythonbpf")
            for expr in exprs]


def test_grafana_dashboard_queries_return_data_from_the_example_program(tmp_path):
    """deploy/grafana's dashboard against the deploy/ example program: each query names metrics
    the exporter really serves, so Prometheus answers each with at least one series."""
    exprs = dashboard_queries()
    exporter = prometheus = None
    try:
        exporter, target = start_exporter(str(ROOT / "deploy" / "syscalls.py"))
        prometheus = Prometheus(tmp_path, [target])
        wait_for(f"a first scrape of {target}", lambda: prometheus.scraped(target))
        time.sleep(3)  # rate() needs two samples inside its window: a few scrapes at 1 s
        for expr in exprs:
            result = wait_for(f"data for {expr!r}", lambda: prometheus.query(expr), timeout=20)
            assert all(value == value for _, value in result), (expr, result)  # no NaN
    finally:
        if exporter is not None:
            stop(exporter)
            exporter.stderr.close()
        if prometheus is not None:
            prometheus.close()
