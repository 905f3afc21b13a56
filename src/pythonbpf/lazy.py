"""Package names that import their module on first use (PEP 562).

Start-up pays only for the modules a run needs: checking that a tracepoint exists loads the
tracefs reader, not the BTF reader; a cached start loads and attaches without the map views,
buffers and test_run bindings. A package lists `name -> submodule` and takes the two hooks.
"""
from __future__ import annotations

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Tuple


def lazy_exports(package: str, namespace: "Dict[str, Any]",
                 table: "Dict[str, str]") -> "Tuple[Callable[[str], Any], Callable[[], List[str]]]":
    """`__getattr__` and `__dir__` for `package`: each name in `table` is imported from its
    submodule when first asked for, then kept in the package's `namespace` (its globals())."""

    def __getattr__(name: str) -> "Any":
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(__import__(f"{package}.{module}", fromlist=[name]), name)
        namespace[name] = value
        return value

    def __dir__() -> "List[str]":
        return sorted(set(namespace) | set(table))

    return __getattr__, __dir__
