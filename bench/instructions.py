"""Start-up and compile of two versions of pythonbpf in instructions executed, which do not drift.

Wall clock and even CPU time of a 15 ms start move by more than most changes to it on a shared
2-vCPU VM (bench/compare.py, bench/startup_cpu.py print how much). The number of instructions a
process executes does not: valgrind's cachegrind counts them (`I refs`), the same to within
0.1% from run to run, at ~30x the run time. This machine's VM exposes no hardware counters, so
cachegrind is the counter. Each measure runs in a fresh child per version, under valgrind:
  cached start  - `BPF(path=...)`, `load_and_attach()` of bench/run.py's counter program, its
                  object in the compile cache (interpreter start included);
  cold start    - the same with the cache's objects removed (a new program; the compiler's
                  identity memo, where a version keeps one, stays);
  first start   - the same with an empty cache directory (the first start after installing);
  compile seed  - instructions of one more in-process compile of the seed example, after one
                  (a child compiling it six times less one compiling it once, over five; cache
                  off);
  compile examples - the same for compiling each of examples/*.py once.
The "before" version is a git revision, checked out into a temporary worktree.

    python bench/instructions.py [--before REV]   (as root; needs valgrind: apt-get install valgrind)
"""
from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import compare  # noqa: E402 - bench/compare.py: the before version's checkout
import run as base  # noqa: E402 - bench/run.py: the counter program and the seed example

START = '''
from pythonbpf import BPF
b = BPF(path={path!r})
b.load_and_attach()
b.close()
'''
COMPILE = '''
import sys, warnings
warnings.simplefilter("ignore")
from pythonbpf.compiler import compile_source
seed = {seed!r}
compile_source(open(seed).read(), seed)
for path in sys.argv[1:]:
    compile_source(open(path).read() + "\\n# again\\n", path)
'''
_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def instructions(src: Path, code: str, args: List[str], env: Dict[str, str]) -> int:
    """Instructions executed by `python -c code args...` importing pythonbpf from `src`."""
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("PYTHONBPF_NO_CACHE", "PYTHONDONTWRITEBYTECODE")}
    environment.update(env, PYTHONPATH=str(src))
    out = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no",
                          "--cachegrind-out-file=/dev/null", sys.executable, "-c", code, *args],
                         env=environment, capture_output=True, text=True, timeout=900,
                         cwd=str(src.parent))
    found = _REFS.search(out.stderr)
    if out.returncode != 0 or found is None:
        raise RuntimeError(f"valgrind run failed under {src}:\n{out.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def warm(src: Path, code: str, args: List[str], env: Dict[str, str]) -> None:
    """Run once without valgrind, so that no measured run compiles the version's bytecode (a
    checkout made for "before" has none yet)."""
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    environment.update(env, PYTHONPATH=str(src))
    subprocess.run([sys.executable, "-c", code, *args], env=environment, check=True,
                   capture_output=True, timeout=300, cwd=str(src.parent))


def measure(src: Path, program: Path) -> Dict[str, int]:
    start = START.format(path=str(program))
    seed = str(base.seed_source())
    compile_code = COMPILE.format(seed=seed)
    examples = sorted(glob.glob(str(ROOT / "examples" / "*.py")))
    off = {"PYTHONBPF_NO_CACHE": "1"}
    scratch = tempfile.mkdtemp(prefix="instructions-warm-")
    warm(src, start, [], {"PYTHONBPF_CACHE_DIR": scratch})
    warm(src, compile_code, examples, off)
    shutil.rmtree(scratch, ignore_errors=True)
    result: Dict[str, int] = {}
    cache = tempfile.mkdtemp(prefix="instructions-cache-")
    try:
        env = {"PYTHONBPF_CACHE_DIR": cache}
        result["first start"] = instructions(src, start, [], env)
        warm(src, start, [], env)  # a start after the first writes what a version keeps
        result["cached start"] = instructions(src, start, [], env)
        shutil.rmtree(os.path.join(cache, "objects"), ignore_errors=True)
        result["cold start"] = instructions(src, start, [], env)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    once = instructions(src, compile_code, [], off)
    runs = 5  # (one compile's count moves with where the collector happens to run)
    result["compile seed"] = (instructions(src, compile_code, [seed] * runs, off) - once) // runs
    result["compile examples"] = instructions(src, compile_code, examples, off) - once
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="HEAD~1", help="git revision to compare against")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 1
    rev = compare.git_rev(args.before)
    worktree = compare.checkout(rev, "instructions-before-")
    program = Path(tempfile.mkdtemp(prefix="instructions-prog-")) / "counter.py"
    program.write_text(base.COUNTER)
    try:
        before = measure(worktree / "src", program)
        after = measure(ROOT / "src", program)
    finally:
        compare.remove_checkout(worktree)
    print(f"{'millions of instructions':26} {'before':>10} {'after':>10} {'after/before':>13}")
    for key in before:
        print(f"{key:26} {before[key] / 1e6:10.1f} {after[key] / 1e6:10.1f} "
              f"{after[key] / before[key]:13.3f}")
    print(f"before {rev[:10]}  after: the working tree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
