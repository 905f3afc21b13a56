"""BTF kinds that describe functions, variables, sections and annotations.

They carry no data layout, but tp_btf and fentry programs take their typed
arguments from a function's prototype, and global variables come as VAR and
DATASEC records. Same conventions as model.py: ids, lazy `.type` properties.
"""

from __future__ import annotations


from .model import Type, TypeSource, btf_field
from .record import Record, record

TYPE_CHECKING = False  # typing costs milliseconds at start-up; checkers see True
if TYPE_CHECKING:
    from typing import Optional, Tuple


@record
class Param(Record):
    name: str
    type_id: int
    btf: Optional[TypeSource] = btf_field()

    @property
    def type(self) -> Type:
        if self.btf is None:
            raise LookupError(f"parameter {self.name} is detached from its BTF")
        return self.btf.type_by_id(self.type_id)


@record
class FuncProto(Type):
    kind = "func_proto"
    id: int
    return_id: int
    params: Tuple[Param, ...]
    name: str = ""
    btf: Optional[TypeSource] = btf_field()

    @property
    def return_type(self) -> Type:
        return self._resolve(self.return_id)

    @property
    def variadic(self) -> bool:
        """C's `...`: BTF marks it with a last parameter of type void and no name."""
        return bool(self.params) and self.params[-1].type_id == 0 and not self.params[-1].name

    @property
    def c_name(self) -> str:
        args = ", ".join("..." if p.type_id == 0 else p.type.c_name for p in self.params)
        return f"{self.return_type.c_name} (*)({args or 'void'})"


@record
class Func(Type):
    kind = "func"
    id: int
    name: str
    proto_id: int
    linkage: str
    btf: Optional[TypeSource] = btf_field()

    @property
    def proto(self) -> FuncProto:
        proto = self._resolve(self.proto_id)
        assert isinstance(proto, FuncProto)
        return proto


@record
class Var(Type):
    kind = "var"
    id: int
    name: str
    type_id: int
    linkage: str
    btf: Optional[TypeSource] = btf_field()

    @property
    def type(self) -> Type:
        """The variable's type as declared (const/volatile-qualified ones included)."""
        return self._resolve(self.type_id)


@record
class SecInfo(Record):
    """A variable placed in a data section: the VAR's id (`type_id`, as BTF names it), its
    byte offset and size in the section."""

    type_id: int
    offset: int
    size: int
    btf: Optional[TypeSource] = btf_field()

    @property
    def var(self) -> Var:
        if self.btf is None:
            raise LookupError("a section entry detached from its BTF")
        found = self.btf.type_by_id(self.type_id)
        assert isinstance(found, Var), found
        return found

    @property
    def name(self) -> str:
        return self.var.name

    @property
    def type(self) -> Type:
        """The variable's declared type."""
        return self.var.type

    @property
    def is_const(self) -> bool:
        """Whether a const qualifier comes before the type under the qualifiers."""
        from .model import Modifier

        t = self.type
        while isinstance(t, Modifier):
            if t.kind == "const":
                return True
            t = t.target
        return False


@record
class Datasec(Type):
    kind = "datasec"
    id: int
    name: str
    size: int
    vars: Tuple[SecInfo, ...]
    btf: Optional[TypeSource] = btf_field()

    def var(self, name: str) -> SecInfo:
        for v in self.vars:
            if v.name == name:
                return v
        raise KeyError(f"section {self.name} has no variable {name!r}")


@record
class DeclTag(Type):
    """btf_decl_tag("name") on a type, or on member/parameter `component_idx` (-1: the type)."""

    kind = "decl_tag"
    id: int
    name: str
    target_id: int
    component_idx: int
    btf: Optional[TypeSource] = btf_field()
