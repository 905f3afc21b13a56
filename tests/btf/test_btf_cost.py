"""Cost of the kernel-types layer, printed (not asserted): cold and warm index cache."""
import json
import os
import subprocess
import sys

BENCH = os.path.join(os.path.dirname(__file__), "bench_btf.py")


def _run(cache_dir: str) -> dict:
    out = subprocess.run([sys.executable, BENCH, cache_dir], check=True, capture_output=True,
                         text=True, timeout=60).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_cost_cold_and_warm(tmp_path, capsys):
    cold = _run(str(tmp_path))
    warm = _run(str(tmp_path))
    assert cold["decoded"] == warm["decoded"] < 50
    with capsys.disabled():
        for label, r in (("cold", cold), ("warm", warm)):
            print(f"\n[btf {label}] open {r['open_ms']:.1f} ms, first task_struct "
                  f"{r['task_struct_ms']:.1f} ms, 10-step chain {r['chain10_ms']:.2f} ms, "
                  f"10 fields {r['ten_fields_ms']:.2f} ms, decoded {r['decoded']} of "
                  f"{r['types']}, RSS +{r['rss_btf_kb'] / 1024:.1f} MB "
                  f"(import: {r['import_ms']:.0f} ms, +{r['rss_import_kb'] / 1024:.1f} MB)", end="")
