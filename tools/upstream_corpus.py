#!/usr/bin/env python3
"""Does the original Python-BPF project's own corpus compile and load with ours?

    python tools/upstream_corpus.py                    # ../shared/upstream beside the checkout
    python tools/upstream_corpus.py --corpus DIR -v    # another copy; -v lists every file

The corpus (the original project's `tests/passing_tests/**/*.py` and `examples/**/*.py`) is not
our code and stays outside the repository (see its NOTICE); CI lays it beside the checkout as
`<repo>/../shared/upstream`. Each file is compiled (never run: `pythonbpf verify`'s meaning) and
loaded into the kernel in a forked child, so a compiler that aborts the process costs one file.

Every file ends in one of four outcomes:
  verified  - compiled and every program and map loaded;
  compile   - a CompileError naming file, line and column (the program is outside the language);
  load      - compiled, but libbpf or the kernel refused it (an accepted program must load: a bug
              unless the kernel lacks the feature);
  internal  - anything else: an exception that is not a located CompileError, a crash, a timeout.
The summary line is "N/M verified".
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "upstream"
PATTERNS = ("tests/passing_tests/**/*.py", "examples/**/*.py")
TIMEOUT = 60.0

__all__ = ["Outcome", "corpus_files", "check_file", "run_corpus", "summary", "DEFAULT_CORPUS"]


@dataclass(frozen=True)
class Outcome:
    """One file's result: `kind` is verified/compile/load/internal; `first_line` says why."""

    path: str
    kind: str
    first_line: str = ""


def corpus_files(corpus: Path) -> List[Path]:
    """The corpus' program files, in a stable order (helper modules without @bpf skipped)."""
    files = set()
    for pattern in PATTERNS:
        files.update(p for p in corpus.glob(pattern) if p.is_file())
    return sorted(p for p in files if _has_bpf(p))


def _has_bpf(path: Path) -> bool:
    try:
        return "@bpf" in path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return True  # let the check report it


def _first_line(text: str) -> str:
    for line in str(text).splitlines():
        if line.strip():
            return line.strip()
    return ""


def _check_in_process(path: str) -> Outcome:
    """Compile and load PATH here (the child's body); classify the result."""
    import warnings

    warnings.simplefilter("ignore")  # compile warnings (absent reads, default LICENSE) are not outcomes
    from pythonbpf.cli.inputs import read_input
    from pythonbpf.compiler.errors import CompileError
    from pythonbpf.loader import BPFError

    try:
        program = read_input(path)
    except CompileError as exc:
        if exc.location is None or not exc.location.line:
            return Outcome(path, "internal", "unlocated CompileError: " + _first_line(str(exc)))
        return Outcome(path, "compile", _first_line(str(exc)))
    except Exception as exc:  # noqa: BLE001 - classifying every failure is the point
        return Outcome(path, "internal", f"{type(exc).__name__}: {_first_line(str(exc))} "
                       f"[{_last_frame(exc)}]")
    try:
        with program.make_bpf() as b:
            b.load()
    except BPFError as exc:
        return Outcome(path, "load", f"{type(exc).__name__}: {_first_line(str(exc))}")
    except Exception as exc:  # noqa: BLE001
        return Outcome(path, "internal", f"{type(exc).__name__} while loading: "
                       f"{_first_line(str(exc))} [{_last_frame(exc)}]")
    return Outcome(path, "verified")


def _last_frame(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return ""
    f = frames[-1]
    return f"{os.path.basename(f.filename)}:{f.lineno}"


def check_file(path: Path, timeout: float = TIMEOUT) -> Outcome:
    """Check one file in a forked child; a crash or hang is an internal outcome."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_fd)
        code = 0
        try:
            outcome = _check_in_process(str(path))
            os.write(write_fd, json.dumps(outcome.__dict__).encode())
        except BaseException:  # noqa: BLE001
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    import select

    chunks = []
    ready, _, _ = select.select([read_fd], [], [], timeout)
    if not ready:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(read_fd)
        return Outcome(str(path), "internal", f"timed out after {timeout:.0f} s")
    while True:
        chunk = os.read(read_fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read_fd)
    _, status = os.waitpid(pid, 0)
    if not chunks:
        return Outcome(str(path), "internal", f"child died (wait status {status})")
    return Outcome(**json.loads(b"".join(chunks)))


def run_corpus(corpus: Path, files: Optional[Iterable[Path]] = None) -> List[Outcome]:
    """Check every corpus file (or the given ones); paths in outcomes are corpus-relative."""
    os.environ.setdefault("PYTHONBPF_NO_CACHE", "1")
    results = []
    for path in (files if files is not None else corpus_files(corpus)):
        outcome = check_file(path)
        rel = os.path.relpath(outcome.path, corpus)
        results.append(Outcome(rel, outcome.kind, outcome.first_line))
    return results


def summary(results: List[Outcome]) -> str:
    """'N/M verified' and the count of each other outcome."""
    counts: Dict[str, int] = {}
    for r in results:
        counts[r.kind] = counts.get(r.kind, 0) + 1
    verified = counts.get("verified", 0)
    rest = ", ".join(f"{counts[k]} {k}" for k in ("compile", "load", "internal") if counts.get(k))
    return f"{verified}/{len(results)} verified" + (f" ({rest})" if rest else "")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("-v", "--verbose", action="store_true", help="list verified files too")
    parser.add_argument("--json", action="store_true", help="one JSON object per file")
    parser.add_argument("files", nargs="*", type=Path, help="only these files")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT / "src"))
    files = [f.resolve() for f in args.files] or None
    results = run_corpus(args.corpus.resolve(), files)
    for r in results:
        if args.json:
            print(json.dumps(r.__dict__))
        elif r.kind != "verified" or args.verbose:
            print(f"{r.kind:9} {r.path}: {r.first_line}")
    print(summary(results))
    return 1 if any(r.kind == "internal" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
