"""Lowers one typed function: stack slots, statements, returns, debug locations."""
from __future__ import annotations

from functools import partial
from typing import Dict, List, Optional, Tuple

from llvmlite import ir

from .. import typed as m
from ..frontend.stack import framed_locals, walk
from ...spec.types import (I64 as I64_T, U32, ArrayType, CtxType, IntType, RefType, StrType, StructType,
                               VoidType)
from ..frontend.context import program_kind
from .debuginfo import DebugInfo
from .expressions import ExprLowering
from .frame import frame_extras, frame_layout
from .loops import LoopLowering, callback_loops
from .memory import copy_memory, known_alignment
from .types import I32, I64, I8, alignment, llvm_type


def declare_function(module: ir.Module, fn: m.Function) -> ir.Function:
    # A function returning nothing still returns 0 in R0: the verifier refuses a subprogram
    # exit with a stack pointer left in R0, and a program exit with R0 unset.
    ret = I64 if isinstance(fn.return_type, VoidType) else llvm_type(fn.return_type)
    fnty = ir.FunctionType(ret, [llvm_type(t) for _, t in fn.params])
    func = ir.Function(module, fnty, fn.name)
    func.attributes.add("nounwind")
    if verified_alone(fn):
        # optsize also keeps LLVM's function specialisation from cloning it for constant
        # arguments: a clone drops those arguments but keeps the global function's BTF, and
        # the verifier refuses the call ("Caller passes invalid args").
        func.attributes.add("noinline")
        func.attributes.add("optsize")
    elif fn.section is None:
        func.linkage = "internal"
    else:
        func.section = fn.section
    for arg, (name, _) in zip(func.args, fn.params):
        arg.name = name
    return func


def verified_alone(fn: m.Function) -> bool:
    """Whether a subprogram becomes a global BTF function, which the verifier checks once,
    on its own, instead of again at every call in every state of the caller. That bounds the
    verifier's work when a subprogram with loops is called from loops (walked inline, such a
    program exceeds the verifier's million instructions). Only integers may cross the call:
    a global function's arguments are unknown values to the verifier."""
    return (fn.section is None and isinstance(fn.return_type, IntType)
            and all(isinstance(t, IntType) for _, t in fn.params)
            and any(isinstance(n, (m.While, m.ForRange)) for n in walk(fn.body)))


class FunctionLowering(LoopLowering, ExprLowering):
    def __init__(self, module: ir.Module, di: DebugInfo, program: m.Program,
                 functions: Dict[str, ir.Function], maps: Dict[str, ir.GlobalVariable],
                 strings: "StringPool"):
        self.module = module
        self.di = di
        self.program = program
        self.functions = functions
        self.maps = maps
        self.strings = strings
        self.locals: Dict[str, ir.Value] = {}
        self.entry_insert: Optional[ir.Instruction] = None
        self.loops: List[Optional[Tuple[ir.Block, ir.Block]]] = []

    def string_constant(self, data: bytes) -> ir.Value:
        return self.strings.get(data)

    def lower(self, fn: m.Function) -> None:
        self.fn = func = self.functions[fn.name]
        self.root_name, self.return_type, self.callbacks = fn.name, fn.return_type, []
        self.kind = program_kind(fn.context_of) if fn.context_of else None
        self.context_index = fn.context_index
        self.sp = self.debug_subprogram(fn)
        self.builder = ir.IRBuilder(func.append_basic_block("entry"))
        self.at(m.Pos(fn.line, fn.col))
        self.declare_arguments()
        if verified_alone(fn):
            self.keep_arguments(func)
        self.local_types = fn.locals
        self.framed = framed_locals(fn)
        if callback_loops(fn.body):
            framed = {name: t for name, t in fn.locals.items() if name in self.framed}
            self.frame_offsets, scalar_end, size = frame_layout(framed, frame_extras(fn))
            frame_type = ir.ArrayType(I8, size)
            self.frame = self.entry_alloca(frame_type, 8, name="frame")
            self.fill_frame(size, scalar_end)
            self.locals = {name: self.frame_slot(name) for name in framed}
            if fn.context_index >= 0:
                self.builder.store(func.args[fn.context_index], self.frame_slot("$ctx"), align=8)
        for name, t in fn.locals.items():
            if name in self.framed:
                continue
            slot = self.entry_alloca(llvm_type(t), alignment(t), name=name.replace("$", "tmp."))
            self.locals[name] = slot
            if not isinstance(t, (StructType, StrType, ArrayType)):
                self.builder.store(ir.Constant(llvm_type(t), None), slot)  # never read uninitialised
        for arg, (name, _) in zip(func.args, fn.params):
            if name in self.locals:
                self.store_local(name, arg)
        self.block(fn.body)

    def debug_subprogram(self, fn: m.Function) -> ir.DIValue:
        ret = None if isinstance(fn.return_type, VoidType) else self.di.type(fn.return_type)
        params = [(name, self.di.void_pointer() if isinstance(t, (CtxType, RefType)) else self.di.type(t))
                  for name, t in fn.params]
        sp, self.arg_vars = self.di.subprogram(self.fn, fn.name, fn.line, ret, params,
                                               local=fn.section is None and not verified_alone(fn))
        return sp

    def callback_lowering(self, func: ir.Function, loop: m.Stmt) -> "FunctionLowering":
        """The lowering of a loop body's callback: same frame, same program, its own function."""
        inner = FunctionLowering(self.module, self.di, self.program, self.functions, self.maps, self.strings)
        inner.fn, inner.in_callback, inner.callbacks = func, True, self.callbacks
        inner.root_name, inner.return_type, inner.kind = self.root_name, self.return_type, self.kind
        inner.local_types, inner.frame_offsets = self.local_types, self.frame_offsets
        inner.kernel_types, inner.core_sequence = self.kernel_types, self.core_sequence
        params = [("index", self.di.type(U32)), ("frame", self.di.void_pointer())]
        inner.sp, inner.arg_vars = self.di.subprogram(func, func.name, loop.pos.line, self.di.type(I64_T),
                                                      params, local=True)
        inner.builder = ir.IRBuilder(func.append_basic_block("entry"))
        inner.at(loop.pos)
        inner.declare_arguments()
        inner.frame = func.args[1]
        inner.framed = self.framed
        inner.locals = {name: inner.frame_slot(name) for name in self.framed}
        return inner

    def keep_arguments(self, func: ir.Function) -> None:
        """Use every argument of a global subprogram (in an empty inline asm). LLVM otherwise
        passes nothing for an argument the body ignores, and the verifier refuses to call a
        global function with anything but a known scalar in each argument register."""
        if func.args:
            types = [a.type for a in func.args]
            asm = ir.InlineAsm(ir.FunctionType(ir.VoidType(), types), "", ",".join("r" for _ in types),
                               side_effect=True)
            self.builder.call(asm, list(func.args))

    def declare_arguments(self) -> None:
        """llvm.dbg.value for each argument: names the parameters in BTF."""
        dbg_value = self.module.globals.get("llvm.dbg.value")
        if dbg_value is None:
            md = ir.MetaDataType()
            dbg_value = ir.Function(self.module, ir.FunctionType(ir.VoidType(), [md, md, md]), "llvm.dbg.value")
        empty = self.module.add_debug_info("DIExpression", {})
        for arg, var in zip(self.fn.args, self.arg_vars):
            self.builder.call(dbg_value, [arg, var, empty])

    def at(self, pos: m.Pos) -> None:
        self.builder.debug_metadata = self.di.location(self.sp, pos.line, pos.col)

    # ---- statements --------------------------------------------------------------------
    def block(self, stmts: List[m.Stmt]) -> None:
        for stmt in stmts:
            if self.builder.block.is_terminated:
                return
            self.at(stmt.pos)
            getattr(self, "s_" + type(stmt).__name__)(stmt)

    def s_ExprStmt(self, s: m.ExprStmt) -> None:
        self.value(s.expr)

    def s_Return(self, s: m.Return) -> None:
        if self.in_callback:
            if s.value is not None:
                value, slot = self.value(s.value), self.frame_slot("$ret")
                if not self.store_in_frame(value, slot, 8):
                    self.builder.store(value, slot)
            self.store_flag(self.frame_slot("$returned"), 1)
            self.callback_return(1)
        elif s.value is None:
            self.builder.ret(ir.Constant(I64, 0))
        else:
            self.builder.ret(self.value(s.value))

    def s_If(self, s: m.If) -> None:
        cond = self.value(s.cond)
        then_block = self.fn.append_basic_block("if.then")
        else_block = self.fn.append_basic_block("if.else") if s.orelse else None
        end_block = self.fn.append_basic_block("if.end")
        self.builder.cbranch(cond, then_block, else_block or end_block)
        for block, body in ((then_block, s.body), (else_block, s.orelse)):
            if block is None:
                continue
            self.builder.position_at_end(block)
            self.block(body)
            if not self.builder.block.is_terminated:
                self.builder.branch(end_block)
        self.builder.position_at_end(end_block)
        if not end_block.is_terminated and not self.has_predecessors(end_block):
            self.builder.unreachable()

    def has_predecessors(self, block: ir.Block) -> bool:
        for other in self.fn.blocks:
            term = other.terminator
            if term is not None and block in getattr(term, "operands", []):
                return True
        return False

    ATOMIC = {"+": "add", "-": "sub", "|": "or", "&": "and", "^": "xor"}

    def s_AtomicUpdate(self, s: m.AtomicUpdate) -> None:
        self.builder.atomic_rmw(self.ATOMIC[s.op], self.address(s.target), self.value(s.value),
                                "monotonic")

    def s_Assign(self, s: m.Assign) -> None:
        target, value = s.target, s.value
        if isinstance(target, m.FieldRef) and target.bit_size:
            return self.store_bitfield(target, self.value(value))
        if isinstance(target, m.LocalRef) and not isinstance(target.type, (StructType, StrType, ArrayType)):
            v = self.address(value) if isinstance(target.type, RefType) else self.value(value)
            if isinstance(target.type, RefType):
                self.builder.store(v, self.locals[target.name], align=8)
            else:
                self.store_local(target.name, v)
            return
        ptr = self.address(target)
        framed = self.in_frame(target)
        if isinstance(value, m.HelperCall) and value.helper == "comm" and not value.args:
            self.comm_into(ptr, value.type.size)
            return
        if self.read_kernel_into(target, value, ptr):
            return
        if isinstance(value, m.BytesConst):
            size = (target.type.target if isinstance(target.type, RefType) else target.type).size
            # the NUL is dropped when the literal fills the array exactly, as C's char[N] = "..."
            value = m.BytesConst(value.type, value.pos, value.value.ljust(size, b"\0")[:size])
        elif isinstance(value, (m.LocalRef, m.FieldRef, m.IndexRef, m.GlobalRef)) or isinstance(value.type, RefType):
            t = value.type.target if isinstance(value.type, RefType) else value.type
            if isinstance(t, (StructType, StrType, ArrayType)):
                copy = self.copy_into_frame if framed else partial(copy_memory, self.builder)
                copy(ptr, known_alignment(target), self.address(value), known_alignment(value), t.size)
                return
        data = self.value(value)
        align = known_alignment(target) if isinstance(value, (m.ZeroInit, m.BytesConst)) else alignment(value.type)
        if framed and self.store_in_frame(data, ptr, align):
            return
        self.builder.store(data, ptr, align=align)

    def in_frame(self, target: m.Expr) -> bool:
        """Whether `target` is (part of) an aggregate local kept in the shared frame."""
        while isinstance(target, (m.FieldRef, m.IndexRef)):
            target = target.base
        return (self.frame is not None and isinstance(target, m.LocalRef) and target.name in self.framed
                and not isinstance(target.type, RefType))


class StringPool:
    """Format strings as private constants (libbpf puts them in a read-only data map)."""

    def __init__(self, module: ir.Module):
        self.module = module
        self.strings: Dict[bytes, ir.GlobalVariable] = {}

    def get(self, data: bytes) -> ir.GlobalVariable:
        if data not in self.strings:
            ty = ir.ArrayType(ir.IntType(8), len(data))
            gv = ir.GlobalVariable(self.module, ty, f".str.{len(self.strings)}")
            gv.global_constant = True
            gv.linkage = "private"
            gv.unnamed_addr = True
            gv.align = 1
            gv.initializer = ir.Constant(ty, bytearray(data))
            self.strings[data] = gv
        return self.strings[data]
