"""Random map sections: the maps, struct types and map/struct statements of a program.

Keys and indexes stay in small domains (`& 7`, `% 8`, literals, loop counters), so hash maps
never fill up and array indexes are ones the compiler can prove in range; the values stored
are arbitrary generated expressions over the program's inputs and the values looked up.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from pythonbpf.reference import I64, KINDS, U32, Kind

from .drawer import chance, choice, value_of, weighted
from .exprs import Bin, Builtin, Expr, Lit, Slot
from .genexpr import GenContext, ExprGen, Var, random_kind
from .mapsec import (AugUpdate, Build, Delete, FieldTuple, FieldWrite, Lookup, Loop, MapDecl,
                     MStmt, OutWrite, Path, Probe, Update, KEY_DOMAIN)
from .structs import ArrT, FieldT, StructT, nested_structs, random_value
from .twins import Twins


@dataclass
class MapSection:
    maps: List[MapDecl] = field(default_factory=list)
    stmts: List[MStmt] = field(default_factory=list)
    outputs: List[str] = field(default_factory=list)
    initial: Dict[str, Any] = field(default_factory=dict)  # map name -> model contents

    def structs(self) -> List[StructT]:
        found: List[StructT] = []
        for m in self.maps:
            for s in nested_structs(m.value):
                if s not in found:
                    found.append(s)
        return found


class MapSectionGen:
    def __init__(self, ctx: GenContext, inputs: List[Var], first_output: int):
        self.ctx = ctx
        self.d = ctx.d
        self.inputs = inputs
        self.next_output = first_output
        self.section = MapSection()

    # ---- declarations ------------------------------------------------------------------
    def struct_types(self) -> StructT:
        inner = StructT("Inner", [(f"p{i}", random_kind(self.d)) for i in range(self.d.integer(1, 3))])
        rec = StructT("Rec", [(f"f{i}", random_kind(self.d)) for i in range(self.d.integer(1, 3))])
        if chance(self.d, 70):
            rec.fields.append(("arr", ArrT(random_kind(self.d), self.d.integer(2, 6))))
            self.ctx.cover["struct with an array field"] += 1
        if chance(self.d, 55):
            rec.fields.append(("inner", inner))
            self.ctx.cover["nested struct"] += 1
        if chance(self.d, 20):
            rec.fields.append(("pts", ArrT(inner, 2)))
            self.ctx.cover["array of structs"] += 1
        return rec

    def declare(self) -> None:
        maps = self.section.maps
        if chance(self.d, 70):
            maps.append(MapDecl("counts", True, random_kind(self.d), random_kind(self.d), 32))
        if chance(self.d, 45):
            maps.append(MapDecl("slots", False, U32, random_kind(self.d), KEY_DOMAIN))
        if chance(self.d, 60) or not maps:
            rec = self.struct_types()
            if chance(self.d, 50):
                maps.append(MapDecl("recs", False, U32, rec, KEY_DOMAIN))
            else:
                maps.append(MapDecl("recs", True, choice(self.d, [*KINDS]), rec, 16))
                self.ctx.cover["struct values in a hash map"] += 1
        for m in maps:
            m.seed_style = chance(self.d, 30)
            m.called = m.seed_style and chance(self.d, 50)
            self.ctx.cover["map declared seed-style" if m.seed_style else "map declared at module level"] += 1

    def initial_contents(self) -> None:
        for m in self.section.maps:
            pick = lambda k: value_of(self.d, k)  # noqa: E731
            if m.hash:
                keys = {self.d.integer(0, KEY_DOMAIN + 3) for _ in range(self.d.integer(0, 4))}
                self.section.initial[m.name] = {m.key.wrap(k): random_value(m.value, pick) for k in keys}
            else:
                self.section.initial[m.name] = [random_value(m.value, pick) if chance(self.d, 50)
                                                else random_value(m.value, lambda k: 0)
                                                for _ in range(m.max_entries)]

    # ---- pieces ------------------------------------------------------------------------
    def output(self) -> str:
        name = f"o{self.next_output}"
        self.next_output += 1
        self.section.outputs.append(name)
        return name

    def scope(self, loop: Optional[str], extra: Optional[Kind] = None) -> List[Var]:
        scope = list(self.inputs)
        if loop:
            scope.append(Var(loop, I64, writable=False))
        if extra is not None:
            scope.append(Var("m1", extra, writable=False))
        return scope

    @staticmethod
    def kinds(scope: List[Var]) -> Dict[str, Any]:
        return {v.name: v.kind for v in scope}

    def key(self, loop: Optional[str], domain: int = KEY_DOMAIN) -> Expr:
        src = choice(self.d, self.inputs)
        how = weighted(self.d, [(40, "lit"), (25, "and"), (15, "mod"), (20 if loop else 0, "loop")])
        if how == "loop":
            return Slot(loop, I64)
        if how == "and" and domain & (domain - 1) == 0:
            return Bin("&", Slot(src.name, src.kind), Lit(domain - 1))
        if how in ("and", "mod"):
            return Bin("%", Slot(src.name, src.kind), Lit(domain))
        return Lit(self.d.integer(0, domain - 1))

    def index(self, n: int, loop: Optional[str], count: int) -> Expr:
        src = choice(self.d, self.inputs)
        unsigned = [v for v in self.inputs if not v.kind.signed]
        how = weighted(self.d, [(35, "lit"), (10, "neg"), (15, "and"), (15, "mod"),
                                (10 if unsigned else 0, "min"), (15 if loop and count <= n else 0, "loop")])
        self.ctx.cover[f"array index: {how}"] += 1
        if how == "neg":
            return Lit(-self.d.integer(1, n))
        if how == "loop":
            return Slot(loop, I64)
        if how == "and" and n & (n - 1) == 0:
            return Bin("&", Slot(src.name, src.kind), Lit(n - 1))
        if how in ("and", "mod"):
            return Bin("%", Slot(src.name, src.kind), Lit(n))
        if how == "min":
            u = choice(self.d, unsigned)
            return Builtin("min", [Slot(u.name, u.kind), Lit(n - 1)])
        return Lit(self.d.integer(0, n - 1))

    def path(self, t: StructT, loop: Optional[str], count: int) -> Path:
        steps: List = []
        cur: FieldT = t
        while not isinstance(cur, Kind):
            if isinstance(cur, StructT):
                name, cur = choice(self.d, cur.fields)
                steps.append(("f", name))
            else:
                steps.append(("i", self.index(cur.n, loop, count), cur.n))
                cur = cur.elem
        return Path(steps, cur)

    def value(self, scope: List[Var], kind: Kind) -> Expr:
        return ExprGen(self.ctx, scope).operand(2, kind)

    # ---- statements --------------------------------------------------------------------
    def statement(self, loop: Optional[str] = None, count: int = 0) -> Optional[MStmt]:
        ints = [m for m in self.section.maps if isinstance(m.value, Kind)]
        structs = [m for m in self.section.maps if isinstance(m.value, StructT)]
        hashes = [m for m in ints if m.hash]
        what = weighted(self.d, [
            (14 if ints else 0, "update"), (16 if ints else 0, "aug"),
            (5 if hashes else 0, "delete"), (10 if ints else 0, "probe"),
            (16 if ints else 0, "lookup"), (18 if structs else 0, "struct lookup"),
            (12 if structs else 0, "build"), (8 if loop is None else 0, "loop"),
        ])
        if what == "loop":
            return self.loop()
        m = choice(self.d, structs if what in ("struct lookup", "build") else
                   hashes if what == "delete" else ints)
        return getattr(self, "make_" + what.replace(" ", "_"))(m, loop, count)

    def make_update(self, m: MapDecl, loop: Optional[str], count: int) -> MStmt:
        scope = self.scope(loop)
        form = weighted(self.d, [(40, "update"), (30, "setitem"), (10, "BPF_ANY"),
                                 (10, "BPF_NOEXIST"), (10, "BPF_EXIST")])
        self.ctx.cover[f"map update ({form})"] += 1
        return Update(m, self.key(loop), self.value(scope, m.value), form, self.kinds(scope))

    def make_aug(self, m: MapDecl, loop: Optional[str], count: int) -> MStmt:
        scope = self.scope(loop)
        form = weighted(self.d, [(70, "aug"), (15, "increment"), (15, "increment1")])
        op = choice(self.d, ["+", "-", "|", "&", "^"]) if form == "aug" else "+"
        self.ctx.cover[f"m[k] {op}= n" if form == "aug" else f"map {form}()"] += 1
        value = self.value(scope, m.value) if form != "increment1" else Lit(1)
        return AugUpdate(m, self.key(loop), op, value, form, self.kinds(scope))

    def make_delete(self, m: MapDecl, loop: Optional[str], count: int) -> MStmt:
        form = choice(self.d, ["del", "delete"])
        self.ctx.cover[f"map {form}"] += 1
        return Delete(m, self.key(loop), form, self.kinds(self.scope(loop)))

    def make_probe(self, m: MapDecl, loop: Optional[str], count: int) -> MStmt:
        form = choice(self.d, ["get", "in", "not in"])
        self.ctx.cover[f"map {form}"] += 1
        default = self.d.integer(0, min(m.value.max, 1000))
        return Probe(m, self.key(loop), self.output(), form, default, self.kinds(self.scope(loop)))

    def out_write(self, scope: List[Var], out: str, slot_text: Dict[str, str]) -> OutWrite:
        g = ExprGen(self.ctx, scope)
        op = choice(self.d, ["+", "-", "^", "|"]) if chance(self.d, 15) else None
        value = g.operand(2, I64) if op else g.typed(2)
        if op is None and chance(self.d, 20) and "m1" in {v.name for v in scope}:
            value = Slot("m1", [v for v in scope if v.name == "m1"][0].kind)
        return OutWrite(out, value, self.kinds(scope), op, wrap_i64=chance(self.d, 50),
                        slot_text=slot_text)

    def presence_test(self) -> str:
        test = weighted(self.d, [(35, "if x"), (20, "is not None"), (20, "if not x"),
                                 (10, "is None"), (15, "and")])
        self.ctx.cover[f"presence test: {test}"] += 1
        return test

    def make_lookup(self, m: MapDecl, loop: Optional[str], count: int) -> MStmt:
        var = self.ctx.fresh("x")
        inner = self.scope(loop, extra=m.value)
        outer = self.scope(loop)
        out = self.output()
        then = [self.out_write(inner, out, {"m1": var}) for _ in range(self.d.integer(1, 2))]
        orelse = [self.out_write(outer, out, {})] if chance(self.d, 60) else []
        test = self.presence_test()
        cond = ExprGen(self.ctx, outer).operand(1, m.value) if test == "and" else None
        self.ctx.cover["map lookup of an integer"] += 1
        return Lookup(m, self.key(loop), var, test, then, orelse, self.kinds(inner), cond)

    def make_struct_lookup(self, m: MapDecl, loop: Optional[str], count: int) -> MStmt:
        var = self.ctx.fresh("r")
        read = self.path(m.value, loop, count)
        inner = self.scope(loop, extra=read.kind)
        outer = self.scope(loop)
        out = self.output()
        then: List[MStmt] = []
        for _ in range(self.d.integer(1, 3)):
            if chance(self.d, 60):
                target = self.path(m.value, loop, count)
                op = choice(self.d, ["+", "-", "*", "&", "|", "^", "//", "%", "<<", ">>"]) \
                    if chance(self.d, 35) else None
                value = self.value(inner, target.kind)
                if op in ("<<", ">>") and isinstance(value, Lit):
                    value = Lit(abs(value.value) % (target.kind.bits + 2))
                self.ctx.cover["struct field write in a map value" if op is None
                               else "struct field augmented in a map value"] += 1
                if len(target.steps) > 1:
                    self.ctx.cover["nested field or element write"] += 1
                then.append(FieldWrite(var, target, value, self.kinds(inner), op,
                                       {"m1": read.render(var, self._names())}))
            else:
                then.append(self.out_write(inner, out, {"m1": read.render(var, self._names())}))
        orelse = [self.out_write(outer, out, {})] if chance(self.d, 40) else []
        test = self.presence_test()
        cond = ExprGen(self.ctx, outer).operand(1, read.kind) if test == "and" else None
        self.ctx.cover["map lookup of a struct"] += 1
        return Lookup(m, self.key(loop), var, test, then, orelse, self.kinds(inner), cond, read)

    def make_build(self, m: MapDecl, loop: Optional[str], count: int) -> MStmt:
        var = self.ctx.fresh("s")
        scope = self.scope(loop)
        writes: List[MStmt] = []
        for _ in range(self.d.integer(0, 4)):
            if chance(self.d, 20):
                paths = [self.path(m.value, loop, count) for _ in range(2)]
                values = [self.value(scope, p.kind) for p in paths]
                self.ctx.cover["tuple assignment to struct fields"] += 1
                writes.append(FieldTuple(var, paths, values, self.kinds(scope)))
            else:
                p = self.path(m.value, loop, count)
                writes.append(FieldWrite(var, p, self.value(scope, p.kind), self.kinds(scope)))
        form = choice(self.d, ["update", "setitem"])
        self.ctx.cover["struct local stored in a map"] += 1
        return Build(m, var, writes, self.key(loop), form, self.kinds(scope))

    def loop(self) -> MStmt:
        var = self.ctx.fresh("mi")
        count = self.d.integer(1, KEY_DOMAIN)
        saved = self.ctx.factor
        self.ctx.factor *= count
        try:
            body = [s for s in (self.statement(var, count) for _ in range(self.d.integer(1, 3))) if s]
        finally:
            self.ctx.factor = saved
        self.ctx.cover["map operations in a loop"] += 1
        return Loop(var, count, body)

    def _names(self) -> Dict[str, str]:
        return {v.name: f"v.{v.name[3:]}" for v in self.inputs}

    # ---- all of it ---------------------------------------------------------------------
    def generate(self, twins: Twins) -> MapSection:
        self.declare()
        self.initial_contents()
        for _ in range(self.d.integer(1, 5)):
            s = self.statement()
            if s is not None:
                self.section.stmts.append(s)
        for s in self.section.stmts:
            for e, kinds in s.exprs():
                twins.add(e, kinds)
        return self.section
