"""`BPF(consts=...)`: Consts written into the object's read-only data before it loads.

Apart from the `b.globals` view (globalsview.py) because a start with Consts runs this and
nothing else of it: the view's MutableMapping and typing imports (with `re`, `enum` and
`functools`) cost a cached start several milliseconds.
"""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..loader.globals import GlobalData

__all__ = ["apply_consts"]


def apply_consts(data: "GlobalData", consts: Mapping[str, int]) -> None:
    """Write `consts` into the object's read-only data before it is loaded.

    Every name must be a Const of the program: a misspelt name would otherwise be
    silently ignored, and a Global set here would look like it works while the
    intended way to change it is `b.globals` after load.
    """
    known = data.consts()
    for name, value in consts.items():
        var = data.vars.get(name)
        if var is None:
            listed = ", ".join(known) or "none"
            raise KeyError(f"consts: {name!r} is not a Const of this program (Consts: {listed})")
        if not var.is_const:
            raise ValueError(
                f"consts: {name!r} is a Global, not a Const; Globals are changed after "
                f"load through b.globals[{name!r}] = value")
        data.set(name, value)
