"""Map and struct code of a generated program, and its simulation in Python.

After its integer block, the generated XDP program runs a "map section": lookups with a
presence test (`if x:`, `is not None`, `if not x: ... else:`, `x and x > n`), updates (method,
flags, subscript), `m[k] op= n` and `increment()` that insert when absent, `get`, `in`,
deletes, struct values in maps modified in place (integer fields, array elements with
constant, negative, masked or loop indexes, nested structs, arrays of structs), struct locals
built and stored, and loops over all of those. Each statement knows its effect on a model of
the maps (`sim`), with the integers it needs evaluated by the reference interpreter (`twins`).
The runner compares the model with the maps read back from the kernel.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from pythonbpf.reference import I64, Kind, Value
from pythonbpf.reference.ops import binop
from pythonbpf.reference.runtime import assign

from .exprs import Expr
from .stmts import INDENT
from .structs import FieldT, zero
from .twins import Twins

KEY_DOMAIN = 8  # keys and indexes the section uses: 0..7 (and a few pre-set hash keys)


@dataclass
class MapDecl:
    name: str
    hash: bool
    key: Kind
    value: FieldT
    max_entries: int
    seed_style: bool = False  # `@bpf @map def name() -> HashMap: return HashMap(...)`
    called: bool = False  # used as `name()` in programs

    @property
    def ref(self) -> str:
        return f"{self.name}()" if self.called else self.name

    def key_of(self, v: Any) -> int:
        return self.key.wrap(int(v))


@dataclass
class Env:
    """Slot values during simulation, and the model of the maps and output fields."""

    values: Dict[str, Any]
    maps: Dict[str, Any]
    outs: Dict[str, int]
    twins: Twins

    def eval(self, e: Expr) -> Any:
        return self.twins.eval(e, self.values)


def store(kind: Kind, x: Any) -> int:
    """The value a store of `x` into a `kind` field or map value leaves there."""
    return assign(kind, x).value


# ---- paths into struct values ------------------------------------------------------------
@dataclass
class Path:
    """`.f`, `.arr[i]`, `.inner.p`, `.pts[i].q`: steps from a struct value to an integer."""

    steps: List[Tuple[str, Any]]  # ("f", name) or ("i", index Expr, length)
    kind: Kind

    def render(self, base: str, names: Dict[str, str]) -> str:
        text = base
        for step in self.steps:
            text += f".{step[1]}" if step[0] == "f" else f"[{step[1].render(names)}]"
        return text

    def exprs(self) -> List[Expr]:
        return [s[1] for s in self.steps if s[0] == "i"]

    def _walk(self, value: Any, env: Env) -> Tuple[Any, Any]:
        """The container holding the integer, and its key (a field name or an index)."""
        holder, key = value, None
        for n, step in enumerate(self.steps):
            if n:
                holder = holder[key]
            if step[0] == "f":
                key = step[1]
            else:
                i = int(env.eval(step[1]))
                key = i + step[2] if i < 0 else i
        return holder, key

    def get(self, value: Any, env: Env) -> int:
        holder, key = self._walk(value, env)
        return holder[key]

    def set(self, value: Any, env: Env, x: int) -> None:
        holder, key = self._walk(value, env)
        holder[key] = x


# ---- statements --------------------------------------------------------------------------
class MStmt:
    def lines(self, names: Dict[str, str], depth: int) -> List[str]:
        raise NotImplementedError

    def sim(self, env: Env) -> None:
        raise NotImplementedError

    def exprs(self) -> List[Tuple[Expr, Dict[str, Any]]]:
        """Every expression it evaluates, with the kinds of the slots it may read."""
        return []


def _pad(depth: int) -> str:
    return INDENT * depth


@dataclass
class OutWrite(MStmt):
    """`out.oN = E`, `out.oN = i64(E)` or `out.oN op= E`."""

    out: str
    value: Expr
    slots: Dict[str, Any]
    op: Optional[str] = None
    wrap_i64: bool = False
    slot_text: Dict[str, str] = field(default_factory=dict)  # how m-slots read in BPF

    def lines(self, names: Dict[str, str], depth: int) -> List[str]:
        local = {**names, **self.slot_text}
        value = self.value.render(local)
        if self.wrap_i64:
            value = f"i64({value})"
        op = f" {self.op}=" if self.op else " ="
        return [f"{_pad(depth)}out.{self.out}{op} {value}"]

    def sim(self, env: Env) -> None:
        x = env.eval(self.value)
        if self.op:
            x = binop(self.op, Value(I64, env.outs[self.out]), x)
        env.outs[self.out] = store(I64, x)

    def exprs(self) -> List[Tuple[Expr, Dict[str, Any]]]:
        return [(self.value, self.slots)]


@dataclass
class Update(MStmt):
    """`m.update(k, v)`, `m.update(k, v, FLAG)`, `m[k] = v`."""

    m: MapDecl
    key: Expr
    value: Expr
    form: str  # "update", "BPF_ANY", "BPF_NOEXIST", "BPF_EXIST", "setitem"
    slots: Dict[str, Any]

    def lines(self, names: Dict[str, str], depth: int) -> List[str]:
        k, v = self.key.render(names), self.value.render(names)
        if self.form == "setitem":
            return [f"{_pad(depth)}{self.m.ref}[{k}] = {v}"]
        flag = "" if self.form == "update" else f", {self.form}"
        return [f"{_pad(depth)}{self.m.ref}.update({k}, {v}{flag})"]

    def sim(self, env: Env) -> None:
        k = self.m.key_of(env.eval(self.key))
        new = store(self.m.value, env.eval(self.value))
        put(env.maps[self.m.name], self.m, k, new, self.form)

    def exprs(self) -> List[Tuple[Expr, Dict[str, Any]]]:
        return [(self.key, self.slots), (self.value, self.slots)]


def put(model: Any, m: MapDecl, k: int, value: Any, form: str = "update") -> None:
    """A map update with the kernel's rules: flags, array bounds, a full hash map."""
    if m.hash:
        present = k in model
        if (form == "BPF_NOEXIST" and present) or (form == "BPF_EXIST" and not present):
            return
        if not present and len(model) >= m.max_entries:
            return
        model[k] = value
    elif 0 <= k < m.max_entries and form != "BPF_NOEXIST":
        model[k] = value


@dataclass
class AugUpdate(MStmt):
    """`m[k] op= v`, `m.increment(k, n=v)`, `m.increment(k)`: insert when absent."""

    m: MapDecl
    key: Expr
    op: str
    value: Expr
    form: str  # "aug", "increment", "increment1"
    slots: Dict[str, Any]

    def lines(self, names: Dict[str, str], depth: int) -> List[str]:
        k, v = self.key.render(names), self.value.render(names)
        if self.form == "increment1":
            return [f"{_pad(depth)}{self.m.ref}.increment({k})"]
        if self.form == "increment":
            return [f"{_pad(depth)}{self.m.ref}.increment({k}, n={v})"]
        return [f"{_pad(depth)}{self.m.ref}[{k}] {self.op}= {v}"]

    def sim(self, env: Env) -> None:
        model = env.maps[self.m.name]
        k = self.m.key_of(env.eval(self.key))
        n = 1 if self.form == "increment1" else env.eval(self.value)
        old = lookup(model, self.m, k)
        new = store(self.m.value, binop(self.op, Value(self.m.value, old or 0), n))
        put(model, self.m, k, new)

    def exprs(self) -> List[Tuple[Expr, Dict[str, Any]]]:
        return [(self.key, self.slots), (self.value, self.slots)]


def lookup(model: Any, m: MapDecl, k: int) -> Any:
    if m.hash:
        return model.get(k)
    return model[k] if 0 <= k < m.max_entries else None


@dataclass
class Delete(MStmt):
    m: MapDecl
    key: Expr
    form: str  # "del", "delete"
    slots: Dict[str, Any]

    def lines(self, names: Dict[str, str], depth: int) -> List[str]:
        k = self.key.render(names)
        if self.form == "del":
            return [f"{_pad(depth)}del {self.m.ref}[{k}]"]
        return [f"{_pad(depth)}{self.m.ref}.delete({k})"]

    def sim(self, env: Env) -> None:
        env.maps[self.m.name].pop(self.m.key_of(env.eval(self.key)), None)

    def exprs(self) -> List[Tuple[Expr, Dict[str, Any]]]:
        return [(self.key, self.slots)]


@dataclass
class Probe(MStmt):
    """`out.oN = m.get(k, D)`, `out.oN = 1 if k in m else 0`, `... k not in m ...`."""

    m: MapDecl
    key: Expr
    out: str
    form: str  # "get", "in", "not in"
    default: int
    slots: Dict[str, Any]

    def lines(self, names: Dict[str, str], depth: int) -> List[str]:
        k = self.key.render(names)
        if self.form == "get":
            return [f"{_pad(depth)}out.{self.out} = {self.m.ref}.get({k}, {self.default})"]
        return [f"{_pad(depth)}out.{self.out} = 1 if {k} {self.form} {self.m.ref} else 0"]

    def sim(self, env: Env) -> None:
        k = self.m.key_of(env.eval(self.key))
        found = lookup(env.maps[self.m.name], self.m, k)
        if self.form == "get":
            got = found if found is not None else self.m.value.wrap(self.default)
            env.outs[self.out] = I64.wrap(got)
        else:
            present = found is not None
            env.outs[self.out] = int(present if self.form == "in" else not present)

    def exprs(self) -> List[Tuple[Expr, Dict[str, Any]]]:
        return [(self.key, self.slots)]


@dataclass
class Lookup(MStmt):
    """`x = m.lookup(k)` and a presence test choosing between two blocks.

    The `then` block may read the value (slot `m1`) and, for struct values, write its fields.
    """

    m: MapDecl
    key: Expr
    var: str
    test: str  # "if x", "is not None", "if not x", "is None", "and"
    then: List[MStmt]
    orelse: List[MStmt]
    slots: Dict[str, Any]
    cond: Optional[Expr] = None  # for "and": `if x and x > E`
    path: Optional[Path] = None  # read slot m1 through this path (struct values)

    def lines(self, names: Dict[str, str], depth: int) -> List[str]:
        pad, x = _pad(depth), self.var
        out = [f"{pad}{x} = {self.m.ref}.lookup({self.key.render(names)})"]
        then = sum((s.lines(names, depth + 1) for s in self.then), []) or [_pad(depth + 1) + "pass"]
        orelse = sum((s.lines(names, depth + 1) for s in self.orelse), [])
        if self.test in ("if not x", "is None"):
            head = f"if not {x}:" if self.test == "if not x" else f"if {x} is None:"
            return out + [pad + head] + (orelse or [_pad(depth + 1) + "pass"]) + [pad + "else:"] + then
        if self.test == "and":
            head = f"if {x} and {self.m1_text(names)} > {self.cond.atom(names)}:"
        else:
            head = f"if {x}:" if self.test == "if x" else f"if {x} is not None:"
        out += [pad + head] + then
        if orelse:
            out += [pad + "else:"] + orelse
        return out

    def m1_text(self, names: Dict[str, str]) -> str:
        return self.path.render(self.var, names) if self.path else self.var

    def sim(self, env: Env) -> None:
        k = self.m.key_of(env.eval(self.key))
        found = lookup(env.maps[self.m.name], self.m, k)
        taken = found is not None
        if taken:
            env.values[self.var] = found
            self.read(env, found)
            if self.test == "and":
                taken = int(env.values["m1"]) > int(env.eval(self.cond))
        for s in self.then if taken else self.orelse:
            if taken:
                self.read(env, found)  # `r.f` reads memory where it is used
            s.sim(env)

    def read(self, env: Env, found: Any) -> None:
        env.values["m1"] = Value(self.slot_kind, self.path.get(found, env) if self.path else found)

    @property
    def slot_kind(self) -> Kind:
        return self.path.kind if self.path else self.m.value

    def exprs(self) -> List[Tuple[Expr, Dict[str, Any]]]:
        found = [(self.key, self.slots)]
        if self.cond is not None:
            found.append((self.cond, self.slots))
        if self.path is not None:
            found += [(e, self.slots) for e in self.path.exprs()]
        for s in self.then + self.orelse:
            found += s.exprs()
        return found


@dataclass
class FieldWrite(MStmt):
    """`r.path = E` / `r.path op= E` on a looked-up struct value or a struct local.

    `holder` names the variable: the model finds the struct value in `env.values[holder]`.
    """

    holder: str
    path: Path
    value: Expr
    slots: Dict[str, Any]
    op: Optional[str] = None
    slot_text: Dict[str, str] = field(default_factory=dict)

    def lines(self, names: Dict[str, str], depth: int) -> List[str]:
        local = {**names, **self.slot_text}
        op = f" {self.op}=" if self.op else " ="
        return [f"{_pad(depth)}{self.path.render(self.holder, names)}{op} {self.value.render(local)}"]

    def sim(self, env: Env) -> None:
        target = env.values[self.holder]
        x = env.eval(self.value)
        if self.op:
            x = binop(self.op, Value(self.path.kind, self.path.get(target, env)), x)
        self.path.set(target, env, store(self.path.kind, x))

    def exprs(self) -> List[Tuple[Expr, Dict[str, Any]]]:
        return [(self.value, self.slots)] + [(e, self.slots) for e in self.path.exprs()]


@dataclass
class FieldTuple(MStmt):
    """`s.f, s.arr[1] = E1, E2`: the right side first, then the stores in order."""

    holder: str
    paths: List[Path]
    values: List[Expr]
    slots: Dict[str, Any]

    def lines(self, names: Dict[str, str], depth: int) -> List[str]:
        left = ", ".join(p.render(self.holder, names) for p in self.paths)
        right = ", ".join(v.render(names) for v in self.values)
        return [f"{_pad(depth)}{left} = {right}"]

    def sim(self, env: Env) -> None:
        xs = [env.eval(v) for v in self.values]
        for p, x in zip(self.paths, xs):
            p.set(env.values[self.holder], env, store(p.kind, x))

    def exprs(self) -> List[Tuple[Expr, Dict[str, Any]]]:
        found = [(v, self.slots) for v in self.values]
        for p in self.paths:
            found += [(e, self.slots) for e in p.exprs()]
        return found


@dataclass
class Build(MStmt):
    """`s = Rec()`, field writes, then `m.update(k, s)` or `m[k] = s`."""

    m: MapDecl
    var: str
    writes: List[MStmt]
    key: Expr
    form: str  # "update", "setitem"
    slots: Dict[str, Any]

    def lines(self, names: Dict[str, str], depth: int) -> List[str]:
        pad = _pad(depth)
        out = [f"{pad}{self.var} = {self.m.value.name}()"]
        for w in self.writes:
            out += w.lines(names, depth)
        k = self.key.render(names)
        if self.form == "setitem":
            return out + [f"{pad}{self.m.ref}[{k}] = {self.var}"]
        return out + [f"{pad}{self.m.ref}.update({k}, {self.var})"]

    def sim(self, env: Env) -> None:
        env.values[self.var] = zero(self.m.value)
        for w in self.writes:
            w.sim(env)
        k = self.m.key_of(env.eval(self.key))
        put(env.maps[self.m.name], self.m, k, env.values[self.var])
        env.values[self.var] = _copy(env.values[self.var])  # the map holds a copy

    def exprs(self) -> List[Tuple[Expr, Dict[str, Any]]]:
        found = [(self.key, self.slots)]
        for w in self.writes:
            found += w.exprs()
        return found


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


@dataclass
class Loop(MStmt):
    """`for mi in range(n):` around map statements (keys and indexes may use `mi`)."""

    var: str
    count: int
    body: List[MStmt]

    def lines(self, names: Dict[str, str], depth: int) -> List[str]:
        body = sum((s.lines(names, depth + 1) for s in self.body), []) or [_pad(depth + 1) + "pass"]
        return [f"{_pad(depth)}for {self.var} in range({self.count}):"] + body

    def sim(self, env: Env) -> None:
        for i in range(self.count):
            env.values[self.var] = Value(I64, i)
            for s in self.body:
                s.sim(env)

    def exprs(self) -> List[Tuple[Expr, Dict[str, Any]]]:
        return sum((s.exprs() for s in self.body), [])
