"""BPF assembly a person can read: code only, Python lines inline, helper calls named.

LLVM's assembly text carries assembler directives, debug labels and the debug sections,
which bury the twenty instructions a user wants to see. This keeps the code sections,
writes `; LINE: source` where the line changes and names each helper call.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Callable, Dict, List, Optional

if TYPE_CHECKING:
    from ..btf.kernel import KernelTypes
    from ..btf.reader import BTFReader

__all__ = ["readable_assembly", "helper_names"]

_SECTION = re.compile(r'^\s*\.section\s+"?([^",]+)"?,\s*"([a-z]*)"')
_LOC = re.compile(r"^\s*\.loc\s+\d+\s+(\d+)\s+\d+")
_CALL = re.compile(r"^(\s*call\s+)(\d+)\s*$")
_LABEL = re.compile(r"^([A-Za-z_][\w.$]*):")


def helper_names(kernel: "Optional[KernelTypes]" = None) -> Dict[int, str]:
    """Helper id -> name, from `enum bpf_func_id` in the BTF of `kernel` (this machine's when
    None), else the compiler's table: `asm --btf` reads nothing of this machine's kernel."""
    if kernel is None:
        return _running_helper_names()
    return _helper_names(kernel.btf)


@lru_cache(maxsize=1)
def _running_helper_names() -> Dict[int, str]:
    from ..btf import kernel_btf

    return _helper_names(kernel_btf)


def _helper_names(read_btf: "Callable[[], BTFReader]") -> Dict[int, str]:
    names: Dict[int, str] = {}
    try:
        enum = read_btf().type_by_name("bpf_func_id", "enum")
        for v in enum.values:
            if v.name.startswith("BPF_FUNC_") and v.value:
                names[v.value] = "bpf_" + v.name[len("BPF_FUNC_"):]
    except Exception:  # no kernel BTF, or one without the enum: the compiler's own helpers
        pass
    if not names:
        from ..kinds.helpers import HELPERS

        names = {h.id: f"bpf_{h.name}" for h in HELPERS}
    return names


def readable_assembly(text: str, source: Optional[str] = None,
                      kernel: "Optional[KernelTypes]" = None) -> str:
    """The code sections of LLVM's BPF assembly, annotated; helpers named as `kernel` names
    them (`helper_names`)."""
    lines = source.splitlines() if source is not None else []
    helpers = helper_names(kernel)
    out: List[str] = []
    in_code = False
    last_line = 0
    for raw in text.splitlines():
        stripped = raw.strip()
        section = _SECTION.match(raw)
        if section:
            in_code = "x" in section.group(2)
            if in_code:
                out.append(f"\n; section {section.group(1)}")
            continue
        if stripped == ".text":
            in_code = True
            out.append("\n; section .text")
            continue
        if stripped.startswith(".section") or stripped.startswith(".data") or stripped.startswith(".bss"):
            in_code = False
            continue
        if not in_code or not stripped:
            continue
        loc = _LOC.match(raw)
        if loc:
            number = int(loc.group(1))
            if number and number != last_line:
                last_line = number
                text_of = lines[number - 1].strip() if 0 < number <= len(lines) else ""
                out.append(f"    ; {number}: {text_of}".rstrip())
            continue
        if stripped.startswith((".", "#")):
            continue
        label = _LABEL.match(stripped)
        if label:
            if not label.group(1).startswith(".L"):
                out.append(f"{label.group(1)}:")
            continue
        call = _CALL.match(raw)
        if call:
            number = int(call.group(2))
            name = helpers.get(number, "unknown helper")
            out.append(f"\tcall {number}\t# {name}")
            continue
        out.append(raw.rstrip())
    return "\n".join(out).lstrip("\n") + "\n"
