"""`pythonbpf run -e SOURCE`: a program written like a bpftrace one-liner.

SOURCE is the language of docs/language.md without imports or LICENSE: every public name of
`pythonbpf`, `pythonbpf.helper`, `pythonbpf.maps` and `pythonbpf.types` is in scope, the license
is GPL, and a name used as a map but never declared (`opens[comm()] += 1`) becomes a hash map
whose key and value types are those of the expressions the program stores, found by the
compiler's own type checker on a copy of the program that assigns them to locals. A tuple key
(`sizes[comm(), log2(ctx.count)] += 1`) becomes a struct key with a field per element; a name
used only as `stacks.get_stackid(ctx)` becomes a stack trace map. The expansion keeps the user's
line numbers: one prelude line before them (errors are reported one line up), the declarations
after them, and each rewritten statement stays on its own line.
"""
from __future__ import annotations

import ast
from typing import Dict, List, Optional, Set, Tuple

__all__ = ["expand", "OneLiner"]

FILENAME = "<-e>"
MAX_ENTRIES = 10240


class OneLiner:
    """The expanded program, and what the summary should know about its implicit maps."""

    def __init__(self, source: str, hist_fields: Dict[str, str], stack_keys: Dict[str, str]):
        self.source = source
        self.hist_fields = hist_fields  # map -> the key field that is a log2 slot ("" = the key)
        self.stack_keys = stack_keys  # map -> the stack trace map its keys are ids into


def _public(module: str) -> List[str]:
    mod = __import__(module, fromlist=["_"])
    names = getattr(mod, "__all__", None) or [n for n in vars(mod) if not n.startswith("_")]
    lazy = getattr(mod, "_LAZY", {})
    return sorted(n for n in names if n not in lazy and not n.startswith("_") and n != "TYPE_CHECKING"
                  and not isinstance(getattr(mod, n, None), type(ast)))


def prelude() -> Tuple[str, Set[str]]:
    """One line importing every public name, and the names it brings."""
    parts, names = [], set()
    for module in ("pythonbpf", "pythonbpf.helper", "pythonbpf.maps", "pythonbpf.types"):
        public = [n for n in _public(module) if n not in names]
        names.update(public)
        parts.append(f"from {module} import {', '.join(public)}")
    return "; ".join(parts), names


class _Use:
    """One statement that uses implicit maps: where, and each subscript in it."""

    def __init__(self, stmt: ast.stmt):
        self.stmt = stmt
        self.subscripts: List[ast.Subscript] = []


def _module_names(tree: ast.Module) -> Set[str]:
    found: Set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            found.add(node.name)
        elif isinstance(node, ast.Assign):
            found.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found.add(node.target.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found.update((a.asname or a.name).split(".")[0] for a in node.names)
    return found


def _function_locals(fn: ast.FunctionDef) -> Set[str]:
    names = {a.arg for a in fn.args.args}
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def _statements(body: List[ast.stmt]):
    for stmt in body:
        yield stmt
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list):
                yield from _statements(inner)


def _own_nodes(stmt: ast.stmt):
    """The nodes of a statement without those of its nested statement lists."""
    todo = [child for name, child in ast.iter_fields(stmt) if name not in ("body", "orelse")]
    while todo:
        node = todo.pop()
        if isinstance(node, list):
            todo.extend(node)
        elif isinstance(node, ast.AST):
            yield node
            todo.extend(ast.iter_child_nodes(node))


def _error(message: str, node: ast.AST, source: str, hint: str = ""):
    from ..compiler.errors import SourceFile

    return SourceFile(source, FILENAME).error(node, message, hint=hint)


def expand(source: str) -> OneLiner:
    """The full program a one-liner stands for (see the module docstring)."""
    import textwrap

    source = textwrap.dedent(source).strip("\n") + "\n"
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        from ..compiler.errors import CompileError, Location

        raise CompileError(f"invalid syntax: {exc.msg}", Location(FILENAME, exc.lineno or 1, exc.offset or 1),
                           exc.text or "") from None
    head, imported = prelude()
    declared = _module_names(tree) | imported
    uses: List[_Use] = []
    maps: Set[str] = set()
    stack_maps: Set[str] = set()
    for fn in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
        local = _function_locals(fn)
        for stmt in _statements(fn.body):
            use = _Use(stmt)
            for node in _own_nodes(stmt):
                if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and \
                        node.value.id not in declared and node.value.id not in local:
                    use.subscripts.append(node)
                    maps.add(node.value.id)
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                        node.func.attr == "get_stackid" and isinstance(node.func.value, ast.Name) and \
                        node.func.value.id not in declared:
                    stack_maps.add(node.func.value.id)
            if use.subscripts:
                if stmt.lineno != stmt.end_lineno or isinstance(stmt, (ast.If, ast.While, ast.For)):
                    raise _error(f"'{use.subscripts[0].value.id}' is not declared: an undeclared map "
                                 "is used only in a simple statement on one line", use.subscripts[0],
                                 source, hint="assign the value to a local first, or declare the map")
                uses.append(use)
    lines = source.splitlines()
    key_types: Dict[str, List[str]] = {}
    value_types: Dict[str, str] = {}
    for _ in range(2):  # reads of an implicit map see the types the first round found
        placeholders = {name: (key_types.get(name, ["u64"]), value_types.get(name, "u64")) for name in maps}
        key_types, value_types = _infer(source, lines, head, uses, stack_maps, placeholders)
    declarations, hist_fields, stack_keys = [], {}, {}
    for name in sorted(stack_maps):
        declarations.append(f"{name} = StackTraceMap(max_entries={MAX_ENTRIES})")
    rewritten = list(lines)
    structs: List[str] = []
    for index, use in enumerate(uses):
        rewritten[use.stmt.lineno - 1] = _rewrite(rewritten[use.stmt.lineno - 1], use, index)
    for name in sorted(maps):
        keys = key_types.get(name)
        if not keys:
            raise _error(f"'{name}' is not declared and no statement stores into it",
                         next(s for u in uses for s in u.subscripts if s.value.id == name), source,
                         hint=f"count with `{name}[key] += 1`, or declare it")
        elements = _key_elements(name, uses)
        if len(keys) > 1:
            fields = _field_names(elements)
            structs.append(f"@bpf\n@struct\nclass {name}_key:\n" +
                           "".join(f"    {f}: {t}\n" for f, t in zip(fields, keys)))
            key = f"{name}_key"
            if any(_is_call(e, "log2") for e in elements):
                hist_fields[name] = fields[[_is_call(e, "log2") for e in elements].index(True)]
        else:
            key = keys[0]
            if _is_call(elements[0], "log2"):
                hist_fields[name] = ""
            stacks = _stack_source(elements[0])
            if stacks:
                stack_keys[name] = stacks
        value = value_types.get(name, "u64")
        declarations.append(f"{name} = HashMap(key={key}, value={value}, max_entries={MAX_ENTRIES})")
    tail = "\n" + "\n".join(structs) + "\n" + "\n".join(declarations) + "\n"
    if "LICENSE" not in declared:
        tail += '\n@bpf\n@bpfglobal\ndef LICENSE() -> str:\n    return "GPL"\n'
    return OneLiner(head + "\n" + "\n".join(rewritten) + "\n" + tail, hist_fields, stack_keys)


def _is_call(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name


def _stack_source(node: ast.AST) -> Optional[str]:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
            node.func.attr == "get_stackid" and isinstance(node.func.value, ast.Name):
        return node.func.value.id
    return None


def _key_elements(name: str, uses: List[_Use]) -> List[ast.AST]:
    for use in uses:
        for sub in use.subscripts:
            if sub.value.id == name:
                return list(sub.slice.elts) if isinstance(sub.slice, ast.Tuple) else [sub.slice]
    return []


def _field_names(elements: List[ast.AST]) -> List[str]:
    """A field per key element, named after it where it is a plain call (`comm`, `pid`)."""
    out: List[str] = []
    for i, node in enumerate(elements):
        name = node.func.id if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else f"k{i}"
        name = "slot" if name == "log2" else name
        out.append(name if name not in out else f"{name}{i}")
    return out


def _segment(line: str, node: ast.AST) -> str:
    return line[node.col_offset:node.end_col_offset]


def _rewrite(line: str, use: _Use, index: int) -> str:
    """Tuple keys become a struct local built on the same line, before the statement."""
    before, out = [], line
    for j, sub in reversed(list(enumerate(use.subscripts))):
        if not isinstance(sub.slice, ast.Tuple):
            continue
        local = f"_k{index}_{j}"
        fields = _field_names(list(sub.slice.elts))
        before.insert(0, f"{local} = {sub.value.id}_key(); " + "; ".join(
            f"{local}.{f} = {_segment(line, e)}" for f, e in zip(fields, sub.slice.elts)) + "; ")
        out = out[:sub.slice.col_offset] + local + out[sub.slice.end_col_offset:]
    col = use.stmt.col_offset
    return out[:col] + "".join(before) + out[col:]


def _infer(source: str, lines: List[str], head: str, uses: List[_Use], stack_maps: Set[str],
           placeholders: Dict[str, Tuple[List[str], str]]) -> Tuple[Dict[str, List[str]], Dict[str, str]]:
    """The source types of each implicit map's key elements and of the values stored into it,
    read from the locals of a copy of the program that assigns them instead of storing."""
    probe = list(lines)
    wanted: Dict[str, Tuple[str, List[str], Optional[str]]] = {}
    for index, use in enumerate(uses):
        stmt, line = use.stmt, lines[use.stmt.lineno - 1]
        parts: List[str] = []
        for j, sub in enumerate(use.subscripts):
            elements = list(sub.slice.elts) if isinstance(sub.slice, ast.Tuple) else [sub.slice]
            keys = [f"_ik{index}_{j}_{e}" for e in range(len(elements))]
            parts += [f"{k} = {_segment(line, e)}" for k, e in zip(keys, elements)]
            value = None
            target = getattr(stmt, "target", None) or (stmt.targets[0] if isinstance(stmt, ast.Assign) else None)
            if target is sub:
                value = f"_iv{index}_{j}"
                parts.append(f"{value} = {_segment(line, stmt.value)}")
            wanted.setdefault(sub.value.id, (stmt.__class__.__name__, keys, value))
        stores = isinstance(stmt, (ast.Assign, ast.AugAssign)) and any(
            (getattr(stmt, "target", None) or stmt.targets[0]) is s for s in use.subscripts)
        if stores or isinstance(stmt, ast.Delete):
            text = "; ".join(parts)
        else:
            text = line[stmt.col_offset:]
            for sub in reversed(use.subscripts):
                text = text[:sub.col_offset - stmt.col_offset] + "0" + text[sub.end_col_offset - stmt.col_offset:]
            text = "; ".join(parts + [text])
        probe[stmt.lineno - 1] = line[:stmt.col_offset] + text
    tail = "".join(f"\n{name} = StackTraceMap(max_entries=8)" for name in sorted(stack_maps))
    tail += "".join(f"\n{name} = HashMap(key={keys[0] if len(keys) == 1 else 'u64'}, value={value}, "
                    f"max_entries=8)" for name, (keys, value) in sorted(placeholders.items()))
    tail += '\n@bpf\n@bpfglobal\ndef LICENSE() -> str:\n    return "GPL"\n'
    program_text = head + "\n" + "\n".join(probe) + "\n" + tail
    from ..compiler.errors import CompileError
    from ..compiler import check_source

    try:
        program = check_source(program_text, FILENAME)
    except CompileError as exc:
        raise shift_error(exc, source) from None
    types: Dict[str, str] = {}
    for fn in program.functions.values():
        for local, t in fn.locals.items():
            types[local.split("__rb")[0]] = _render(t)
    key_types = {name: [types.get(k, "u64") for k in keys] for name, (_, keys, _) in wanted.items()}
    value_types = {name: _value(types.get(value, "u64")) for name, (_, _, value) in wanted.items() if value}
    return key_types, value_types


def _render(t) -> str:
    kind = type(t).__name__
    if kind == "IntType":
        return f"{'i' if t.signed else 'u'}{t.bits}"
    if kind == "StrType":
        return f"str({t.length})"
    if kind == "StructType":
        return t.name
    if kind == "RefType":
        return _render(t.target)
    if kind == "BoolType":
        return "u8"
    return "u64"  # literals and what else widens to a counter


def _value(rendered: str) -> str:
    """Values accumulate: integers widen to 64 bits of their signedness."""
    if rendered[:1] in "ui" and rendered[1:].isdigit():
        return "i64" if rendered[0] == "i" else "u64"
    return rendered


def shift_error(exc, source: str):
    """A CompileError in the expanded program, told at the one-liner's own line."""
    from ..compiler.errors import CompileError, Location

    if exc.location is None or exc.location.filename != FILENAME:
        return exc
    line = exc.location.line - 1
    lines = source.splitlines()
    if not 1 <= line <= len(lines):
        return exc
    return CompileError(exc.message, Location(FILENAME, line, exc.location.col), lines[line - 1], exc.hint)
