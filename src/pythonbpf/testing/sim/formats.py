"""Tracepoint formats for machines that cannot read tracefs (non-root CI).

The compiler types `ctx.filename` from `/sys/kernel/tracing/events/<cat>/<name>/format`, which
only root can read. Save the formats a test needs once, as root, next to the tests
(`save_tracepoint_formats("tests/formats", "syscalls:sys_enter_openat")`), and give the directory
to `simulate(..., tracepoints="tests/formats")` or in `$PYTHONBPF_TRACEPOINTS`: where tracefs is
unreadable, those formats are used (where it is readable, the kernel's own always win).
"""
from __future__ import annotations

import os
from typing import Dict, Mapping, Optional, Tuple, Union

from ...btf import KernelTypeError
from ...btf.kernel import KernelTypes
from ...btf.tracepoints import TracepointFormat, parse_format

ENV = "PYTHONBPF_TRACEPOINTS"
Formats = Union[str, "os.PathLike[str]", Mapping[str, str]]


def save_tracepoint_formats(directory: Union[str, "os.PathLike[str]"], *names: str) -> None:
    """Copy the format files of tracepoints "category:name" from tracefs (needs root)."""
    root = KernelTypes.running().tracefs().root
    for name in names:
        category, event = name.split(":", 1)
        with open(os.path.join(root, "events", category, event, "format")) as f:
            text = f.read()
        target = os.path.join(os.fspath(directory), category, event)
        os.makedirs(target, exist_ok=True)
        with open(os.path.join(target, "format"), "w") as f:
            f.write(text)


def read_formats(source: Formats) -> Dict[Tuple[str, str], TracepointFormat]:
    """Formats from a directory of `<category>/<name>/format` files, or {"cat:name": text}."""
    texts: Dict[str, str] = {}
    if isinstance(source, Mapping):
        texts = dict(source)
    else:
        base = os.fspath(source)
        for category in sorted(os.listdir(base)):
            folder = os.path.join(base, category)
            if not os.path.isdir(folder):
                continue
            for event in sorted(os.listdir(folder)):
                path = os.path.join(folder, event, "format")
                if os.path.isfile(path):
                    with open(path) as f:
                        texts[f"{category}:{event}"] = f.read()
    out = {}
    for name, text in texts.items():
        category, event = name.split(":", 1)
        out[(category, event)] = parse_format(text, category, event)
    return out


def provide_formats(source: Optional[Formats] = None) -> None:
    """Make saved formats visible to the compiler for the tracepoints tracefs cannot give."""
    if source is None:
        source = os.environ.get(ENV) or None
    if source is None:
        return
    tracefs = KernelTypes.running().tracefs()
    for key, fmt in read_formats(source).items():
        if key in tracefs._formats:  # noqa: SLF001 - the compiler's per-process format cache
            continue
        try:
            tracefs.format(*key)  # the kernel's own, where it can be read
        except KernelTypeError:
            tracefs._formats[key] = fmt  # noqa: SLF001
