"""Finds the BPF objects of a module (statically, from its source) and checks each one."""
from __future__ import annotations

import ast
from typing import Dict, List, Optional, Set, Tuple

from .declarations import Declarations
from ..errors import CompileError, Location, SourceFile
from .functions import FunctionChecker, Signature
from ..typed import FuncCall, GlobalDecl, HelperCall, MapCall, Print, Program
from .usdt import ARG_FUNCTION, declare_usdt_maps, usdt_arg_function
from ...spec.types import CTYPES_INTS, IntType, StructType
from .names import Names
from ...kinds.programs import section_label, section_prefixes, tracepoint_name
from .context import program_kind
from ...kinds.helpers import HELPERS_BY_NAME, allowed_in, helper_of
from .calls import helper_refused
from ...kinds.maps import PLAIN_METHODS
from .context_params import context_params
from .probes import PROGRAM_DECORATORS, DecoratorReader
from .stack import STACK_LIMIT, function_stacks, stack_items, walk

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from ...btf.kernel import KernelTypes

DECORATORS = {"bpf", "map", "section", "bpfglobal", "struct"}
ENUM_BASES = {"IntEnum", "IntFlag"}
GPL_COMPATIBLE = {"GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL", "Dual MIT/GPL",
                  "Dual MPL/GPL"}


def gpl_only_use(node, program: Program) -> str:
    """The GPL-only kernel helper a model node calls, or ''."""
    if isinstance(node, HelperCall):
        helper = helper_of(node.helper)
        return f"{node.helper}()" if helper is not None and helper.gpl_only else ""
    if isinstance(node, Print):
        return "print() (bpf_trace_printk)"
    if isinstance(node, FuncCall) and node.func == ARG_FUNCTION:
        return f"arg{node.args[1].value}() of a USDT probe (it reads registers with bpf_probe_read_kernel)"
    if type(node).__name__ == "PacketAddress":
        return "ctx.data as a number (read with bpf_probe_read_kernel)"
    if isinstance(node, MapCall) and node.method in PLAIN_METHODS:
        gpl = HELPERS_BY_NAME[PLAIN_METHODS[node.method].helper].gpl_only
        return f"{node.map}.{node.method}()" if gpl else ""
    if isinstance(node, MapCall) and (node.method == "get_stackid" or node.method == "output" and
                                      program.maps[node.map].kind == "perf_event_array"):
        return f"{node.map}.{node.method}()"
    return ""


def check_source(source: str, filename: str = "<string>",
                 kernel: Optional[KernelTypes] = None) -> Program:
    """Parse and check a module's source; the typed program, or a located CompileError.

    Kernel structs, BTF-typed arguments and tracepoint contexts are typed from `kernel`
    (`KernelTypes.running()`, this machine's, when None): the only kernel input there is."""
    if kernel is None:
        from ...btf.kernel import KernelTypes

        kernel = KernelTypes.running()
    src = SourceFile(source, filename)
    try:
        tree = ast.parse(source, filename)
    except SyntaxError as exc:
        line = (exc.text or "").rstrip("\n")
        raise CompileError(f"invalid Python syntax: {exc.msg}",
                           Location(filename, exc.lineno or 0, exc.offset or 0), line) from None
    return ModuleChecker(src, tree, kernel).check()


class ModuleChecker:
    def __init__(self, src: SourceFile, tree: ast.Module, kernel: KernelTypes):
        self.src = src
        self.tree = tree
        self.kernel = kernel
        self.names = Names(tree)
        self.decls = Declarations(src, self.names)
        self.program = Program(filename=src.filename)
        self.programs = DecoratorReader(src, self.names, self.decls)
        self.attach_options: Dict[str, Dict[str, int]] = {}

    def decorators(self, node: ast.AST) -> Set[str]:
        found = set()
        for deco in getattr(node, "decorator_list", []):
            target = deco.func if isinstance(deco, ast.Call) else deco
            name = self.names.canonical(target)
            if name in DECORATORS:
                found.add(name)
            elif name in PROGRAM_DECORATORS:
                found.add("bpf")
        return found

    def section_of(self, node: ast.FunctionDef) -> Optional[str]:
        section = self.declared_section(node)
        if section is not None:
            self.check_section(section, node)
        return section

    def check_section(self, section: str, fn: ast.FunctionDef) -> None:
        """A section libbpf knows, and for tracepoints one this kernel has (when tracefs can
        be read: without root, the kernel decides at attach)."""
        where = self.section_node(fn)
        if not section:
            raise self.src.error(where, "an empty section name", hint='name the hook, e.g. "xdp"')
        if program_kind(section) is None:
            known = section_prefixes()
            import difflib  # (only for a misspelt section: it costs start-up time)

            close = difflib.get_close_matches(section_label(section), known, n=3)
            raise self.src.error(where, f"unknown section '{section}'",
                                 hint=(f"did you mean {', '.join(close)}? " if close else "")
                                 + "sections start with: " + ", ".join(known))
        name = tracepoint_name(section)
        if program_kind(section) == "tracepoint" and name is None:
            raise self.src.error(where, f"'{section}' lacks a category: tracepoints are named "
                                        "tracepoint/CATEGORY/NAME", hint='e.g. "tracepoint/syscalls/sys_enter_openat"')
        if name is not None:
            from ...btf import KernelTypeError

            try:
                self.kernel.tracepoint_format(*name)
            except KernelTypeError as exc:
                if "permission" in exc.message.lower() or "not mounted" in exc.message.lower():
                    return
                hint = ("did you mean " + ", ".join(exc.suggestions) + "?") if exc.suggestions else \
                    "list them with `pythonbpf list tracepoints`"
                raise self.src.error(where, f"this kernel has no tracepoint {name[0]}:{name[1]}", hint=hint) from None
            except OSError:
                return

    def section_node(self, fn: ast.FunctionDef) -> ast.AST:
        """The string that names a function's section, for errors about it."""
        for deco in fn.decorator_list:
            if isinstance(deco, ast.Call) and deco.args and \
                    self.names.canonical(deco.func) in PROGRAM_DECORATORS | {"section"}:
                return deco.args[0]
        return fn

    def declared_section(self, node: ast.FunctionDef) -> Optional[str]:
        declared = self.programs.program(node)
        if declared is not None:
            self.attach_options[node.name] = declared[1]
            return declared[0]
        for deco in node.decorator_list:
            if isinstance(deco, ast.Call) and self.names.canonical(deco.func) == "section":
                if len(deco.args) != 1 or not isinstance(deco.args[0], ast.Constant) \
                        or not isinstance(deco.args[0].value, str):
                    raise self.src.error(deco, "section() takes one string, the ELF section name",
                                         hint='write @section("tracepoint/syscalls/sys_enter_openat")')
                section = deco.args[0].value
                if section == "perf_event":
                    self.attach_options[node.name] = {"frequency": 99}
                return section
        return None

    def check(self) -> Program:
        functions: List[ast.FunctionDef] = []
        for node in self.tree.body:
            kinds = self.decorators(node)
            if isinstance(node, ast.Assign):
                self.module_assign(node)
            elif isinstance(node, ast.ClassDef) and any(self.names.canonical(b) in ENUM_BASES
                                                        for b in node.bases):
                self.decls.enum(node)
            elif isinstance(node, ast.ClassDef) and "struct" in kinds:
                self.program.structs[node.name] = self.decls.struct(node)
            elif isinstance(node, ast.FunctionDef) and kinds:
                if "map" in kinds:
                    self.map_function(node)
                elif "bpfglobal" in kinds:
                    self.global_function(node)
                else:
                    functions.append(node)
            elif isinstance(node, ast.AsyncFunctionDef) and kinds:
                raise self.src.error(node, "BPF programs cannot be async", hint="use a plain def")
        sections = {fn.name: self.section_of(fn) for fn in functions}
        contexts = context_params(functions, sections, self.src)
        signatures = {fn.name: Signature.of(fn, sections[fn.name], self.decls, self.src,
                                            contexts.get(fn.name))
                      for fn in functions}
        usdt = [s for s in signatures.values() if program_kind(s.section or "") == "usdt"]
        if usdt:
            declare_usdt_maps(self.program.maps, self.src)
            if ARG_FUNCTION in signatures:
                raise self.src.error(signatures[ARG_FUNCTION].node, f"'{ARG_FUNCTION}' is the name of the "
                                     "USDT argument reader the compiler adds", hint="rename this function")
        calls, kind_uses = {}, {}
        for fn in functions:
            checker = FunctionChecker(self.src, self.names, self.decls, self.program, signatures,
                                      self.kernel)
            self.program.functions[fn.name] = checker.check(fn)
            self.program.functions[fn.name].attach = self.attach_options.get(fn.name, {})
            calls[fn.name] = checker.calls
            kind_uses[fn.name] = checker.kind_uses
        self.program.warnings = list(self.decls.warnings)
        self.reject_recursion(calls)
        self.check_helper_kinds(signatures, calls, kind_uses)
        self.check_license()
        self.check_stack({fn.name: fn for fn in functions})
        if usdt and any(isinstance(n, FuncCall) and n.func == ARG_FUNCTION
                        for fn in self.program.functions.values() for n in walk(fn.body)):
            self.program.functions[ARG_FUNCTION] = usdt_arg_function(usdt[0].section, usdt[0].node.lineno)
        if not self.program.programs():
            raise CompileError(f"{self.src.filename}: no BPF program found",
                               hint='decorate a function with @bpf and @section("...")')
        return self.program

    def check_license(self) -> None:
        """GPL-only helpers need a GPL-compatible LICENSE, or the kernel refuses the program.
        A module without LICENSE is "GPL", with a warning, as in the original Python-BPF."""
        if self.program.license is None:
            self.program.license = "GPL"
            self.program.warnings.append(f"{self.src.filename}: no LICENSE declared; using \"GPL\" "
                                         "(declare @bpf @bpfglobal def LICENSE() -> str: "
                                         "return \"GPL\" to say so)")
        if self.program.license in GPL_COMPATIBLE:
            return
        for fn in self.program.functions.values():
            for node in walk(fn.body):
                name = gpl_only_use(node, self.program)
                if name:
                    shown = f'LICENSE "{self.program.license}" is not' if self.program.license \
                        else "no LICENSE is"
                    raise self.src.error(ast.Name(lineno=node.pos.line, col_offset=node.pos.col - 1),
                                         f"{name} is GPL-only and {shown} GPL-compatible",
                                         hint='declare @bpf @bpfglobal def LICENSE() -> str: return "GPL"')

    def check_stack(self, nodes: Dict[str, ast.FunctionDef]) -> None:
        """A function whose own locals cannot fit is refused here, at its largest local. Call
        chains are measured on the compiled object (compiler/frames.py): LLVM inlines
        subprograms and shares slots between locals not live at once, which no estimate here
        can know."""
        own = function_stacks(self.program)
        for fn in self.program.functions.values():
            total = own[fn.name]
            if total <= STACK_LIMIT:
                continue
            items = sorted(stack_items(fn), key=lambda item: -item[1])
            largest = ", ".join(f"{what} ({size} bytes)" for what, size, _ in items[:3])
            where = fn.local_pos.get(items[0][2]) if items else None
            node = ast.Name(lineno=where.line, col_offset=where.col - 1) if where else nodes[fn.name]
            raise self.src.error(node, f"{fn.name}() needs {total} bytes of stack; the kernel "
                                       f"allows {STACK_LIMIT}. Largest: {largest}",
                                 hint=scratch_hint(fn.locals.get(items[0][2]) if items else None))

    def check_helper_kinds(self, signatures: Dict[str, Signature],
                           calls: Dict[str, List[Tuple[str, ast.Call]]],
                           kind_uses: Dict[str, List[Tuple[str, str, ast.AST]]]) -> None:
        """A subprogram's helper calls, checked for each program that reaches it: the kernel
        checks them per program, so a function shared by an XDP and a tracepoint program may
        call only what both may (the error names the program and its call)."""
        for program, sig in signatures.items():
            kind = program_kind(sig.section) if sig.section is not None else None
            if kind is None:
                continue
            seen: Set[str] = set()
            todo = [(callee, node) for callee, node in calls.get(program, [])]
            while todo:
                callee, via = todo.pop()
                if callee in seen:
                    continue
                seen.add(callee)
                for name, helper, node in kind_uses.get(callee, []):
                    if not allowed_in(helper, kind):
                        where = (f" ({callee}() is called from {kind} program {program}(), "
                                 f"line {via.lineno})")
                        raise self.src.error(node, *helper_refused(name, helper, kind, where))
                todo.extend(calls.get(callee, []))

    def reject_recursion(self, calls: Dict[str, List[Tuple[str, ast.Call]]]) -> None:
        """BPF has no recursion: a cycle in the call graph is an error at the call that closes it."""
        done: Set[str] = set()

        def visit(name: str, path: List[str]) -> None:
            for callee, node in calls.get(name, []):
                if callee in path:
                    cycle = " -> ".join(path[path.index(callee):] + [callee])
                    raise self.src.error(node, f"recursion is not allowed in BPF programs ({cycle})",
                                         hint="rewrite it as a bounded loop")
                if callee not in done:
                    visit(callee, path + [callee])
            done.add(name)

        for name in calls:
            visit(name, [name])

    def module_assign(self, node: ast.Assign) -> None:
        if len(node.targets) == 1 and isinstance(node.targets[0], ast.Tuple) \
                and isinstance(node.value, ast.Tuple) and len(node.value.elts) == len(node.targets[0].elts):
            for target, value in zip(node.targets[0].elts, node.value.elts):  # A, B = 0, 1
                if isinstance(target, ast.Name):
                    self.module_assign(ast.copy_location(ast.Assign(targets=[target], value=value), node))
            return
        if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
            return
        name = node.targets[0].id
        if self.decls.is_map_call(node.value):
            self.program.maps[name] = self.decls.map(name, node.value)
            return
        if isinstance(node.value, ast.Call) and self.names.canonical(node.value.func) in ("Const", "Global"):
            self.declare_global(name, node.value)
            return
        value = self.decls.const_int(node.value)
        if value is not None:
            self.decls.constants[name] = value
        else:
            self.decls.constants.pop(name, None)

    def single_return(self, node: ast.FunctionDef, what: str) -> ast.expr:
        body = [s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
        if len(body) != 1 or not isinstance(body[0], ast.Return) or body[0].value is None:
            raise self.src.error(node, f"a {what} function must consist of one return statement",
                                 hint="write e.g. `return HashMap(key=u32, value=u64, max_entries=1024)`")
        return body[0].value

    def map_function(self, node: ast.FunctionDef) -> None:
        value = self.single_return(node, "@map")
        if not self.decls.is_map_call(value):
            raise self.src.error(value, "a @map function must return a map declaration",
                                 hint="return HashMap(...), ArrayMap(...), RingBuf(...), ...")
        self.program.maps[node.name] = self.decls.map(node.name, value)

    def global_function(self, node: ast.FunctionDef) -> None:
        value = self.single_return(node, "@bpfglobal")
        if node.name == "LICENSE":
            if not isinstance(value, ast.Constant) or not isinstance(value.value, str):
                raise self.src.error(value, "LICENSE must return a string", hint='return "GPL"')
            self.program.license = value.value
            return
        t = self.decls.value_type(node.returns, "global type") if node.returns is not None else None
        if not isinstance(t, IntType):
            raise self.src.error(node, f"global '{node.name}' must be an integer",
                                 hint="annotate it, e.g. `def total() -> c_uint64: return 0`")
        self.add_global(node.name, t, self.global_value(value, t, node.name), ".data", node)

    def declare_global(self, name: str, call: ast.Call) -> None:
        kind = self.names.canonical(call.func)
        if call.keywords or not 1 <= len(call.args) <= 2:
            raise self.src.error(call, f"{kind}() takes a type and an optional default",
                                 hint=f"write {name} = {kind}(u64, 0)")
        t = self.decls.value_type(call.args[0], "global type")
        if not isinstance(t, IntType):
            raise self.src.error(call.args[0], f"a {kind} must be an integer type", hint="use u8..u64/i8..i64")
        value = self.global_value(call.args[1], t, name) if len(call.args) > 1 else 0
        self.add_global(name, t, value, ".rodata" if kind == "Const" else ".data", call)

    def global_value(self, node: ast.AST, t: IntType, name: str) -> int:
        if isinstance(node, ast.Call) and self.names.canonical(node.func) in CTYPES_INTS and len(node.args) == 1:
            node = node.args[0]
        value = self.decls.const_int(node)
        if value is None or not t.min <= value <= t.max:
            raise self.src.error(node, f"the initial value of '{name}' must be a constant that fits {t}")
        return value

    def add_global(self, name: str, t: IntType, value: int, section: str, node: ast.AST) -> None:
        if name in self.program.maps or name in self.program.globals:
            raise self.src.error(node, f"'{name}' is declared twice")
        if section == ".data" and value == 0:
            section = ".bss"
        self.program.globals[name] = GlobalDecl(name, t, value, section, node.lineno)


def scratch_hint(local_type) -> str:
    """What to write instead of a local too big for the stack: a per-CPU scratch map entry, or
    the ring buffer record itself."""
    name = getattr(local_type, "name", "") if isinstance(local_type, StructType) else ""
    if not name:
        return ("keep big values in a map instead of locals (a per-CPU array with one entry works "
                "as scratch space)")
    return (f"keep it in a map instead: declare `scratch = PerCPUArrayMap(key=u32, value={name}, "
            f"max_entries=1)`, then `v = scratch.lookup(0)`, `if not v: return 0` and fill `v` in "
            f"place; a ring buffer record can be reserved in place: `v = events.reserve({name})`")
