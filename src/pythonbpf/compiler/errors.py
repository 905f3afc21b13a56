"""Located compile errors: every rejected program names file, line and column."""
from __future__ import annotations

import ast
import re
from typing import Optional

from ..record import record


# Locals the checker made for a name rebound to another type (bindings.py): `x__rb1` is `x`.
INTERNAL = re.compile(r"\b([A-Za-z_]\w*?)__rb\d+\b")


VOWEL_ARTICLE = re.compile(r"\ba (?=[aeio](?!ne\b))")


def display_name(text: str) -> str:
    """A message with the compiler's names for rebound locals given as the user wrote them,
    and "an" before a vowel where a type name follows "a" ("an optional reference", "an i64")."""
    return VOWEL_ARTICLE.sub("an ", INTERNAL.sub(r"\1", text))


@record(frozen=True)
class Location:
    filename: str
    line: int
    col: int  # 1-based, as editors count


class CompileError(Exception):
    """A program outside the supported language; names where, what, and what to write instead."""

    def __init__(self, message: str, location: Optional[Location] = None, source_line: str = "",
                 hint: str = ""):
        self.message = message
        self.location = location
        self.source_line = source_line
        self.hint = hint
        super().__init__(self._render())

    @property
    def filename(self) -> Optional[str]:
        return self.location.filename if self.location else None

    @property
    def line(self) -> Optional[int]:
        return self.location.line if self.location else None

    @property
    def col(self) -> Optional[int]:
        return self.location.col if self.location else None

    def _render(self) -> str:
        if self.location is None:
            text = f"error: {self.message}"
        else:
            loc = self.location
            text = f"{loc.filename}:{loc.line}:{loc.col}: error: {self.message}"
        if self.source_line:
            stripped = self.source_line.rstrip("\n")
            indent = len(stripped) - len(stripped.lstrip())
            caret_col = max((self.location.col if self.location else 1) - 1, indent)
            text += f"\n    {stripped.strip()}\n    {' ' * (caret_col - indent)}^"
        if self.hint:
            text += f"\nhint: {self.hint}"
        return text


class SourceFile:
    """A module's source text, and the factory of errors located in it."""

    def __init__(self, text: str, filename: str):
        self.text = text
        self.filename = filename
        self.lines = text.splitlines()

    def location(self, node: ast.AST) -> Location:
        return Location(self.filename, getattr(node, "lineno", 0), getattr(node, "col_offset", 0) + 1)

    def error(self, node: Optional[ast.AST], message: str, hint: str = "") -> CompileError:
        message, hint = display_name(message), display_name(hint)
        if node is None or not hasattr(node, "lineno"):
            return CompileError(message, Location(self.filename, 0, 0), hint=hint)
        loc = self.location(node)
        line = self.lines[loc.line - 1] if 0 < loc.line <= len(self.lines) else ""
        return CompileError(message, loc, line, hint)
