"""Histograms: the program counts `hist[log2(v)] += 1`; the printed ranges hold exactly the
values the program put in each bucket. Linear histograms, per-CPU counts, PNG plots."""
from __future__ import annotations

import re
import sys

import pytest

from pythonbpf import BPF, plot_log2_hist, print_linear_hist, print_log2_hist
from pythonbpf.runtime.hist import log2_buckets, log2_range

SOURCE = '''
from ctypes import c_void_p, c_int64
from pythonbpf import bpf, section
from pythonbpf.helper import log2
from pythonbpf.types import u32, u64
from pythonbpf.maps import ArrayMap, HashMap, PerCPUHashMap

value = ArrayMap(key=u32, value=u64, max_entries=1)
hist = HashMap(key=u32, value=u64, max_entries=64)
lin = PerCPUHashMap(key=u32, value=u64, max_entries=64)

@bpf
@section("xdp")
def record(ctx: c_void_p) -> c_int64:
    v = value.lookup(0)
    if v is None:
        return 2
    hist[log2(v)] += 1
    lin[v // 10] += 1
    return 2
'''

VALUES = [0, 1, 1, 2, 3, 4, 7, 8, 9, 15, 16, 100, 1023, 1024, 1025, 4096, 1 << 20, (1 << 21) - 1]
ROW = re.compile(r"^\s*(\[(\S+), (\S+)\)|\d+) : (\d+)\s+\|(\**)\s*\|$")
SUFFIX = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def number(text: str) -> int:
    return int(text[:-1]) * SUFFIX[text[-1]] if text[-1] in SUFFIX else int(text)


def rows(text: str):
    out = []
    for line in text.splitlines()[1:]:
        m = ROW.match(line)
        assert m, line
        if m.group(2):
            out.append((number(m.group(2)), number(m.group(3)), int(m.group(4)), m.group(5)))
        else:
            out.append((int(m.group(1)), int(m.group(1)) + 1, int(m.group(4)), m.group(5)))
    return out


@pytest.mark.kernel
def test_log2_ranges_hold_what_the_program_counted(capsys):
    with BPF(source=SOURCE) as b:
        for v in VALUES:
            b["value"][0] = v
            b.programs["record"].test_run(bytes(64))
        print_log2_hist(b["hist"], "bytes")
        printed = capsys.readouterr().out
        print_log2_hist("hist", "bytes", b=b)  # by name, with the BPF object
        assert capsys.readouterr().out == printed
    lines = printed.splitlines()
    assert lines[0].split() == ["bytes", ":", "count", "distribution"]
    table = rows(printed)
    assert table[0][:2] == (0, 2)  # bucket 0 holds 0 and 1: log2(0) == log2(1) == 0
    for lo, hi, count, stars in table:
        assert count == sum(1 for v in VALUES if lo <= v < hi), (lo, hi)
        assert bool(stars) == bool(count)
    assert sum(count for *_, count, _ in table) == len(VALUES)
    assert max(len(stars) for *_, stars in table) == 40
    assert "[1K, 2K)" in printed and "[1M, 2M)" in printed


@pytest.mark.kernel
def test_linear_hist_sums_per_cpu_counts(capsys):
    with BPF(source=SOURCE) as b:
        for v in (0, 5, 12, 12, 47):
            b["value"][0] = v
            b.programs["record"].test_run(bytes(64))
        print_linear_hist(b["lin"], "ms", step=10)
    table = rows(capsys.readouterr().out)
    assert [(lo, hi, n) for lo, hi, n, _ in table] == [
        (0, 10, 2), (10, 20, 2), (20, 30, 0), (30, 40, 0), (40, 50, 1)]


def test_output_follows_sys_stdout_at_call_time(monkeypatch):
    import io

    buffer = io.StringIO()
    monkeypatch.setattr(sys, "stdout", buffer)
    print_linear_hist({1: 2, 3: 1}, "n")
    assert rows(buffer.getvalue()) == [(1, 2, 2, "*" * 40), (2, 3, 0, ""), (3, 4, 1, "*" * 20)]


def test_log2_range_matches_the_helper():
    for v in range(0, 5000):
        bucket = 0 if v == 0 else v.bit_length() - 1  # the program's log2
        lo, hi = log2_range(bucket)
        assert lo <= v < hi
    assert log2_buckets({}) == []
    with pytest.raises(TypeError, match="b="):
        print_log2_hist("hist")


def test_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    out = plot_log2_hist({0: 3, 2: 5, 10: 1}, tmp_path / "h.png", "usecs", title="latency")
    data = (tmp_path / "h.png").read_bytes()
    assert out.endswith("h.png") and data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000


def test_plot_without_matplotlib_says_how_to_get_it(monkeypatch, tmp_path):
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pythonbpf\[plot\]"):
        plot_log2_hist({0: 1}, tmp_path / "h.png")
