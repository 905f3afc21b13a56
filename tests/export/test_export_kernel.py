"""The exporter against the kernel: programs count, Prometheus scrapes over HTTP, and what the
scrape says equals what the maps hold. Also: 1,000 scrapes while the program is busy, with
the memory they cost; the loopback default; the CLI serving until SIGTERM."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("prometheus_client")

from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from pythonbpf import BPF  # noqa: E402
from pythonbpf.export import Exporter  # noqa: E402

pytestmark = pytest.mark.kernel

ROOT = Path(__file__).resolve().parents[2]

COUNTER = '''
from pythonbpf import Global, tracepoint
from pythonbpf.helper import pid
from pythonbpf.maps import HashMap
from pythonbpf.types import u32, u64

METRICS = {"calls": {"type": "counter", "help": "getppid calls", "labels": ["pid"]}}

me = Global(u32)
calls = HashMap(key=u32, value=u64, max_entries=64)

@tracepoint("syscalls:sys_enter_getppid")
def on_getppid(ctx):
    if pid() != me:
        return 0
    calls[pid()] += 1
    return 0
'''

HISTOGRAM = '''
from pythonbpf import Global, bpf, struct, tracepoint
from pythonbpf.helper import pid, log2
from pythonbpf.maps import HashMap, PerCPUHashMap
from pythonbpf.types import u32, u64

METRICS = {
    "sizes": {"type": "histogram", "log2": True, "unit": "bytes", "help": "write sizes"},
    "exact": {"type": "histogram", "unit": "bytes", "sum": "written",
              "name": "test_write_size_exact"},
    "by_fd": {"type": "histogram", "bucket": "slot", "labels": ["fd"], "max_bucket": 12},
}

@bpf
@struct
class FdSlot:
    fd: u32
    slot: u32

me = Global(u32)
fd = Global(u32)
written = Global(u64)
sizes = PerCPUHashMap(key=u32, value=u64, max_entries=64)
exact = HashMap(key=u32, value=u64, max_entries=64)
by_fd = HashMap(key=FdSlot, value=u64, max_entries=256)

@tracepoint("syscalls:sys_enter_write")
def on_write(ctx):
    global written
    if pid() != me or ctx.fd != fd:
        return 0
    sizes[log2(ctx.count)] += 1
    exact[log2(ctx.count)] += 1
    k = FdSlot()
    k.fd = ctx.fd
    k.slot = log2(ctx.count)
    by_fd[k] += 1
    written += ctx.count
    return 0
'''

SIZES = [0, 1, 1, 2, 3, 4, 7, 8, 100, 1000, 1023, 1024, 4096, 5000]


def program(tmp_path: Path, source: str, name: str = "prog.py") -> str:
    path = tmp_path / name
    path.write_text(source)
    return str(path)


def scrape(url: str) -> dict:
    """{sample name: {labels as a sorted tuple: value}} from one scrape."""
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    out: dict = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return out


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture
def counter(tmp_path):
    with BPF(path=program(tmp_path, COUNTER)) as b:
        b.load()
        b.globals["me"] = os.getpid()
        b.attach_all()
        yield b


def test_counter_scrape_equals_the_map(counter):
    n = 321
    with Exporter(counter, listen=("127.0.0.1", 0)) as exporter:
        for _ in range(n):
            os.getppid()
        samples = scrape(exporter.url)
        counter.detach()
        assert counter["calls"][os.getpid()] == n
        assert samples["pythonbpf_calls_total"] == {(("pid", str(os.getpid())),): n}
        assert samples["pythonbpf_exporter_read_errors_total"] == {(): 0}
        for _ in range(5):
            os.getppid()  # detached: nothing more is counted
        assert scrape(exporter.url)["pythonbpf_calls_total"] == {(("pid", str(os.getpid())),): n}


def cumulative(counts: dict, bounds: list) -> list:
    return [sum(c for k, c in counts.items() if k <= i) for i in range(len(bounds))]


def test_histograms_scrape_equal_the_maps(tmp_path):
    with BPF(path=program(tmp_path, HISTOGRAM)) as b, open(os.devnull, "wb", buffering=0) as f:
        b.load()
        b.globals["me"], b.globals["fd"] = os.getpid(), f.fileno()
        b.attach_all()
        for size in SIZES:
            f.write(b"x" * size)
        b.detach()
        with Exporter(b, listen=("127.0.0.1", 0)) as exporter:
            samples = scrape(exporter.url)
        sizes = {k: v.sum() for k, v in b["sizes"].items()}  # per-CPU counts, summed
        by_fd = {k.slot: v for k, v in b["by_fd"].items()}
        fd = str(f.fileno())
    expected = {}
    for size in SIZES:
        bucket = max(size.bit_length() - 1, 0)
        expected[bucket] = expected.get(bucket, 0) + 1
    assert sizes == expected == {k: v for k, v in by_fd.items()}
    top = max(expected)
    buckets = samples["pythonbpf_sizes_bytes_bucket"]
    # le = 2**(k+1) - 1, the largest value bucket k holds; bucket 0 holds 0 and 1
    les = [(1 << (k + 1)) - 1 for k in range(top + 1)]
    assert [buckets[(("le", f"{le}.0"),)] for le in les] == cumulative(expected, les)
    assert buckets[(("le", "+Inf"),)] == len(SIZES)
    assert samples["pythonbpf_sizes_bytes_count"] == {(): len(SIZES)}
    # the sum is estimated at each bucket's middle...
    estimate = sum(n * ((0 if k == 0 else 1 << k) + (1 << (k + 1)) - 1) / 2 for k, n in expected.items())
    assert samples["pythonbpf_sizes_bytes_sum"] == {(): estimate}
    # ... or exact, from the Global the program adds each value to
    assert samples["test_write_size_exact_bytes_sum"] == {(): sum(SIZES)}
    assert samples["test_write_size_exact_bytes_count"] == {(): len(SIZES)}
    # a struct key: the bucket field makes buckets, the other field a label; fixed max_bucket
    labelled = samples["pythonbpf_by_fd_bucket"]
    assert len(labelled) == 13 + 1
    for k in range(13):
        le = f"{(1 << (k + 1)) - 1}.0"
        assert labelled[(("fd", fd), ("le", le))] == sum(n for b_, n in expected.items() if b_ <= k)
    assert labelled[(("fd", fd), ("le", "+Inf"))] == len(SIZES)  # 4096, 5000 only here


def test_binds_to_loopback_by_default(counter):
    exporter = Exporter(counter)
    assert exporter.listen == ("127.0.0.1", 9435)
    exporter = Exporter(counter, listen=0)  # a free port, still loopback
    with exporter:
        host, port = exporter.address
        assert host == "127.0.0.1" and port > 0
        assert exporter._server.socket.getsockname()[0] == "127.0.0.1"
        assert "pythonbpf_calls" in urllib.request.urlopen(exporter.url, timeout=10).read().decode()
    with pytest.raises(OSError):  # closed: the port is free and nobody answers
        urllib.request.urlopen(exporter.url, timeout=2)


def test_a_thousand_scrapes_while_busy_keep_memory_flat(counter):
    # the load comes from another process, so this one's threads do not fight for the GIL
    busy = subprocess.Popen([sys.executable, "-c", "import os\nwhile True: os.getppid()"])
    try:
        counter.globals["me"] = busy.pid
        key = (("pid", str(busy.pid)),)
        with Exporter(counter, listen=("127.0.0.1", 0)) as exporter:
            for _ in range(50):  # warm up: imports, caches, first allocations
                scrape(exporter.url)
            before = rss_kb()
            latencies, seen = [], []
            for i in range(1000):
                start = time.perf_counter()
                with urllib.request.urlopen(exporter.url, timeout=10) as response:
                    assert response.status == 200
                    body = response.read()
                latencies.append(time.perf_counter() - start)
                if i % 100 == 0:
                    seen.append(scrape(exporter.url)["pythonbpf_calls_total"][key])
            after = rss_kb()
            counter.detach()
            final = scrape(exporter.url)["pythonbpf_calls_total"][key]
            assert final == counter["calls"][busy.pid]
    finally:
        busy.kill()
        busy.wait()
    latencies.sort()
    print(f"\n1,000 scrapes: RSS {before} kB -> {after} kB ({after - before:+d} kB); latency "
          f"p50 {latencies[500] * 1e3:.2f} ms, p99 {latencies[990] * 1e3:.2f} ms; "
          f"{final} getppid calls counted meanwhile")
    assert b"pythonbpf_calls_total" in body
    assert after - before < 5 * 1024
    assert seen == sorted(seen) and seen[-1] > seen[0] > 0  # the program was busy throughout
    assert final >= seen[-1]


def test_cli_serves_until_sigterm_and_detaches(tmp_path):
    path = program(tmp_path, COUNTER)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.Popen([sys.executable, "-m", "pythonbpf.export.cli", path,
                             "--listen", "127.0.0.1:0"], stderr=subprocess.PIPE, text=True,
                            env=env)
    try:
        line = proc.stderr.readline()
        for _ in range(4):  # after compile warnings (this program declares no LICENSE)
            if "serving" in line or not line:
                break
            line = proc.stderr.readline()
        assert "serving 1 metrics on http://127.0.0.1:" in line, line
        url = line.split(" on ", 1)[1].strip()
        samples = scrape(url)
        assert "pythonbpf_exporter_read_seconds" in samples
        assert samples.get("pythonbpf_calls_total", {}) == {}  # `me` is 0: nothing counted
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=2)
