"""Runs the `@bpf` functions of a pythonbpf program in CPython, under the reference semantics.

`load(source)` returns a namespace; `ns["f"](1, 2)` runs function f. This is the core of a
CPython simulator of BPF programs: the result of a function here is what the compiled program
computes in the kernel (the differential tests hold the two to that).

What is kept of the module: imports of `pythonbpf`, `pythonbpf.types`, `pythonbpf.helper` and
`ctypes` (rebound by `shims`: types become reference kinds, decorators do nothing), `enum`
imports, `IntEnum` classes, and module-level constants (integer expressions). Top-level code
(`b = BPF(); b.load()`) is never run, as the `pythonbpf` command never runs it either. Each
`@bpf` function is rewritten by `rewrite.FunctionRewriter`:

- a local's kind is fixed by its first assignment in source order (a typed value gives its
  kind, an untyped literal i64, a bool stays bool) or by an annotation (`x: u32 = 0`); every
  later store (`=`, `+=`, tuple assignment, a `for` target) converts to it;
- `for i in range(a, b, step)` yields values of the common kind of range's arguments (i64 when
  they are all literals);
- parameters convert to their annotated kinds (wrapping, so callers may pass any int) and
  return values to the annotated return kind; a subprogram without a return annotation that
  returns a value returns i64, a program without one returns i32 (the compiler's choice);
- loops, break, continue, if/elif/else, early return and calls between functions are CPython's.

Errors the compiler reports (`/`, `**`, a literal that does not fit, floats) raise
ReferenceTypeError from `load`, with the location. Constructs not simulated yet (maps, structs,
helpers, the program context) turn the function using them into a stub that raises
NotImplementedError naming the construct when called; the rest of the program still runs.
"""
from __future__ import annotations

import ast
import builtins
from typing import Any, Callable, Dict, List, Optional

from . import runtime
from .kinds import I32, I64, Kind, ReferenceTypeError
from .rewrite import FunctionRewriter, Signature, Unsimulated, located
from .shims import (CONTEXT, DATA_DECORATORS, PROGRAM_DECORATORS, Unsupported, bindings,
                    is_shimmed, shim_module)

_ENUM_BASES = {"IntEnum", "IntFlag", "Enum", "Flag"}
_KEPT_MODULES = {"enum"}
_CONSTANT_NODES = (ast.Constant, ast.Name, ast.Attribute, ast.BinOp, ast.UnaryOp, ast.BoolOp,
                   ast.Compare, ast.IfExp, ast.operator, ast.unaryop, ast.boolop, ast.cmpop,
                   ast.expr_context, ast.Call)


def load(source: str, filename: str = "<prog>") -> Dict[str, Any]:
    """Execute `source`'s declarations and rewritten `@bpf` functions; return the namespace."""
    tree = ast.parse(source, filename)
    ns: Dict[str, Any] = {"__name__": "__reference__", "__builtins__": builtins,
                          "__ref__": runtime}
    functions: List[ast.FunctionDef] = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            _bind_import(node, ns, filename)
        elif isinstance(node, ast.ClassDef):
            _bind_class(node, ns, filename)
        elif isinstance(node, ast.FunctionDef):
            role = _role(node)
            if role in ("program", "subprogram"):
                functions.append(node)
            elif role is not None:
                ns[node.name] = Unsupported(f"{role} '{node.name}'")
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            _bind_constant(node, ns, filename)
    signatures: Dict[str, Signature] = {}
    stubs: Dict[str, str] = {}
    for fn in functions:
        try:
            signatures[fn.name] = _signature(fn, ns, filename)
        except Unsimulated as e:
            stubs[fn.name] = str(e)
            ns[fn.name] = Unsupported(f"calling {fn.name}(), which uses {e.what}")
    defs: List[ast.stmt] = []
    for fn in functions:
        if fn.name in stubs:
            continue
        try:
            defs.append(FunctionRewriter(fn, signatures, ns, filename).build())
        except Unsimulated as e:
            stubs[fn.name] = f"{e} (in {fn.name}, {filename}:{fn.lineno})"
    exec(compile(ast.Module(defs, []), filename, "exec"), ns)
    for name, message in stubs.items():
        ns[name] = _stub(name, message)
    return ns


def _stub(name: str, message: str) -> Callable[..., Any]:
    def unsupported(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(message)

    unsupported.__name__ = unsupported.__qualname__ = name
    return unsupported


def _decorator_name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _role(fn: ast.FunctionDef) -> Optional[str]:
    """'program', 'subprogram', 'map', 'bpfglobal', 'struct', or None (not a @bpf object)."""
    names = {_decorator_name(d) for d in fn.decorator_list}
    if names & PROGRAM_DECORATORS:
        return "program"
    data = names & DATA_DECORATORS
    if data:
        return data.pop()
    return "subprogram" if "bpf" in names else None


def _bind_import(node: ast.stmt, ns: Dict[str, Any], filename: str) -> None:
    if isinstance(node, ast.ImportFrom):
        module = node.module or ""
        if node.level or module == "__future__":
            return
        if is_shimmed(module):
            named = {a.asname or a.name: a.name for a in node.names if a.name != "*"}
            ns.update(bindings(module, named))
        elif module in _KEPT_MODULES:
            _exec(node, ns, filename)
        return
    for alias in node.names:
        top = alias.name if alias.asname else alias.name.split(".")[0]
        shimmed = shim_module(top)
        if shimmed is not None:
            ns[alias.asname or top] = shim_module(alias.name) if alias.asname else shimmed
        elif top in _KEPT_MODULES:
            _exec(ast.Import([alias]), ns, filename)


def _bind_class(node: ast.ClassDef, ns: Dict[str, Any], filename: str) -> None:
    if "struct" in {_decorator_name(d) for d in node.decorator_list}:
        ns[node.name] = Unsupported(f"struct '{node.name}'")
    elif {_decorator_name(b) for b in node.bases} & _ENUM_BASES:
        _exec(node, ns, filename)


def _bind_constant(node: Any, ns: Dict[str, Any], filename: str) -> None:
    """Module-level `NAME = <integer expression>`; map and global declarations are stubbed."""
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    names = [t.id for t in targets if isinstance(t, ast.Name)]
    value = node.value
    if value is None or len(names) != len(targets):
        return
    if isinstance(value, ast.Call):
        func = _callee(value, ns, filename)
        if isinstance(func, Unsupported):
            what = "map" if func.what.startswith("map type") else "global"
            for name in names:
                ns[name] = Unsupported(f"{what} '{name}'")
            return
        if not isinstance(func, Kind):
            return  # top-level code such as BPF(...), which the interpreter never runs
    if not _is_constant(value, ns, filename):
        return
    try:
        result = eval(compile(ast.Expression(value), filename, "eval"), ns)
    except Exception:
        return
    for name in names:
        ns[name] = result


def _is_constant(value: ast.expr, ns: Dict[str, Any], filename: str) -> bool:
    """Whether evaluating `value` is harmless: operators, names and calls of kinds only."""
    for n in ast.walk(value):
        if not isinstance(n, _CONSTANT_NODES):
            return False
        if isinstance(n, ast.Call) and not isinstance(_callee(n, ns, filename), Kind):
            return False
    return True


def _callee(call: ast.Call, ns: Dict[str, Any], filename: str) -> Any:
    """What a call's `name` or `a.b.name` denotes, or None; nothing is called to find out."""
    node: ast.expr = call.func
    while isinstance(node, ast.Attribute):
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    try:
        return eval(compile(ast.Expression(call.func), filename, "eval"), ns)
    except Exception:
        return None


def _exec(node: ast.stmt, ns: Dict[str, Any], filename: str) -> None:
    exec(compile(ast.Module([node], []), filename, "exec"), ns)


def _annotation(node: Optional[ast.expr], ns: Dict[str, Any], filename: str) -> Any:
    if node is None or (isinstance(node, ast.Constant) and node.value is None):
        return None
    try:
        value = eval(compile(ast.Expression(node), filename, "eval"), ns)
    except Exception as e:
        raise located(ReferenceTypeError(f"unknown type {ast.unparse(node)} ({e})"),
                      filename, node) from None
    if isinstance(value, Unsupported):
        raise Unsimulated(value.what)
    return value


def _signature(fn: ast.FunctionDef, ns: Dict[str, Any], filename: str) -> Signature:
    args = fn.args
    if args.vararg or args.kwarg or args.kwonlyargs or args.defaults or args.posonlyargs:
        raise located(ReferenceTypeError("BPF functions take plain positional parameters only"),
                      filename, fn)
    program = _role(fn) == "program"
    params = []
    for a in args.args:
        kind = _annotation(a.annotation, ns, filename)
        if program:
            kind = CONTEXT
        elif not isinstance(kind, Kind):
            raise located(ReferenceTypeError(f"parameter '{a.arg}' needs an integer type"),
                          filename, a)
        params.append((a.arg, kind))
    returns = _annotation(fn.returns, ns, filename)
    if returns is None and not (isinstance(fn.returns, ast.Constant)):
        has_value = any(isinstance(n, ast.Return) and n.value is not None for n in ast.walk(fn))
        returns = (I32 if program else I64) if has_value or program else None
    if returns is not None and not isinstance(returns, Kind):
        raise located(ReferenceTypeError(f"{fn.name}() must return an integer type"),
                      filename, fn.returns or fn)
    return Signature(fn.name, params, returns)
