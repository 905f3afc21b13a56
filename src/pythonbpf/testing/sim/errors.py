"""SimulationError: what the simulator refuses to guess.

A simulator that silently invents a value (a kernel helper's result, the bytes at an address it
was never given, a context field the test did not supply) gives tests that pass in CI and fail
on a real machine. Every such point raises this instead, naming the construct, the Python line
that reached it, and what the test can supply to make it simulable.
"""
from __future__ import annotations

from typing import Optional


class SimulationError(Exception):
    """The program did something the simulator cannot reproduce faithfully.

    `construct` names it (`get_stackid()`, `ctx.mark`, `probe_read_user(0x7f...)`), `line` is the
    Python source line of the program that reached it (0 when not in a program), `hint` says what
    to supply or do instead.
    """

    def __init__(self, construct: str, why: str, filename: str = "", line: int = 0, hint: str = ""):
        self.construct = construct
        self.why = why
        self.filename = filename
        self.line = line
        self.hint = hint
        where = f"{filename or '<program>'}:{line}: " if line else ""
        text = f"{where}{construct}: {why}"
        if hint:
            text += f" ({hint})"
        super().__init__(text)


class Located:
    """Mixin for the interpreter: raise SimulationError at a model node's line."""

    filename: str = ""

    def refuse(self, construct: str, why: str, pos: Optional[object] = None, hint: str = "") -> SimulationError:
        line = getattr(pos, "line", 0) if pos is not None else 0
        return SimulationError(construct, why, self.filename, line, hint)
