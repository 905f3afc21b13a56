"""The registry of kernel kinds: program kinds, map kinds, helpers and UAPI constants.

One row per kind, read by every layer (frontend, lowering, loader, command line, simulator,
the docs' support tables), so that adding a kind is a row plus the code only it needs - as
libbpf's `section_defs[]` is for its program kinds. Plain data: importing it costs no
compiler, no llvmlite and no libbpf.
"""
from __future__ import annotations

from .programs import PROGRAM_KINDS, ProgramKind, Section, parse_section

# The kernels the test suite and the kernel matrix run on (docs/reliability.md), named when a
# load fails for lack of a kernel feature.
TESTED_KERNELS = ("6.1 (Debian 12)", "6.12 (Debian 13 / LTS)", "6.18 (this project's hosts)")

__all__ = ["PROGRAM_KINDS", "ProgramKind", "Section", "parse_section", "TESTED_KERNELS"]
