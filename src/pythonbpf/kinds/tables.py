"""The docs' support tables, written from the registry.

docs/language.md holds each table between `<!-- kinds:NAME -->` and `<!-- /kinds:NAME -->`;
tests/test_registry.py fails when the text there is not what `tables()` writes, so a row added
here reaches the docs or the suite says so. `python -m pythonbpf.kinds.tables --write`
rewrites them.
"""
from __future__ import annotations

import sys

from .helpers import FUNCTIONS, HELPERS_BY_NAME
from .maps import MAP_KINDS

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Dict

DOC = "docs/language.md"


def map_table() -> str:
    """Declaration classes: their kind, the methods programs call, the Linux version."""
    rows = ["| Declaration | Kind | In programs | Linux |", "|---|---|---|---|"]
    for kind in MAP_KINDS:
        if kind.classes:
            classes = " or ".join(f"`{c}`" for c in kind.classes)
            methods = ", ".join(f"`{m}`" for m in sorted(kind.methods))
            rows.append(f"| {classes} | {kind.name} | {methods} | {kind.since} |")
    return "\n".join(rows)


def function_table() -> str:
    """The helper functions programs call: the kernel helper behind each, its license and
    program kinds (as measured by tools/helper_matrix.py; "any": every kind the compiler
    builds, with the Linux versions from which kinds measured to get it later may call it),
    the Linux version."""
    rows = ["| Function | Kernel helper | Programs | GPL-only | Linux |", "|---|---|---|---|---|"]
    for fn in FUNCTIONS:
        helper = HELPERS_BY_NAME[fn.helper]
        programs = ", ".join(helper.programs) or "any"
        later = "; ".join(f"{', '.join(kinds)} from {version}" for kinds, version in helper.later)
        programs += f" ({later})" if later else ""
        result = f" -> {fn.result}" if fn.result else ""
        rows.append(f"| `{fn.name}()`{result} | `bpf_{helper.name}` | {programs} | "
                    f"{'yes' if helper.gpl_only else 'no'} | {helper.since} |")
    return "\n".join(rows)


def tables() -> "Dict[str, str]":
    """Each table's marker name and its text."""
    return {"maps": map_table(), "functions": function_table()}


def render(doc: str) -> str:
    """`doc` with the text between each pair of markers replaced by its table."""
    for name, table in tables().items():
        start, end = f"<!-- kinds:{name} -->", f"<!-- /kinds:{name} -->"
        head, found, rest = doc.partition(start)
        if not found or end not in rest:
            raise ValueError(f"{DOC} has no {start} ... {end} markers")
        doc = f"{head}{start}\n{table}\n{end}{rest.partition(end)[2]}"
    return doc


if __name__ == "__main__":
    text = open(DOC).read()
    if "--write" in sys.argv:
        open(DOC, "w").write(render(text))
    else:
        sys.stdout.write(render(text))
