"""The verifier's complaints in plain words, with what to change in the Python program.

Ordered: the first pattern that matches the kernel's message wins. Each entry is
(pattern, explanation, advice); both may use the pattern's named groups.
"""
from __future__ import annotations

import re
from typing import List, Optional, Tuple

__all__ = ["explain"]

_TABLE: List[Tuple[str, str, str]] = [
    (r"BPF program is too large\. Processed (?P<n>\d+) insn",
     "the verifier gave up after checking {n} instructions: the program has too many paths, "
     "or a loop the verifier must walk too many times",
     "run fewer loop iterations, move work out of loops, or give a loop an `if` so it runs "
     "as a bpf_loop callback (checked once, not once per iteration)"),
    (r"The sequence of (?P<n>\d+) jumps is too complex",
     "the program branches too often for the verifier to follow ({n} pending branches)",
     "split the function into smaller @bpf functions, or use fewer nested `if`s in loops"),
    (r"program of this type cannot use helper (?P<helper>\w+)",
     "{kind} programs may not call {helper}",
     "remove the call here, or move it to a program type that allows it "
     "(stack ids need a tracing or perf_event program)"),
    (r"invalid func unknown#(?P<helper_id>\d+)",
     "this kernel does not have {helper_desc}",
     "run on a kernel that has it, or avoid the Python construct on this line"),
    (r"unknown func (?P<helper>\S+)",
     "this kernel does not have the helper {helper}",
     "use another helper, or run on a newer kernel"),
    (r"cannot call GPL-restricted function",
     "a GPL-only helper is called but the license is not GPL-compatible",
     'declare the license: `@bpf @bpfglobal def LICENSE() -> str: return "GPL"`'),
    (r"invalid mem access 'map_value_or_null'",
     "a map value is used without checking that the lookup found it",
     "test the result first: `v = m.lookup(k)` then `if v:`"),
    (r"invalid mem access '(?P<what>scalar|inv)'",
     "memory is read through a plain number: the verifier does not know it as a pointer",
     "read kernel memory with probe_read_kernel() (or user memory with probe_read_user()) "
     "instead of dereferencing the address"),
    (r"invalid mem access '(?P<what>[^']+)'",
     "memory is accessed through a value of kind '{what}', which cannot be read that way",
     "check the value (a null test for lookups and reservations) before using it"),
    (r"R(?P<r>\d+) unbounded memory access",
     "an index or length has no upper bound the verifier can see",
     "bound it right before the access: `i & 63`, `min(n, 64)` or `if i < N:`"),
    (r"(min value is negative|min value is outside of the allowed memory range|"
     r"unbounded min value)",
     "an offset or index may be negative",
     "use an unsigned type for it, or test `if i >= 0:` before the access"),
    (r"invalid access to map value, value_size=(?P<size>\d+) off=(?P<off>-?\d+) size=(?P<n>\d+)",
     "{n} bytes at offset {off} are outside the map value ({size} bytes)",
     "keep indexes and field accesses within the value type; bound indexes before use"),
    (r"invalid access to packet",
     "packet data is read beyond what has been proven to be inside the packet",
     "use `h = pkt.header(T)` and test `if not h: return ...` before reading it"),
    (r"invalid (indirect )?read from stack",
     "a local (or a buffer passed to a helper) is read before it was fully written",
     "initialise it first, e.g. `e = Event()` zero-fills a struct"),
    (r"At callback return the register R0",
     "a loop body that runs as a bpf_loop callback can end in a way the verifier cannot follow "
     "(a tail call inside the loop does this)",
     "move the tail call out of the loop: remember the decision in a local, call after the loop"),
    (r"R(?P<r>\d+) !read_ok",
     "register R{r} is read before anything was written to it (R0 is the return value: some "
     "path may end without one)",
     "make sure every path returns a value and that helper results are used right away"),
    (r"combined stack size of (?P<calls>\d+) calls is (?P<n>\d+)",
     "the call chain uses {n} bytes of stack ({calls} nested calls); the limit is 512",
     "keep big structs in a per-CPU array map instead of locals, or call fewer levels deep"),
    (r"Unreleased reference id=(?P<id>\d+)",
     "a ring buffer reservation (or another kernel reference) is not released on some path",
     "call submit() or discard() on every path after a successful reserve()"),
    (r"(back-edge from insn|infinite loop detected)",
     "a loop could not be shown to end",
     "give the loop a constant or provably bounded trip count"),
    (r"cannot write into (?P<what>\w+)",
     "the program writes to {what} memory, which is read-only for it",
     "copy the data to a local or a map value and change the copy"),
    (r"invalid bpf_context access off=(?P<off>\d+) size=(?P<n>\d+)",
     "the context is read at offset {off} ({n} bytes), which this program type does not allow",
     "use only the context fields of this program's section"),
    (r"R(?P<r>\d+) type=(?P<got>\S+) expected=(?P<want>\S+)",
     "argument R{r} of a helper call is a {got}, the helper needs a {want}",
     "pass the kind of value the helper documents (e.g. a local buffer, a map, the ctx)"),
    (r"misaligned (?P<what>\w+) access",
     "a {what} access is not aligned to its size",
     "read multi-byte values at offsets that are multiples of their size"),
    (r"Invalid (arg|name|type_id|btf_info|func_info|line_info)",
     "the kernel rejected the object's debug information (BTF)",
     "this is a compiler problem; please report it with the program"),
    (r"unreachable insn",
     "the object has code no path reaches",
     "this is a compiler problem; please report it with the program"),
    (r"(helper call might sleep|program must be sleepable)",
     "a sleeping helper is used in a program that may not sleep",
     "use the non-sleeping variant of the helper"),
    (r"(the call stack of \d+ frames is too deep|call stack .* too deep)",
     "bpf-to-bpf calls nest too deeply (the kernel allows 8 frames)",
     "call fewer levels deep, inline small helpers by hand"),
]
_COMPILED = [(re.compile(p), e, a) for p, e, a in _TABLE]


def explain(message: str, kind: str = "") -> Tuple[str, str]:
    """(plain-words explanation, what to change) for a verifier complaint; `kind` is the
    program's kind (its section's first word) when known."""
    for pattern, text, advice in _COMPILED:
        m = pattern.search(message)
        if m:
            groups = {"kind": kind or "this kind of"}
            groups.update({k: v for k, v in m.groupdict().items() if v is not None})
            if "helper" in groups:  # refused for this kind, or only on kernels before some version
                from ..kinds.helpers import refusal_note

                note = refusal_note(groups["helper"].split("#", 1)[0], kind)
                if note:
                    return (f"this kernel refused {kind or 'this'} programs the call of "
                            f"{groups['helper'].split('#', 1)[0]}: {note}",
                            "run on a Linux that allows it, or move the call to a program kind "
                            "that may make it")
            if "helper_id" in groups:
                from ..kinds.helpers import describe

                groups["helper_desc"] = describe(int(groups["helper_id"]))
            return _fill(text, groups), _fill(advice, groups)
    first = message.splitlines()[0] if message else "no message"
    return (f"the kernel's verifier rejected the program ({first})",
            "run with -v to see the verifier's full log")


def _fill(template: str, groups: dict) -> str:
    try:
        return template.format(**groups)
    except (KeyError, IndexError):
        return template


def match_known(message: str) -> Optional[str]:
    """The pattern that explains `message`, or None (for tests of the table)."""
    for pattern, _, _ in _COMPILED:
        if pattern.search(message):
            return pattern.pattern
    return None
