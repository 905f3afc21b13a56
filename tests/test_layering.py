"""The layering of DESIGN.md, checked on the source (issue 18, acceptance 2).

The flow runs one way: frontend -> lowering -> emit -> loader -> user space. These tests walk
every module of src/pythonbpf with `ast` (every import, including the ones inside functions
that keep start-up fast, relative imports resolved, and the names packages export lazily) and
check the rules:
- nothing outside compiler/ imports compiler.frontend (the spec and kinds are the interface);
- nothing outside loader/ loads libbpf or calls the bpf() syscall;
- the frontend imports no llvmlite; the compiler imports no loader; the loader no compiler;
- lang/ (what BPF-side code imports) imports nothing heavy;
- spec/, kinds/ and the small shared modules (elf, mounts, record, lazy, digest, integers), which
  the compiler and the loader both import, import no layer (else one would import the other
  through them).
Kernel-free: nothing is imported or run.
"""
from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "pythonbpf"
LIBRARY_LOADERS = {"CDLL", "PyDLL", "LoadLibrary", "find_library", "dlopen"}
BPF_SYSCALL_NAMES = {"SYS_bpf", "__NR_bpf", "SYS_BPF", "_SYS_BPF", "NR_bpf"}
BPF_SYSCALL_NUMBERS = {321, 280, 351, 361}  # x86_64; aarch64 and riscv64; s390x; ppc64le


@dataclass(frozen=True)
class Use:
    """One thing a module does that a layering rule may forbid."""

    module: str  # dotted name of the module doing it
    path: str  # its file, relative to the source root
    line: int
    kind: str  # "import", "libbpf" (loads the library) or "bpf()" (calls the syscall)
    target: str  # the module imported, or what was called

    def __str__(self) -> str:
        verb = {"import": "imports", "libbpf": "loads libbpf:", "bpf()": "calls bpf():"}[self.kind]
        return f"{self.path}:{self.line}: {self.module} {verb} {self.target}"


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _dotted(node: ast.AST) -> str:
    """`ctypes.cdll.LoadLibrary` for an attribute chain, '' for anything else."""
    names = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        names.append(node.id)
        return ".".join(reversed(names))
    return ""


def _strings(node: ast.AST) -> List[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


class _Uses(ast.NodeVisitor):
    """Collects the imports, library loads and bpf() calls of one module."""

    def __init__(self, module: str, path: str, is_package: bool, package_dir: Path) -> None:
        self.module, self.path = module, path
        # the package relative imports start from: the module itself for an __init__.py
        self.package = module if is_package else module.rpartition(".")[0]
        self.is_package = is_package
        self.package_dir = package_dir
        self.found: List[Use] = []

    def add(self, node: ast.AST, kind: str, target: str) -> None:
        self.found.append(Use(self.module, self.path, node.lineno, kind, target))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.add(node, "import", alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.package.split(".")
            base = base[:len(base) - (node.level - 1)]
            source = ".".join(base + ([node.module] if node.module else []))
        else:
            source = node.module or ""
        self.add(node, "import", source)
        for alias in node.names:  # `from . import libbpf` imports the submodule libbpf
            if alias.name != "*":
                self.add(node, "import", f"{source}.{alias.name}")

    def visit_Assign(self, node: ast.Assign) -> None:
        """A package's lazy-export table (`{"name": "submodule"}` or `("sub.module", attr)`)
        imports those submodules on first use: count them as imports of the package."""
        if self.is_package and isinstance(node.value, ast.Dict):
            for value in node.value.values:
                first = value.elts[0] if isinstance(value, ast.Tuple) and value.elts else value
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    relative = Path(*first.value.split("."))
                    if (self.package_dir / relative.with_suffix(".py")).exists() or \
                            (self.package_dir / relative / "__init__.py").exists():
                        self.add(node, "import", f"{self.module}.{first.value}")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = _dotted(node.func)
        last = name.rpartition(".")[2]
        arguments = [*node.args, *(k.value for k in node.keywords)]
        if (last in LIBRARY_LOADERS or name.startswith(("ctypes.cdll.", "cdll."))) and \
                any("bpf" in text for arg in arguments for text in _strings(arg)):
            self.add(node, "libbpf", f"{name}({', '.join(ast.unparse(a) for a in arguments)})")
        if last == "syscall" and node.args:
            number = node.args[0]
            text = ast.unparse(number)
            if "bpf" in text.lower() or (isinstance(number, ast.Constant)
                                         and number.value in BPF_SYSCALL_NUMBERS):
                self.add(node, "bpf()", f"{name}({text}, ...)")
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit_Assign(ast.Assign(targets=[node.target], value=node.value, lineno=node.lineno))
        else:
            self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        owner = _dotted(node.value).rpartition(".")[2]
        if node.attr in BPF_SYSCALL_NAMES:
            self.add(node, "bpf()", _dotted(node) or node.attr)
        elif (node.attr.startswith("libbpf") and owner == "cdll") or \
                (owner == "loader" and node.attr in ("lib", "libc", "libbpf")):
            self.add(node, "libbpf", _dotted(node))  # ctypes.cdll.libbpf, loader.lib()
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in BPF_SYSCALL_NAMES:
            self.add(node, "bpf()", node.id)


def walk_package(root: Path, package: str = PACKAGE) -> Dict[str, List[Use]]:
    """Module name -> what it imports, loads and calls, for every module under root/package."""
    out: Dict[str, List[Use]] = {}
    for path in sorted((root / package).rglob("*.py")):
        module = _module_name(root, path)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        uses = _Uses(module, str(path.relative_to(root)), path.name == "__init__.py", path.parent)
        uses.visit(tree)
        out[module] = uses.found
    return out


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _collapse(offenders: List[Use]) -> List[Use]:
    """`from a.b import c` is reported as a.b, not again as a.b.c (both are recorded, since
    c may be a submodule: `from . import libbpf`)."""
    seen = {(u.module, u.line, u.target) for u in offenders}
    return [u for u in offenders if (u.module, u.line, u.target.rpartition(".")[0]) not in seen]


def _imports(uses: Iterable[Use], targets: Iterable[str]) -> List[Use]:
    targets = tuple(targets)
    return [u for u in uses if u.kind == "import" and any(_within(u.target, t) for t in targets)]


# ---- the rules: (name, check); a check gives the offending uses of the whole package ----

def outside_compiler_imports_frontend(modules: Dict[str, List[Use]], pkg: str) -> List[Use]:
    return [u for m, uses in modules.items() if not _within(m, f"{pkg}.compiler")
            for u in _imports(uses, [f"{pkg}.compiler.frontend"])]


def outside_loader_loads_libbpf_or_calls_bpf(modules: Dict[str, List[Use]], pkg: str) -> List[Use]:
    handles = [f"{pkg}.loader.libbpf", f"{pkg}.loader.lib", f"{pkg}.loader.libc",
               f"{pkg}.loader.syscall.bpf"]
    return [u for m, uses in modules.items() if not _within(m, f"{pkg}.loader")
            for u in uses if u.kind != "import" or _imports([u], handles)]


def frontend_imports_llvmlite(modules: Dict[str, List[Use]], pkg: str) -> List[Use]:
    return [u for m, uses in modules.items() if _within(m, f"{pkg}.compiler.frontend")
            for u in _imports(uses, ["llvmlite"])]


def loader_imports_compiler(modules: Dict[str, List[Use]], pkg: str) -> List[Use]:
    return [u for m, uses in modules.items() if _within(m, f"{pkg}.loader")
            for u in _imports(uses, [f"{pkg}.compiler"])]


def compiler_imports_loader(modules: Dict[str, List[Use]], pkg: str) -> List[Use]:
    return [u for m, uses in modules.items() if _within(m, f"{pkg}.compiler")
            for u in _imports(uses, [f"{pkg}.loader"])]


def lang_imports_heavy(modules: Dict[str, List[Use]], pkg: str) -> List[Use]:
    heavy = ["llvmlite", f"{pkg}.compiler", f"{pkg}.loader", f"{pkg}.btf", f"{pkg}.runtime"]
    return [u for m, uses in modules.items() if _within(m, f"{pkg}.lang")
            for u in _imports(uses, heavy)]


SHARED = ("spec", "kinds", "elf", "mounts", "record", "lazy", "digest", "integers")  # read by compiler and loader alike


def shared_modules_import_a_layer(modules: Dict[str, List[Use]], pkg: str) -> List[Use]:
    """The spec, the kinds registry and the small shared readers are imported by both the
    compiler and the loader: one import of a layer from them would make the compiler import
    the loader (or the loader the compiler) through them."""
    layers = ["llvmlite", f"{pkg}.compiler", f"{pkg}.loader", f"{pkg}.runtime", f"{pkg}.cli",
              f"{pkg}.testing"]
    return [u for m, uses in modules.items() if any(_within(m, f"{pkg}.{s}") for s in SHARED)
            for u in _imports(uses, layers)]


RULES: Dict[str, Callable[[Dict[str, List[Use]], str], List[Use]]] = {
    "nothing outside compiler/ imports compiler.frontend": outside_compiler_imports_frontend,
    "nothing outside loader/ loads libbpf or calls bpf()": outside_loader_loads_libbpf_or_calls_bpf,
    "the frontend imports no llvmlite": frontend_imports_llvmlite,
    "the loader imports no compiler": loader_imports_compiler,
    "the compiler imports no loader": compiler_imports_loader,
    "lang/ imports nothing heavy": lang_imports_heavy,
    "spec/, kinds/ and the shared readers import no layer": shared_modules_import_a_layer,
}

_MODULES: Optional[Dict[str, List[Use]]] = None


def _package_modules() -> Dict[str, List[Use]]:
    global _MODULES
    if _MODULES is None:
        _MODULES = walk_package(SRC)
    return _MODULES


@pytest.mark.parametrize("rule", list(RULES))
def test_layering_rule_holds(rule):
    offenders = _collapse(RULES[rule](_package_modules(), PACKAGE))
    assert not offenders, f"{rule}, but:\n" + "\n".join(map(str, offenders))


def test_the_walk_sees_the_whole_package():
    modules = _package_modules()
    assert len(modules) > 150
    loader = modules[f"{PACKAGE}.loader.libbpf"]  # the one place that loads the library
    assert any(u.kind == "libbpf" for u in loader), loader
    assert any(u.kind == "bpf()" for u in modules[f"{PACKAGE}.loader.syscall"])
    lazy = {u.target for u in modules[f"{PACKAGE}.loader"]}
    assert f"{PACKAGE}.loader.libbpf" in lazy  # `lib` is exported lazily from loader.libbpf


# ---- the walker, on a synthetic package with one offence per rule -----------------------

SYNTHETIC = {
    "__init__.py": '_LAZY = {"Thing": ("compiler.frontend.names", "Thing"), "x": "nothere"}\n',
    "compiler/__init__.py": "",
    "compiler/lower.py": "import llvmlite.ir\nfrom ..loader.object import BpfObject\n",
    "compiler/frontend/__init__.py": "from . import names\n",
    "compiler/frontend/names.py": "from llvmlite import binding\n",
    "loader/__init__.py": '_EXPORTS = {"lib": "libbpf"}\n',
    "loader/libbpf.py": 'import ctypes\nLIB = ctypes.CDLL("libbpf.so.1")\n',
    "loader/program.py": "def f():\n    from ..compiler import frontend\n",
    "lang/types.py": "import ctypes\nfrom ctypes import c_int\n",
    "spec/__init__.py": "",
    "spec/types.py": "from ..record import record\n\ndef later():\n    from ..compiler import typed\n",
    "lang/maps.py": "def f():\n    import pythonbpf_fake.compiler.lower\n",
    "runtime/__init__.py": "",
    "runtime/view.py": textwrap.dedent('''\
        import ctypes, os
        from ..compiler.typed import Program  # allowed: compiler, not its frontend

        def lazily():
            from ..compiler.frontend.names import Names
            from .. import loader
            return loader.lib()

        def check():
            libc = ctypes.CDLL(None, use_errno=True)
            return libc.syscall(SYS_BPF[os.uname().machine], 0, None, 0)
        '''),
    "cli/doctor.py": textwrap.dedent('''\
        from pythonbpf_fake.loader.libbpf import version
        from ..loader import lib, errors
        import ctypes.util
        found = ctypes.util.find_library("bpf")
        text = "libbpf.so.1 is what doctor prints"  # a string is no load
        '''),
}

EXPECTED = {
    "nothing outside compiler/ imports compiler.frontend": {
        ("pythonbpf_fake", 1, "pythonbpf_fake.compiler.frontend.names"),
        ("pythonbpf_fake.runtime.view", 5, "pythonbpf_fake.compiler.frontend.names"),
        ("pythonbpf_fake.loader.program", 2, "pythonbpf_fake.compiler.frontend")},
    "nothing outside loader/ loads libbpf or calls bpf()": {
        ("pythonbpf_fake.runtime.view", 7, "loader.lib"),
        ("pythonbpf_fake.runtime.view", 11, "libc.syscall(SYS_BPF[os.uname().machine], ...)"),
        ("pythonbpf_fake.runtime.view", 11, "SYS_BPF"),
        ("pythonbpf_fake.cli.doctor", 1, "pythonbpf_fake.loader.libbpf"),
        ("pythonbpf_fake.cli.doctor", 2, "pythonbpf_fake.loader.lib"),
        ("pythonbpf_fake.cli.doctor", 4, "ctypes.util.find_library('bpf')")},
    "the frontend imports no llvmlite": {
        ("pythonbpf_fake.compiler.frontend.names", 1, "llvmlite")},
    "the loader imports no compiler": {
        ("pythonbpf_fake.loader.program", 2, "pythonbpf_fake.compiler")},
    "the compiler imports no loader": {
        ("pythonbpf_fake.compiler.lower", 2, "pythonbpf_fake.loader.object")},
    "lang/ imports nothing heavy": {
        ("pythonbpf_fake.lang.maps", 2, "pythonbpf_fake.compiler.lower")},
    "spec/, kinds/ and the shared readers import no layer": {
        ("pythonbpf_fake.spec.types", 4, "pythonbpf_fake.compiler")},
}


def _write_tree(root: Path, package: str, files: Dict[str, str]) -> None:
    for name, text in files.items():
        path = root / package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_walker_finds_each_kind_of_offence(tmp_path):
    _write_tree(tmp_path, "pythonbpf_fake", SYNTHETIC)
    modules = walk_package(tmp_path, "pythonbpf_fake")
    assert "pythonbpf_fake.compiler.frontend" in modules and "pythonbpf_fake" in modules
    for rule, check in RULES.items():
        found = {(u.module, u.line, u.target) for u in _collapse(check(modules, "pythonbpf_fake"))}
        assert found == EXPECTED[rule], rule


def test_a_clean_tree_passes_and_one_bad_import_fails(tmp_path):
    clean = {k: v for k, v in SYNTHETIC.items() if k in (
        "compiler/__init__.py", "compiler/frontend/__init__.py", "loader/__init__.py",
        "loader/libbpf.py", "lang/types.py", "runtime/__init__.py")}
    _write_tree(tmp_path, "pkg", clean)
    assert not any(check(walk_package(tmp_path, "pkg"), "pkg") for check in RULES.values())
    (tmp_path / "pkg" / "runtime" / "bad.py").write_text(
        "def later():\n    from ..compiler.frontend import names\n")
    offenders = _collapse(outside_compiler_imports_frontend(walk_package(tmp_path, "pkg"), "pkg"))
    assert [str(u) for u in offenders] == [
        "pkg/runtime/bad.py:2: pkg.runtime.bad imports pkg.compiler.frontend"]
