"""Module-level declarations: type annotations, @struct classes, maps, constants, LICENSE."""
from __future__ import annotations

import ast
from typing import Dict, List, Optional

from ..errors import SourceFile
from ..typed import MapDecl
from .kernel_types import network_header
from .names import Names
from ...kinds.constants import BPF_F_NO_PREALLOC, PERF_MAX_STACK_DEPTH
from ...kinds.maps import BY_CLASS, BY_NAME, kind_names
from ...spec.types import CTYPES_INTS, ArrayType, Field, StrType, StructType, ValueType, align_up

# str(N) and arrays may be as large as a map value or ring-buffer record (a full path is 4096
# bytes); only locals live on the 512-byte stack, and the stack check refuses those that cannot.
MAX_STR = 1 << 16
MAX_ARRAY = 1 << 16

MAP_CLASSES = {cls: (kind.name, kind.map_type) for cls, kind in BY_CLASS.items()}
KEYED_KINDS = kind_names(shape="keyed")
VALUE_ONLY_KINDS = kind_names(shape="values")
STACK_DEPTH = PERF_MAX_STACK_DEPTH
PAGE_SIZE = 4096


class Declarations:
    """Reads declarations; keeps what it found so later ones can refer to earlier ones."""

    def __init__(self, src: SourceFile, names: Names):
        self.src = src
        self.names = names
        self.structs: Dict[str, StructType] = {}
        self.constants: Dict[str, int] = {}
        self.enums: Dict[str, Dict[str, int]] = {}  # IntEnum class -> member -> value
        self.warnings: List[str] = []  # given to the user by compile_source, also from the cache

    # ---- types -----------------------------------------------------------------------
    def value_type(self, node: ast.AST, what: str = "type") -> ValueType:
        name = self.names.canonical(node)
        if name in CTYPES_INTS:
            return CTYPES_INTS[name]
        if name in self.structs:
            return self.structs[name]
        header = network_header(name) if self.names.module_of(node) == "pythonbpf.vmlinux" else None
        if header is not None:
            return header
        if isinstance(node, ast.Call) and self.names.canonical(node.func) == "str":
            if len(node.args) == 1 and not node.keywords:
                n = self.const_int(node.args[0])
                if n is not None and 0 < n <= MAX_STR:
                    return StrType(n)
            raise self.src.error(node, f"str(N) needs one constant length between 1 and {MAX_STR}",
                                 hint="write e.g. comm: str(16)")
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            elem_node, count_node = node.left, node.right
            if self.const_int(elem_node) is not None:
                elem_node, count_node = count_node, elem_node
            count = self.const_int(count_node)
            if count is None or not 0 < count <= MAX_ARRAY:
                raise self.src.error(count_node, f"an array length must be a constant from 1 to {MAX_ARRAY}",
                                     hint="write e.g. `mac: u8 * 6`")
            return ArrayType(self.value_type(elem_node, "array element type"), count)
        if isinstance(node, ast.Constant) and node.value is None:
            raise self.src.error(node, f"None is not a {what}", hint="use an integer type such as u64")
        shown = ast.unparse(node) if hasattr(ast, "unparse") else "this"
        raise self.src.error(node, f"unknown {what} '{shown}'",
                             hint="use a ctypes integer (c_uint64, ...), u8..u64/i8..i64, str(N) "
                                  "or a @struct class declared above")

    def const_int(self, node: ast.AST) -> Optional[int]:
        """Fold a constant integer expression made of literals and module constants."""
        if isinstance(node, ast.Constant) and type(node.value) in (int, bool):
            return int(node.value)
        if isinstance(node, ast.Name) and node.id in self.constants:
            return self.constants[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Invert)):
            v = self.const_int(node.operand)
            if v is None:
                return None
            return -v if isinstance(node.op, ast.USub) else (~v if isinstance(node.op, ast.Invert) else v)
        if isinstance(node, ast.BinOp):
            a, b = self.const_int(node.left), self.const_int(node.right)
            if a is None or b is None:
                return None
            return fold_binop(node.op, a, b)
        return None

    def enum(self, node: ast.ClassDef) -> None:
        """An IntEnum/IntFlag class: its members fold to constants (`Color.RED`)."""
        members: Dict[str, int] = {}
        last = 0
        for stmt in node.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                value = stmt.value
                if isinstance(value, ast.Call) and self.names.canonical(value.func) == "auto":
                    v = last + 1 if members else 1
                else:
                    v = self.const_int(value)
                if v is None:
                    raise self.src.error(value, "enum members must be integer constants")
                members[stmt.targets[0].id] = last = v
        self.enums[node.name] = members

    # ---- structs ---------------------------------------------------------------------
    def struct(self, node: ast.ClassDef) -> StructType:
        fields = []
        offset = 0
        align = 1
        for stmt in node.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                ftype = self.value_type(stmt.annotation, "field type")
                offset = align_up(offset, ftype.align)
                if any(f.name == stmt.target.id for f in fields):
                    raise self.src.error(stmt, f"field '{stmt.target.id}' is declared twice")
                fields.append(Field(stmt.target.id, ftype, offset))
                offset += ftype.size
                align = max(align, ftype.align)
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue  # docstring
            elif not isinstance(stmt, ast.Pass):
                raise self.src.error(stmt, "a @struct class holds only annotated fields",
                                     hint="write fields as `name: u64`")
        if not fields:
            raise self.src.error(node, f"struct '{node.name}' has no fields", hint="add e.g. `pid: u32`")
        st = StructType(node.name, tuple(fields), align_up(offset, align), align)
        self.structs[node.name] = st
        return st

    # ---- maps ------------------------------------------------------------------------
    def is_map_call(self, node: ast.AST) -> bool:
        return isinstance(node, ast.Call) and self.names.canonical(node.func) in MAP_CLASSES

    def map(self, name: str, call: ast.Call) -> MapDecl:
        cls = self.names.canonical(call.func)
        kind, map_type = MAP_CLASSES[cls]
        args = dict(zip(("key", "value", "max_entries"), call.args))
        for kw in call.keywords:
            if kw.arg is None:
                raise self.src.error(kw.value, "map options must be written out as keywords")
            args[kw.arg] = kw.value
        allowed = {"key", "value", "max_entries", "key_size", "value_size", "pin", "flags"}
        for key, value in args.items():
            if key not in allowed:
                raise self.src.error(value, f"{cls} has no option '{key}'",
                                     hint="options are key, value, max_entries (and key_size/value_size)")
        decl = MapDecl(name, kind, map_type, None, None, 0, line=call.lineno)
        if "key" in args:
            decl.key = self.value_type(args["key"], "key type")
        if "value" in args:
            decl.value = self.value_type(args["value"], "value type")
        for size_name in ("key_size", "value_size"):
            if size_name in args:
                setattr(decl, size_name, self._size(args[size_name]))
        if "pin" in args:
            pin = args["pin"]
            if not isinstance(pin, ast.Constant) or not isinstance(pin.value, str) or not pin.value \
                    or "/" in pin.value:
                raise self.src.error(pin, "pin= takes a name (a file in /sys/fs/bpf)", hint='pin="counts"')
            decl.pin = pin.value
        if "flags" in args:
            flags = self.const_int(args["flags"])
            if flags is None or flags < 0:
                raise self.src.error(args["flags"], "flags= must be a constant")
            decl.flags = flags
        if "max_entries" in args:
            n = self.const_int(args["max_entries"])
            if n is None or n <= 0 or n >= 1 << 32:
                raise self.src.error(args["max_entries"], "max_entries must be a positive constant")
            decl.max_entries = n
        self._check_map(decl, call, cls)
        return decl

    def _size(self, node: ast.AST) -> int:
        n = self.const_int(node)
        return n if n is not None else self.value_type(node, "size").size

    def _check_map(self, decl: MapDecl, call: ast.Call, cls: str) -> None:
        if decl.kind in KEYED_KINDS:
            if decl.key is None or decl.value is None:
                raise self.src.error(call, f"{cls} needs key= and value= types",
                                     hint=f"write {cls}(key=u32, value=u64, max_entries=1024)")
            if decl.max_entries == 0:
                raise self.src.error(call, f"{cls} needs max_entries=N")
            row = BY_NAME[decl.kind]
            if row.array and decl.key.size != 4:
                raise self.src.error(call, f"{cls} keys are 32-bit indexes", hint="use key=u32")
            if row.key_size and decl.key.size != row.key_size:
                raise self.src.error(call, f"{cls} keys are {row.key_size} bytes, not {decl.key.size}",
                                     hint="declare key=u32" if row.key_size == 4 else "")
            sizes = row.value_sizes
            if sizes and decl.value.size not in sizes:
                shown = " or ".join(str(n) for n in sizes)
                raise self.src.error(call, f"{cls} values are {shown} bytes, not {decl.value.size}",
                                     hint=f"declare value= as a type of {shown} bytes (u32 is 4, u64 is 8)")
            if decl.kind == "lpm_trie":
                decl.flags |= BPF_F_NO_PREALLOC
        elif decl.kind in VALUE_ONLY_KINDS:
            if decl.value is None or decl.key is not None or decl.max_entries == 0:
                raise self.src.error(call, f"{cls} takes value= and max_entries= (no key)",
                                     hint=f"write {cls}(value=u64, max_entries=1024)")
        elif decl.kind == "stack_trace":
            decl.key_size, decl.value_size = 4, 8 * STACK_DEPTH
            decl.max_entries = decl.max_entries or 1024
        elif decl.kind == "prog_array":
            decl.key_size, decl.value_size = 4, 4
            if decl.max_entries == 0:
                raise self.src.error(call, f"{cls} needs max_entries=N")
        elif decl.kind == "perf_event_array":
            # The kernel's perf event array holds a CPU index and a perf event fd, 4 bytes each,
            # and refuses other sizes; the original project normalises them, so do we
            # (`PerfEventArray(key_size=c_int64, value_size=c_int64)` is accepted as 4 and 4).
            decl.key_size, decl.value_size = 4, 4
        elif decl.kind == "ringbuf":
            decl.max_entries = self._ringbuf_size(decl.max_entries or 256 * 1024, call)

    def _ringbuf_size(self, size: int, call: ast.Call) -> int:
        rounded = PAGE_SIZE
        while rounded < size:
            rounded *= 2
        if rounded != size:
            loc = self.src.location(call)
            self.warnings.append(f"{loc.filename}:{loc.line}: ring buffer size {size} is not a "
                                 f"power-of-two multiple of the page size; using {rounded}")
        return rounded


def fold_binop(op: ast.operator, a: int, b: int) -> Optional[int]:
    """Python's own arithmetic on two untyped literals (they have no width yet)."""
    if isinstance(op, ast.Add):
        return a + b
    if isinstance(op, ast.Sub):
        return a - b
    if isinstance(op, ast.Mult):
        return a * b
    if isinstance(op, ast.FloorDiv):
        return a // b if b else 0
    if isinstance(op, ast.Mod):
        return a % b if b else a
    if isinstance(op, ast.BitAnd):
        return a & b
    if isinstance(op, ast.BitOr):
        return a | b
    if isinstance(op, ast.BitXor):
        return a ^ b
    if isinstance(op, ast.LShift) and 0 <= b < 128:
        return a << b
    if isinstance(op, ast.RShift) and b >= 0:
        return a >> b
    return None
