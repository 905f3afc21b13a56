"""Compile, load and run one generated program, and compare it with the reference.

Outcomes, in the order a program meets them:

- `rejected`: a CompileError with file, line and column: allowed (counted, by message).
- `unlocated`: a CompileError without a line: a BUG.
- `internal`: any other exception out of the compiler: a BUG.
- `verifier`: LoadError on a program the compiler accepted: a BUG.
- `load-error`: any other exception while loading: a BUG.
- `reference-error`: the reference interpreter rejects or fails on what the compiler accepted:
  a disagreement on the language (a BUG in one of them, or in the generator).
- `run-error`: test_run failed or returned something other than XDP_PASS: a BUG.
- `mismatch`: outputs or map contents differ from the reference: a BUG.
- `kernel-oops`: loading the program crashed the kernel's verifier (the child died by SIGKILL
  and the kernel log has an Oops for it): a kernel BUG that the program triggers.
- `matched`: compiled, verified, ran, and every result equals the reference.
"""
from __future__ import annotations

import copy
import os
import pickle
import select
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

from pythonbpf.reference import I64, Value

from .mapsec import Env
from .program import XDP_PASS, Program
from .structs import plain

BUGS = ("unlocated", "internal", "verifier", "load-error", "reference-error", "run-error",
        "mismatch", "kernel-oops")
FILENAME = "fuzz_prog.py"
PACKET = bytes(64)


@dataclass
class Outcome:
    status: str
    detail: str = ""
    category: str = ""  # a short key that groups outcomes with the same cause

    @property
    def bug(self) -> bool:
        return self.status in BUGS


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _message_key(message: str) -> str:
    """A CompileError message without its names and numbers, to group rejections."""
    import re

    key = re.sub(r"'[^']*'", "'_'", message)
    key = re.sub(r"-?\d+", "N", key)
    return key[:90]


def compile_program(program: Program) -> Tuple[Any, Optional[Outcome]]:
    return compile_text(program.source)


def compile_text(source: str) -> Tuple[Any, Optional[Outcome]]:
    from pythonbpf import BPF, CompileError

    try:
        return BPF(source=source, path=FILENAME, name="fuzz"), None
    except CompileError as e:
        if not e.line or not e.filename or not e.col:
            return None, Outcome("unlocated", str(e), "unlocated: " + _message_key(e.message))
        return None, Outcome("rejected", str(e), _message_key(e.message))
    except Exception as e:  # noqa: BLE001 - any other exception is the bug being hunted
        tb = traceback.format_exc()
        return None, Outcome("internal", tb, f"internal: {type(e).__name__}: {_first_line(str(e))[:80]}")


def load_program(b: Any) -> Optional[Outcome]:
    from pythonbpf import LoadError

    try:
        b.load()
    except LoadError as e:
        return Outcome("verifier", str(e), "verifier: " + _verifier_key(e))
    except Exception as e:  # noqa: BLE001
        return Outcome("load-error", traceback.format_exc(),
                       f"load: {type(e).__name__}: {_first_line(str(e))[:80]}")
    return None


def _verifier_key(e: Any) -> str:
    log = getattr(e, "log", "") or str(e)
    lines = [ln for ln in log.splitlines() if ln.strip() and not ln.startswith(";")]
    for ln in reversed(lines):
        if "processed" not in ln and "libbpf" not in ln and "--" not in ln:
            return _message_key(ln)[:80]
    return _message_key(_first_line(str(e)))


def compile_and_load(source: str) -> Outcome:
    """How far a program text gets without the reference: for reducing crashes and
    verifier rejections, which need no expected values."""
    b, failed = compile_text(source)
    if failed:
        return failed
    try:
        return load_program(b) or Outcome("matched")
    finally:
        b.close()


# ---- the reference side --------------------------------------------------------------------
def call_with_locals(fn: Callable[..., Any], args: List[Any]) -> Dict[str, Any]:
    """Call `fn` and return its local variables as they were when it returned.

    The twin of the integer block keeps its output fields in locals; a profile hook reads
    them from the frame at return, so one call gives every output.
    """
    captured: Dict[str, Any] = {}
    code = fn.__code__

    def hook(frame: Any, event: str, arg: Any) -> None:
        if event == "return" and frame.f_code is code:
            captured.update(frame.f_locals)

    old = sys.getprofile()
    sys.setprofile(hook)
    try:
        fn(*args)
    finally:
        sys.setprofile(old)
    return captured


def expected_state(program: Program, ns: Dict[str, Any],
                   inputs: Dict[str, int]) -> Tuple[Dict[str, int], Dict[str, Any]]:
    """The outputs and map contents the reference semantics give for one input set."""
    values = [Value(k, inputs[n]) for n, k in program.inputs]
    local = call_with_locals(ns["twin_run"], values)
    outs = {o: I64.wrap(int(local[o])) for o in program.block_outputs}
    env = Env(values={f"in_{n}": Value(k, inputs[n]) for n, k in program.inputs},
              maps=copy.deepcopy(program.section.initial),
              outs={o: 0 for o in program.section.outputs}, twins=program.twins)
    for s in program.section.stmts:
        s.sim(env)
    outs.update(env.outs)
    return outs, env.maps


# ---- the kernel side -----------------------------------------------------------------------
def reset(b: Any, program: Program, inputs: Dict[str, int]) -> None:
    b["results"][0] = {o: 0 for o in program.outputs}
    b["inputs"][0] = dict(inputs)
    for m in program.section.maps:
        view = b[m.name]
        initial = program.section.initial[m.name]
        if m.hash:
            view.clear()
            for k, v in initial.items():
                view[k] = v
        else:
            for i, v in enumerate(initial):
                view[i] = v


def kernel_state(b: Any, program: Program) -> Tuple[Dict[str, int], Dict[str, Any]]:
    got = b["results"][0]
    outs = {o: int(getattr(got, o)) for o in program.outputs}
    maps: Dict[str, Any] = {}
    for m in program.section.maps:
        view = b[m.name]
        if m.hash:
            maps[m.name] = {m.key_of(k): plain(m.value, v) for k, v in view.items()}
        else:
            maps[m.name] = [plain(m.value, view[i]) for i in range(m.max_entries)]
    return outs, maps


def differences(want: Tuple[Dict, Dict], have: Tuple[Dict, Dict]) -> List[str]:
    diffs = []
    for o, w in want[0].items():
        if have[0].get(o) != w:
            diffs.append(f"out.{o}: kernel {have[0].get(o)}, reference {w}")
    for name, w in want[1].items():
        h = have[1].get(name)
        if h != w:
            diffs.append(f"map {name}: kernel {h!r}, reference {w!r}")
    return diffs


def check(program: Program) -> Outcome:
    """Run one program all the way; the outcome says how far it got."""
    from pythonbpf.reference.interpreter import load

    b, failed = compile_program(program)
    if failed:
        return failed
    try:
        failed = load_program(b)
        if failed:
            return failed
        try:
            ns = load(program.twin, "twin.py")
            program.twins.ns = ns
        except Exception as e:  # noqa: BLE001
            return Outcome("reference-error", f"{type(e).__name__}: {e}",
                           f"reference: {type(e).__name__}: {_message_key(str(e))[:60]}")
        prog = b.programs["run"]
        for inputs in program.input_sets:
            try:
                want = expected_state(program, ns, inputs)
            except Exception as e:  # noqa: BLE001
                return Outcome("reference-error", traceback.format_exc(),
                               f"reference: {type(e).__name__}: {_message_key(str(e))[:60]}")
            try:
                reset(b, program, inputs)
                result = prog.test_run(data=PACKET)
            except Exception as e:  # noqa: BLE001
                return Outcome("run-error", traceback.format_exc(), f"run: {type(e).__name__}")
            if result.retval != XDP_PASS:
                return Outcome("run-error", f"retval {result.retval} for inputs {inputs}",
                               "run: wrong return value")
            have = kernel_state(b, program)
            diffs = differences(want, have)
            if diffs:
                return Outcome("mismatch", f"inputs {inputs}:\n" + "\n".join(diffs),
                               "mismatch: " + _mismatch_key(diffs))
        return Outcome("matched")
    finally:
        b.close()


def _mismatch_key(diffs: List[str]) -> str:
    first = diffs[0]
    return "map " + first.split()[1] if first.startswith("map") else "output"



class Isolated:
    """`check(program)` running in a forked child; poll `fileno()` and call `collect()`.

    A compiler that aborts the process (LLVM's fatal errors do) or hangs is then one bad
    outcome, not the end of the run; the child's stderr is the detail of such a crash.
    """

    def __init__(self, program: Program, timeout: float = 120.0,
                 target: Optional[Callable[[], Outcome]] = None):
        self.program = program
        self.target = target or (lambda: check(program))
        self.deadline = time.monotonic() + timeout
        self.timeout = timeout
        self.chunks: List[bytes] = []
        read_end, write_end = os.pipe()
        self.err = tempfile.TemporaryFile()
        self.pid = os.fork()
        if self.pid == 0:
            self._child(read_end, write_end)
        os.close(write_end)
        self.pipe = os.fdopen(read_end, "rb")

    def _child(self, read_end: int, write_end: int) -> None:
        code = 0
        try:
            import faulthandler

            faulthandler.disable()  # a crash is reported through `err`, not the parent's tty
            os.close(read_end)
            os.dup2(self.err.fileno(), 2)
            try:
                outcome = self.target()
            except Exception as e:  # noqa: BLE001 - reported, not raised, across the fork
                outcome = Outcome("internal", traceback.format_exc(),
                                  f"internal: {type(e).__name__}: {_first_line(str(e))[:80]}")
            data = pickle.dumps(outcome)
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(data)
        except BaseException:  # noqa: BLE001
            code = 70
        finally:
            os._exit(code)

    def fileno(self) -> int:
        return self.pipe.fileno()

    def read(self) -> bool:
        """Read what is available; True at the end of the child's output."""
        chunk = self.pipe.read1(1 << 16)
        if chunk:
            self.chunks.append(chunk)
        return not chunk

    def expired(self) -> bool:
        return time.monotonic() >= self.deadline

    def collect(self) -> Outcome:
        timed_out = False
        if self.expired():
            os.kill(self.pid, signal.SIGKILL)
            timed_out = True
        self.pipe.close()
        _, status = os.waitpid(self.pid, 0)
        self.err.seek(0)
        text = self.err.read().decode(errors="replace")
        self.err.close()
        if self.chunks and not timed_out:
            try:
                return pickle.loads(b"".join(self.chunks))
            except Exception:  # noqa: BLE001 - a child cut short mid-write
                pass
        if timed_out:
            return Outcome("internal", f"timed out after {self.timeout:.0f} s\n{text}",
                           "internal: timeout")
        how = (f"killed by signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
               else f"exited with status {os.WEXITSTATUS(status)}")
        oops = kernel_oops(self.pid) if os.WIFSIGNALED(status) else ""
        if oops:
            return Outcome("kernel-oops", f"the process {how}; the kernel log says:\n{oops}",
                           "kernel-oops: " + _oops_key(oops))
        return Outcome("internal", f"the process {how}; stderr:\n{text}",
                       "internal: process " + how.split()[0] + ": " + _message_key(_last_error(text))[:70])


def check_isolated(program: Optional[Program], timeout: float = 120.0,
                   target: Optional[Callable[[], Outcome]] = None) -> Outcome:
    """`check(program)` (or `target()`) in a forked child (see `Isolated`)."""
    job = Isolated(program, timeout, target)
    while True:
        left = job.deadline - time.monotonic()
        if left <= 0 or not select.select([job], [], [], left)[0]:
            break
        if job.read():
            break
    return job.collect()


def _last_error(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    for ln in lines:
        if "error" in ln.lower():
            return ln.split("error:", 1)[-1].strip()
    return lines[-1] if lines else ""


def kernel_oops(pid: int) -> str:
    """The kernel log's Oops report for process `pid`, or '' (dmesg needs root)."""
    import subprocess

    try:
        log = subprocess.run(["dmesg"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if f"PID: {pid} Comm:" in line:
            start = max(0, i - 3)
            return "\n".join(lines[start:start + 14])
    return ""


def _oops_key(report: str) -> str:
    for line in report.splitlines():
        if "RIP: 0010:" in line:
            return line.split("RIP: 0010:", 1)[1].split("+")[0].strip()
        if "BUG:" in line:
            return _message_key(line.split("BUG:", 1)[1])[:60]
    return "unknown"
