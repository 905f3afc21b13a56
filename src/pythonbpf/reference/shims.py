"""What the imports of a pythonbpf program are bound to when the reference interpreter runs it.

A program imports its types from `pythonbpf.types` or `ctypes`, its decorators from `pythonbpf`
and helpers, maps and kernel types from elsewhere. Under the interpreter the types become
reference kinds, the decorators do nothing, the integer constants keep their values, and
everything not simulated yet (maps, structs, helpers, kernel types, user-space API) becomes an
`Unsupported` placeholder that raises NotImplementedError naming itself when a program uses it.
The real modules are never imported: this package depends on the standard library only.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

from ..lang import helpers as _helper_stubs
from .kinds import BY_NAME


class Unsupported:
    """Something the interpreter does not simulate yet; using it raises NotImplementedError."""

    def __init__(self, what: str):
        self.what = what

    def error(self) -> NotImplementedError:
        return NotImplementedError(f"the reference interpreter does not support {self.what} yet")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise self.error()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise self.error()

    def __repr__(self) -> str:
        return f"<unsupported {self.what}>"


class ContextType:
    """`c_void_p` as a parameter annotation: the program's context, passed through untouched."""

    def __repr__(self) -> str:
        return "c_void_p"


CONTEXT = ContextType()


def _identity(obj: Any) -> Any:
    return obj


def _decorator_factory(*args: Any, **kwargs: Any) -> Callable[[Any], Any]:
    if len(args) == 1 and callable(args[0]) and not kwargs:
        return args[0]  # used bare, e.g. @xdp
    return _identity


# Decorator names; `interpreter` reads a function's role from them.
PROGRAM_DECORATORS = {"section", "tracepoint", "raw_tracepoint", "uprobe", "uretprobe", "usdt", "kprobe",
                      "kretprobe", "perf_event", "xdp", "tc", "socket_filter", "fentry", "fexit"}
DATA_DECORATORS = {"map", "bpfglobal", "struct"}

_PYTHONBPF = {name: _decorator_factory for name in PROGRAM_DECORATORS}
_PYTHONBPF.update({"bpf": _identity, "map": _identity, "bpfglobal": _identity,
                   "struct": _identity})

# pythonbpf.helper's integer constants (XDP_PASS, TC_ACT_SHOT, BPF_ANY, ...), from kinds/constants.py
_HELPER_CONSTANTS = {name: value for name, value in vars(_helper_stubs).items()
                     if name.isupper() and isinstance(value, int)}

_MODULE_KINDS = {
    "pythonbpf": "pythonbpf",
    "pythonbpf.types": "types",
    "pythonbpf.lang.types": "types",
    "ctypes": "ctypes",
    "pythonbpf.helper": "helper",
    "pythonbpf.lang.helpers": "helper",
    "pythonbpf.maps": "maps",
    "pythonbpf.lang.maps": "maps",
    "pythonbpf.vmlinux": "kernel types",
    "pylibbpf": "user space",
}


def is_shimmed(module: str) -> bool:
    return module in _MODULE_KINDS or module.startswith("pythonbpf.")


def shim(module: str, name: str) -> Any:
    """What `from module import name` binds under the interpreter."""
    kind = _MODULE_KINDS.get(module, "pythonbpf")
    if kind in ("types", "ctypes", "pythonbpf") and name in BY_NAME:
        return BY_NAME[name]
    if kind == "ctypes" and name == "c_void_p":
        return CONTEXT
    if kind == "pythonbpf" and name in _PYTHONBPF:
        return _PYTHONBPF[name]
    if kind == "helper":
        if name in _HELPER_CONSTANTS:
            return _HELPER_CONSTANTS[name]
        return Unsupported(f"helper {name}()")
    if kind == "maps":
        return Unsupported(f"map type {name}")
    if kind == "kernel types":
        return Unsupported(f"kernel type {name}")
    return Unsupported(f"{module}.{name}")


class ShimModule:
    """`import ctypes` / `import pythonbpf.types as t`: attribute access goes through `shim`."""

    def __init__(self, module: str):
        self._module = module

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        sub = f"{self._module}.{name}"
        if sub in _MODULE_KINDS:
            return ShimModule(sub)
        return shim(self._module, name)


def shim_module(module: str) -> Optional[ShimModule]:
    return ShimModule(module) if is_shimmed(module) else None


def bindings(module: str, names: Dict[str, str]) -> Dict[str, Any]:
    """Bindings for `from module import a as b, ...` ({local name: imported name})."""
    return {local: shim(module, name) for local, name in names.items()}
