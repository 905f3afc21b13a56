"""A whole generated program: subprograms, the XDP program `run`, its maps, and its twin.

    run(ctx):  v = inputs.lookup(0); out = results.lookup(0); a = v.a; ...
               <integer block: writes out.o1 .. out.oK>
               <map section: writes maps and out.oK+1 ..>
               return XDP_PASS

The twin source holds the same subprograms, `twin_run(a, b, ...)` (the integer block with the
output fields as i64 locals) and the map section's expression twins; the reference
interpreter runs it. Subprograms are rendered identically in both.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Tuple

from pythonbpf.reference import I64, Kind

from .drawer import Drawer, chance, value_of
from .genexpr import ExprGen, GenContext, SubSig, Var, random_kind
from .genmaps import MapSection, MapSectionGen
from .genstmt import BlockGen, Where
from .mapsec import MapDecl
from .stmts import Line, Stmt, render_block
from .structs import StructT, declaration, type_text
from .twins import Twins

HEADER = """\
from ctypes import (c_void_p, c_bool, c_int8, c_byte, c_uint8, c_ubyte, c_int16, c_short,
                    c_uint16, c_ushort, c_int32, c_int, c_uint32, c_uint, c_int64, c_longlong,
                    c_uint64, c_ulonglong)
from pythonbpf import bpf, bpfglobal, map, section, struct, xdp
from pythonbpf.helper import BPF_ANY, BPF_EXIST, BPF_NOEXIST
from pythonbpf.maps import ArrayMap, HashMap
from pythonbpf.types import i8, i16, i32, i64, u8, u16, u32, u64
"""

LICENSE = '''@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
'''

XDP_PASS = 2


@dataclass
class Sub:
    sig: SubSig
    params: List[Tuple[str, str]]  # (name, type spelling)
    returns: str  # spelling, or "" for no annotation
    body: List[Stmt]

    def source(self) -> str:
        params = ", ".join(f"{n}: {t}" for n, t in self.params)
        ret = f" -> {self.returns}" if self.returns else ""
        lines = ["@bpf", f"def {self.sig.name}({params}){ret}:"]
        return "\n".join(lines + render_block(self.body, {}, 1)) + "\n"


@dataclass
class Program:
    source: str
    twin: str
    inputs: List[Tuple[str, Kind]]
    block_outputs: List[str]
    section: MapSection
    twins: Twins
    input_sets: List[Dict[str, int]]
    cover: Counter = field(default_factory=Counter)

    @property
    def outputs(self) -> List[str]:
        return self.block_outputs + self.section.outputs

    def describe(self) -> str:
        sets = "\n".join(f"#   {s}" for s in self.input_sets)
        return f"{self.source}\n# inputs (one run each):\n{sets}\n"


def make_sub(ctx: GenContext, index: int) -> Sub:
    d = ctx.d
    ctx.factor = ctx.peak = 1
    params = [(f"p{i + 1}", random_kind(d)) for i in range(d.integer(1, 3))]
    annotated = chance(d, 85)
    returns = random_kind(d) if annotated else I64
    scope = [Var(n, k) for n, k in params]
    gen = BlockGen(ctx)
    body = gen.block(scope, Where(depth=2, returns=returns), d.integer(0, 5), own=False)
    body.append(Line("return {}", ExprGen(ctx, scope).operand(3, returns)))
    ctx.cover["subprogram"] += 1
    if not annotated:
        ctx.cover["subprogram without a return annotation"] += 1
    sig = SubSig(f"sub{index}", [k for _, k in params], returns, ctx.peak)
    spelled = [(n, ctx.spell(k)) for n, k in params]
    return Sub(sig, spelled, ctx.spell(returns) if annotated else "", body)


def generate(d: Drawer) -> Program:
    ctx = GenContext(d)
    twins = Twins(lambda k: "c_bool" if k is bool else k.name)
    inputs = [(name, random_kind(d)) for name in "abcd"[:d.integer(1, 4)]]
    subs: List[Sub] = []
    for i in range(d.integer(0, 3)):
        sub = make_sub(ctx, i + 1)
        subs.append(sub)
        ctx.subs.append(sub.sig)
    ctx.factor = ctx.peak = 1
    outputs = [f"o{i + 1}" for i in range(d.integer(1, 4))]
    scope = [Var(n, k) for n, k in inputs] + [Var(o, I64, field=True) for o in outputs]
    block = BlockGen(ctx).block(scope, Where(depth=3, outputs=outputs), d.integer(1, 7), own=False)
    section = MapSection()
    if chance(d, 85):
        gen = MapSectionGen(ctx, [Var(f"in_{n}", k, writable=False) for n, k in inputs],
                            len(outputs) + 1)
        section = gen.generate(twins)
    input_sets = [{n: value_of(d, k) for n, k in inputs} for _ in range(3)]
    program = Program("", "", inputs, outputs, section, twins, input_sets, ctx.cover)
    program.source = bpf_source(ctx, program, subs, block)
    program.twin = twin_source(program, subs, block, twins)
    return program


def _struct_lines(ctx: GenContext, program: Program) -> List[str]:
    spell = ctx.spell
    inputs = StructT("Inputs", [(n, k) for n, k in program.inputs])
    outputs = StructT("Outputs", [(o, I64) for o in program.outputs])
    lines: List[str] = []
    for s in [*program.section.structs(), inputs, outputs]:
        lines += declaration(s, spell) + [""]
    return lines


def _map_lines(ctx: GenContext, m: MapDecl) -> List[str]:
    kind = "HashMap" if m.hash else "ArrayMap"
    ctor = (f"{kind}(key={ctx.spell(m.key)}, value={type_text(m.value, ctx.spell)}, "
            f"max_entries={m.max_entries})")
    if m.seed_style:
        return ["@bpf", "@map", f"def {m.name}() -> {kind}:", f"    return {ctor}", ""]
    return [f"{m.name} = {ctor}"]


def bpf_source(ctx: GenContext, program: Program, subs: List[Sub], block: List[Stmt]) -> str:
    lines = [HEADER] + _struct_lines(ctx, program)
    lines += ["inputs = ArrayMap(key=u32, value=Inputs, max_entries=1)",
              "results = ArrayMap(key=u32, value=Outputs, max_entries=1)"]
    for m in program.section.maps:
        lines += _map_lines(ctx, m)
    lines.append("")
    for sub in subs:
        lines += ["", sub.source()]
    if chance(ctx.d, 50):
        lines += ["", "@xdp", "def run(ctx):"]
    else:
        lines += ["", "@bpf", '@section("xdp")', "def run(ctx: c_void_p) -> c_int64:"]
    lines += ["    v = inputs.lookup(0)", "    out = results.lookup(0)"]
    if chance(ctx.d, 50):
        lines += ["    if not v or not out:", "        return 1"]
    else:
        lines += ["    if v is None:", "        return 1", "    if out is None:", "        return 1"]
    lines += [f"    {n} = v.{n}" for n, _ in program.inputs]
    names = {o: f"out.{o}" for o in program.block_outputs}
    lines += render_block(block, names, 1) if block else []
    section_names = {f"in_{n}": f"v.{n}" for n, _ in program.inputs}
    for s in program.section.stmts:
        lines += s.lines(section_names, 1)
    lines += [f"    return {XDP_PASS}", "", "", LICENSE]
    return "\n".join(lines)


def twin_source(program: Program, subs: List[Sub], block: List[Stmt], twins: Twins) -> str:
    params = ", ".join(f"{n}: {k.name}" for n, k in program.inputs)
    lines = [HEADER]
    for sub in subs:
        lines += ["", sub.source()]
    lines += ["", "@bpf", f"def twin_run({params}) -> i64:"]
    lines += [f"    {o}: i64 = 0" for o in program.block_outputs]
    lines += render_block(block, {}, 1) if block else []
    lines += ["    return 0", ""]
    lines.append(twins.source())
    return "\n".join(lines)
