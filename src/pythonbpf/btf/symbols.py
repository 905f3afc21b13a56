"""BTF kinds that describe functions, variables, sections and annotations.

They carry no data layout, but tp_btf and fentry programs take their typed
arguments from a function's prototype, and global variables come as VAR and
DATASEC records. Same conventions as model.py: ids, lazy `.type` properties.
"""

from __future__ import annotations

from typing import Optional, Tuple

from .model import Type, TypeSource, btf_field
from .record import Record, record


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


@record
class SecInfo(Record):
    type_id: int
    offset: int
    size: int


@record
class Datasec(Type):
    kind = "datasec"
    id: int
    name: str
    size: int
    vars: Tuple[SecInfo, ...]
    btf: Optional[TypeSource] = btf_field()


@record
class DeclTag(Type):
    """btf_decl_tag("name") on a type, or on member/parameter `component_idx` (-1: the type)."""

    kind = "decl_tag"
    id: int
    name: str
    target_id: int
    component_idx: int
    btf: Optional[TypeSource] = btf_field()
