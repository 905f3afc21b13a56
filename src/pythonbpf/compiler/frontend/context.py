"""Program contexts by section: which program kind a section is, and the fields of its context.

Both come from the registry: a section's row (kinds/programs.py) names its context layout
(kinds/contexts.py) and the fields it may write. The verifier rewrites each context access and
accepts only a field's exact offset and size, which is how lowering emits them.
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple

from ...kinds.contexts import SK_BUFF, TC_ONLY, XDP_MD, layout
from ...kinds.programs import PROGRAM_KINDS, kind_named, parse_section
from ...spec.types import ValueType

__all__ = ["XDP_MD", "SK_BUFF", "TC_ONLY", "PACKET_KINDS", "WRITABLE_PACKETS", "program_kind",
           "context_fields", "context_writes", "packet_bounds"]

PACKET_KINDS = {k.rules for k in PROGRAM_KINDS if k.packet and k.language}
WRITABLE_PACKETS = {k.rules for k in PROGRAM_KINDS if k.writable and k.language}


def program_kind(section: str) -> Optional[str]:
    """The kind whose rules a section's programs compile by (`tcx/ingress` compiles as `tc`);
    None for a section the compiler does not build."""
    parsed = parse_section(section)
    if parsed is None or not parsed.kind.language:
        return None
    return parsed.kind.rules


def context_fields(kind: Optional[str]) -> Dict[str, Tuple[int, ValueType]]:
    """name -> (offset, type) of the context fields programs of `kind` may read."""
    row = kind_named(kind) if kind is not None else None
    return layout(row.context) if row is not None else {}


def context_writes(kind: Optional[str]) -> Tuple[str, ...]:
    """The context fields programs of `kind` may assign (`ctx.user_port = ...`)."""
    row = kind_named(kind) if kind is not None else None
    return row.writes if row is not None else ()


def packet_bounds(kind: str) -> Tuple[int, int]:
    """Offsets of the packet's data and data_end pointers in the context."""
    fields = context_fields(kind)
    return fields["data"][0], fields["data_end"][0]
