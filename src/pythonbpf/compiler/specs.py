"""The typed program, summarised as the ObjectSpec that everything after the compiler reads.

The spec (pythonbpf/spec/objects.py) holds what loading, attaching, map views, event records,
export and the command line need: maps with their kinds and types, programs with their kinds
(each section parsed once, by the registry) and attach options, globals, event record types,
warnings. Facts that take a walk over function bodies (which maps a program keys with
log2()) are found here, once per compile, so that user space never reads the program model.
"""
from __future__ import annotations

from ..kinds.programs import parse_section
from ..spec.objects import GlobalSpec, MapSpec, ObjectSpec, ProgramSpec
from . import typed as m

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Any, Set

__all__ = ["object_spec", "log2_maps"]


def object_spec(program: m.Program, elf: bytes) -> ObjectSpec:
    """The spec of `program` compiled to `elf`."""
    log2 = log2_maps(program)
    maps = {name: MapSpec(name, d.kind, d.map_type, d.key, d.value, d.max_entries, d.key_size,
                          d.value_size, d.flags, d.pin, d.line, name in log2)
            for name, d in program.maps.items()}
    programs = {}
    for fn in program.programs():
        parsed = parse_section(fn.section)
        if parsed is not None:
            kind, target = parsed.kind, parsed.target
        else:
            kind, target = None, fn.section.partition("/")[2]
        programs[fn.name] = ProgramSpec(fn.name, fn.section, kind, target, dict(fn.attach), fn.line)
    globals_ = {name: GlobalSpec(name, g.type, g.value, g.section, g.line)
                for name, g in program.globals.items()}
    kernel_types = bool(program.kernel_structs) or any(
        p.kind is None or p.kind.kernel_types for p in programs.values())
    return ObjectSpec(program.filename, bytes(elf), maps, programs, globals_,
                      dict(program.event_types), tuple(program.warnings), program.license,
                      kernel_types)


def _uses_log2(expr: "Any", log2_locals: "Set[str]") -> bool:
    for node in m.walk(expr):
        if isinstance(node, m.HelperCall) and node.helper == "log2":
            return True
        if isinstance(node, m.LocalRef) and node.name in log2_locals:
            return True
    return False


def log2_maps(program: m.Program) -> "Set[str]":
    """Maps whose keys the program computes with log2(), directly or through a local."""
    found: "Set[str]" = set()
    for fn in program.functions.values():
        if not fn.uses_log2:  # (the frontend notes each log2() call: no walk for the rest)
            continue
        assigns, calls = [], []
        for node in m.walk(fn.body):
            if isinstance(node, m.Assign) and isinstance(node.target, m.LocalRef):
                assigns.append(node)
            elif isinstance(node, m.MapCall) and node.args and \
                    node.method in ("increment", "update", "lookup"):
                calls.append(node)
        if not calls:
            continue
        log2_locals: "Set[str]" = set()
        for _ in range(2):  # a second pass sees locals assigned from other log2 locals
            for node in assigns:
                if _uses_log2(node.value, log2_locals):
                    log2_locals.add(node.target.name)
        found.update(node.map for node in calls if _uses_log2(node.args[0], log2_locals))
    return found
