"""`b.globals` and `BPF(consts=...)`: program globals by their Python names."""
from __future__ import annotations

from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping

from .consts import apply_consts  # noqa: F401 - (its old home)

if TYPE_CHECKING:
    from ..loader.globals import GlobalData


class GlobalsView(MutableMapping):
    """Globals and Consts by Python name: `b.globals["hits"]`, `b.globals["hits"] = 0`.

    Reads return the kernel's current value once loaded (the initial value before);
    writing a Global changes what the program sees from its next run on; Consts are
    frozen at load. Integers decode by their declared size and signedness.
    """

    def __init__(self, get_data: Callable[[], "GlobalData"]) -> None:
        self._get = get_data

    def __getitem__(self, name: str) -> Any:
        return self._get().get(name)

    def __setitem__(self, name: str, value: Any) -> None:
        self._get().set(name, value)

    def __delitem__(self, name: str) -> None:
        raise TypeError(f"globals cannot be deleted ({name!r} lives as long as the program)")

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._get().vars))

    def __len__(self) -> int:
        return len(self._get().vars)

    def __contains__(self, name: object) -> bool:
        return name in self._get().vars

    def consts(self) -> list:
        """Names of the Consts (read-only data, set before load)."""
        return self._get().consts()

    def __repr__(self) -> str:
        data = self._get()
        return "{" + ", ".join(f"{n!r}: {data.get(n)!r}" for n in sorted(data.vars)) + "}"
