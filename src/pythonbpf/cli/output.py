"""How the command line talks: plain text for people, JSON for programs, colour on a TTY.

Progress notes go to stderr and only to a terminal, so piping `pythonbpf run` into a file
keeps just the data; `--json` prints one JSON object per line on stdout and nothing else.
"""
from __future__ import annotations

import json
import os
import sys
from typing import Any, Optional, TextIO

__all__ = ["Output", "to_json_value"]


def _wants_color(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return bool(getattr(stream, "isatty", lambda: False)())


class Output:
    """The destination of one command's results and notes."""

    def __init__(self, json_mode: bool = False, verbose: bool = False,
                 out: Optional[TextIO] = None, err: Optional[TextIO] = None) -> None:
        self.json = json_mode
        self.verbose = verbose
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.color = not json_mode and _wants_color(self.out)
        self.err_color = _wants_color(self.err)
        self.interactive = not json_mode and bool(getattr(self.err, "isatty", lambda: False)())

    def paint(self, code: str, text: str, stream: Optional[TextIO] = None) -> str:
        on = self.err_color if stream is self.err else self.color
        return f"\033[{code}m{text}\033[0m" if on else text

    def line(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def record(self, obj: Any) -> None:
        """One JSON object on its own line."""
        print(json.dumps(to_json_value(obj), sort_keys=False), file=self.out, flush=True)

    def progress(self, text: str) -> None:
        """A note for a person watching; silent in JSON mode and when stderr is not a TTY."""
        if self.interactive:
            print(self.paint("2", text, self.err), file=self.err, flush=True)

    def note(self, text: str) -> None:
        """Something the user should know even when not watching (never in JSON mode)."""
        if not self.json:
            print(text, file=self.err, flush=True)

    def error(self, text: str) -> None:
        print(text, file=self.err, flush=True)


def to_json_value(value: Any) -> Any:
    """Decoded map keys/values and events as JSON: records become objects, bytes hex."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    asdict = getattr(value, "_asdict", None)
    if callable(asdict):
        return {k: to_json_value(v) for k, v in asdict().items()}
    if isinstance(value, dict):
        return {str(to_json_value(k)) if not isinstance(k, str) else k: to_json_value(v)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_value(v) for v in value]
    inner = getattr(value, "value", None)
    if isinstance(inner, int):
        return inner
    return str(value)
