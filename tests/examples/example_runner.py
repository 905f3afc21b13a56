"""Run an example of examples/ in a subprocess, the way a user would, while a test makes work for it.

    with run_example("opensnoop", "--pid", str(os.getpid())) as tool:
        open(path).close()            # the workload, once the tool is attached
    assert path in tool.stdout       # after the tool exited by itself at --duration

The tool is started with `--duration` (DURATION seconds by default); entering the block waits for
its first line (every example prints a banner once its programs are attached), leaving it waits for
the tool to exit and checks that it exited 0 without a traceback.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from typing import List, Optional

if os.path.dirname(os.path.dirname(os.path.abspath(__file__))) not in sys.path:
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from scripts import ROOT, script_env  # noqa: E402

EXAMPLES = os.path.join(ROOT, "examples")
DURATION = 1.0  # seconds each tool runs after attaching
START_TIMEOUT = 30.0  # compile + load + attach, generous for a loaded CI machine


class Example:
    """One example process: its output lines as they arrive, and its exit status."""

    def __init__(self, name: str, args: List[str], duration: Optional[float]) -> None:
        argv = [sys.executable, os.path.join(EXAMPLES, f"{name}.py"), *args]
        if duration is not None:
            argv += ["--duration", str(duration)]
        self.name = name
        self.lines: List[str] = []
        self.stderr = ""
        self.returncode: Optional[int] = None
        self._first = threading.Event()
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=script_env(PYTHONUNBUFFERED="1"), cwd=ROOT)
        self._out = threading.Thread(target=self._read_stdout, daemon=True)
        self._err = threading.Thread(target=self._read_stderr, daemon=True)
        self._out.start()
        self._err.start()

    def _read_stdout(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            self._first.set()
        self._first.set()  # EOF: the tool ended (or died) before printing anything

    def _read_stderr(self) -> None:
        self.stderr = self.proc.stderr.read()

    @property
    def stdout(self) -> str:
        return "\n".join(self.lines)

    def wait_attached(self) -> None:
        if not self._first.wait(START_TIMEOUT):
            self.proc.kill()
            raise AssertionError(f"{self.name}: no output within {START_TIMEOUT:g} s")
        if not self.lines:
            self.finish()
            raise AssertionError(f"{self.name} exited {self.returncode} before attaching:\n{self.stderr}")

    def finish(self, timeout: float = 30.0) -> None:
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"{self.name} did not stop at --duration:\n{self.stdout}") from None
        self._out.join(5)
        self._err.join(5)


class run_example:
    """Context manager: start the example, wait until attached, and on exit wait for a clean end."""

    def __init__(self, name: str, *args: str, duration: Optional[float] = DURATION) -> None:
        self.example = Example(name, list(args), duration)

    def __enter__(self) -> Example:
        self.started = time.monotonic()
        self.example.wait_attached()
        return self.example

    def __exit__(self, kind, value, tb) -> None:
        example = self.example
        if kind is not None:  # the workload failed: do not leave the tool running
            example.proc.kill()
            example.finish()
            return
        example.finish()
        assert example.returncode == 0 and "Traceback" not in example.stderr, (
            f"{example.name} exited {example.returncode}\n--- stdout ---\n{example.stdout}\n"
            f"--- stderr ---\n{example.stderr}")
