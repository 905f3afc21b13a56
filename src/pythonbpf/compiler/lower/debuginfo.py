"""DWARF debug metadata, from which LLVM derives BTF (maps, functions) and line info.

Rules from notes/platform.md: every function has a DISubprogram with named argument variables,
subprograms are local to the unit, every call has a location, maps are described as a struct of
pointers (libbpf's `__uint`/`__type` encoding).
"""
from __future__ import annotations

import os
from typing import Dict, List, Optional, Tuple

from llvmlite import ir

from ...spec.types import ArrayType, IntType, StrType, StructType, Type

INT_NAMES = {(8, True): "signed char", (8, False): "unsigned char", (16, True): "short",
             (16, False): "unsigned short", (32, True): "int", (32, False): "unsigned int",
             (64, True): "long long", (64, False): "unsigned long long"}


class DebugInfo:
    """Builds the module's debug metadata; call `finish()` once all globals are described."""

    def __init__(self, module: ir.Module, filename: str):
        self.module = module
        path = os.path.abspath(filename) if not filename.startswith("<") else filename
        self.file = module.add_debug_info("DIFile", {"filename": os.path.basename(path),
                                                     "directory": os.path.dirname(path) or "."})
        self.globals: List[ir.DIValue] = []
        self.cu: Optional[ir.DIValue] = None
        self._types: Dict[object, ir.DIValue] = {}
        self._locations: Dict[Tuple[int, int, int], ir.DIValue] = {}

    def finish_globals(self) -> None:
        """Create the compile unit; it lists the globals, and functions refer to it."""
        self.cu = self.module.add_debug_info("DICompileUnit", {
            "language": ir.DIToken("DW_LANG_C99"), "file": self.file, "producer": "pythonbpf",
            "isOptimized": True, "runtimeVersion": 0, "emissionKind": ir.DIToken("FullDebug"),
            "globals": self.module.add_metadata(self.globals),
        }, is_distinct=True)
        self.module.add_named_metadata("llvm.dbg.cu", self.cu)
        flags = self.module.add_named_metadata("llvm.module.flags")
        for behaviour, name, value in ((7, "Dwarf Version", 5), (2, "Debug Info Version", 3),
                                       (1, "wchar_size", 4)):
            flags.add(self.module.add_metadata([ir.Constant(ir.IntType(32), behaviour), name,
                                                ir.Constant(ir.IntType(32), value)]))

    # ---- types -------------------------------------------------------------------------
    def type(self, t: Type) -> ir.DIValue:
        if t in self._types:
            return self._types[t]
        if isinstance(t, IntType):
            enc = "DW_ATE_signed" if t.signed else "DW_ATE_unsigned"
            di = self.basic(INT_NAMES[(t.bits, t.signed)], t.bits, enc)
        elif isinstance(t, StrType):
            di = self.array(self.basic("char", 8, "DW_ATE_signed_char"), t.length, 8)
        elif isinstance(t, ArrayType):
            di = self.array(self.type(t.elem), t.count, t.elem.size * 8)
        elif isinstance(t, StructType):
            members = [self.module.add_debug_info("DIDerivedType", {
                "tag": ir.DIToken("DW_TAG_member"), "name": f.name, "file": self.file,
                "baseType": self.type(f.type), "size": f.type.size * 8, "offset": f.offset * 8})
                for f in t.fields]
            di = self.module.add_debug_info("DICompositeType", {
                "tag": ir.DIToken("DW_TAG_structure_type"), "name": t.name, "file": self.file,
                "size": t.size * 8, "elements": self.module.add_metadata(members)})
        else:
            raise TypeError(f"no debug type for {t}")
        self._types[t] = di
        return di

    def basic(self, name: str, bits: int, encoding: str) -> ir.DIValue:
        key = ("basic", name)
        if key not in self._types:
            self._types[key] = self.module.add_debug_info("DIBasicType", {
                "name": name, "size": bits, "encoding": ir.DIToken(encoding)})
        return self._types[key]

    def array(self, elem: ir.DIValue, count: int, elem_bits: int) -> ir.DIValue:
        subrange = self.module.add_debug_info("DISubrange", {"count": count})
        return self.module.add_debug_info("DICompositeType", {
            "tag": ir.DIToken("DW_TAG_array_type"), "baseType": elem, "size": elem_bits * count,
            "elements": self.module.add_metadata([subrange])})

    def pointer(self, base: Optional[ir.DIValue]) -> ir.DIValue:
        return self.module.add_debug_info("DIDerivedType", {
            "tag": ir.DIToken("DW_TAG_pointer_type"), "baseType": base, "size": 64})

    def void_pointer(self) -> ir.DIValue:
        if "void*" not in self._types:
            self._types["void*"] = self.pointer(None)
        return self._types["void*"]

    # ---- globals -----------------------------------------------------------------------
    def global_variable(self, gv: ir.GlobalVariable, name: str, di_type: ir.DIValue, line: int) -> None:
        var = self.module.add_debug_info("DIGlobalVariable", {
            "name": name, "scope": self.file, "file": self.file, "line": line, "type": di_type,
            "isLocal": False, "isDefinition": True}, is_distinct=True)
        expr = self.module.add_debug_info("DIGlobalVariableExpression", {
            "var": var, "expr": self.module.add_debug_info("DIExpression", {})})
        gv.set_metadata("dbg", expr)
        self.globals.append(expr)

    def struct_of_pointers(self, members: List[Tuple[str, ir.DIValue]]) -> ir.DIValue:
        """libbpf's BTF map definition: an anonymous struct whose members are pointers."""
        elements = [self.module.add_debug_info("DIDerivedType", {
            "tag": ir.DIToken("DW_TAG_member"), "name": name, "file": self.file,
            "baseType": self.pointer(base), "size": 64, "offset": 64 * i})
            for i, (name, base) in enumerate(members)]
        return self.module.add_debug_info("DICompositeType", {
            "tag": ir.DIToken("DW_TAG_structure_type"), "file": self.file, "size": 64 * len(members),
            "elements": self.module.add_metadata(elements)})

    def uint_array(self, n: int) -> ir.DIValue:
        """`int [n]`, the pointee of libbpf's `__uint(name, n)` encoding."""
        return self.array(self.type(IntType(32, True)), n, 32)

    # ---- functions ---------------------------------------------------------------------
    def subprogram(self, fn: ir.Function, name: str, line: int, ret: Optional[ir.DIValue],
                   params: List[Tuple[str, ir.DIValue]], local: bool) -> Tuple[ir.DIValue, List[ir.DIValue]]:
        """The function's DISubprogram and its argument variables.

        The arguments are listed in `retainedNodes`, so BTF names them even when the optimiser
        drops an unused one (the kernel rejects unnamed arguments). A variable's scope is the
        subprogram that lists it; llvmlite cannot build that cycle, so the subprogram's metadata
        number is reserved and referred to by number.
        """
        sp_flags = "DISPFlagDefinition | DISPFlagOptimized" + (" | DISPFlagLocalToUnit" if local else "")
        sub_type = self.module.add_debug_info("DISubroutineType", {
            "types": self.module.add_metadata([ret] + [t for _, t in params])})
        sp_number = len(self.module.metadata) + len(params) + 1
        scope = ir.DIToken(f"!{sp_number}")
        variables = [self.module.add_debug_info("DILocalVariable", {
            "name": pname, "arg": i + 1, "scope": scope, "file": self.file, "line": line, "type": t})
            for i, (pname, t) in enumerate(params)]
        retained = self.module.add_metadata(variables)
        sp = self.module.add_debug_info("DISubprogram", {
            "name": name, "scope": self.file, "file": self.file, "line": line, "type": sub_type,
            "scopeLine": line, "flags": ir.DIToken("DIFlagPrototyped"),
            "spFlags": ir.DIToken(sp_flags), "unit": self.cu, "retainedNodes": retained},
            is_distinct=True)
        if sp.name != str(sp_number):
            raise AssertionError("debug metadata numbering changed")
        fn.set_metadata("dbg", sp)
        return sp, variables

    def location(self, sp: ir.DIValue, line: int, col: int) -> ir.DIValue:
        key = (id(sp), line, col)
        if key not in self._locations:
            self._locations[key] = self.module.add_debug_info("DILocation", {
                "line": line, "column": col, "scope": sp})
        return self._locations[key]
