"""The two maps through which libbpf tells a USDT program where each probe's arguments are.

USDT support is split between the BPF object and libbpf. `bpf_program__attach_usdt` reads the
probe's SDT note, turns its argument string (`-4@%eax 8@-16(%rbp) -4@$5`) into a spec, writes the
spec into the object's map `__bpf_usdt_specs` under a small integer id, and attaches a uprobe at
each probe site with that id as the BPF cookie (kernels without cookies get the id through
`__bpf_usdt_ip_to_spec_id`, keyed by the site's address). libbpf finds both maps by name and
fills them with its own struct layout, so the names, sizes and layout here are libbpf's:

    struct __bpf_usdt_arg_spec {        /* 16 bytes */
        __u64 val_off;                  /*  0: the constant, or the memory offset */
        __u32 arg_type;                 /*  8: low byte 0 constant, 1 register, 2 memory, 3 SIB;
                                                newer libbpf keeps the SIB index register's pt_regs
                                                offset in bits 8..19 and log2(scale) in 20..23 */
        short reg_off;                  /* 12: the register's offset in struct pt_regs */
        bool arg_signed;                /* 14 */
        char arg_bitshift;              /* 15: 64 - 8 * size */
    };
    struct __bpf_usdt_spec {            /* 208 bytes */
        struct __bpf_usdt_arg_spec args[12];
        __u64 usdt_cookie;              /* 192 */
        short arg_cnt;                  /* 200 */
    };

Only sizes are declared (libbpf does not read these maps' BTF); lower/usdt.py reads the fields
at the offsets above. `argN()` is a call of one subprogram taking the context and N (as C
programs call usdt.bpf.h's `bpf_usdt_arg`): a program reading three arguments carries the
reader once, not three times.
"""
from __future__ import annotations

from typing import Dict

from ..errors import CompileError, SourceFile
from ...kinds.constants import BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH
from ..typed import Const, CtxRef, Function, FuncCall, LocalRef, MapDecl, Pos, Return, UsdtArg
from ...spec.types import I64, U64, CtxType

SPECS = "__bpf_usdt_specs"
IP_TO_SPEC_ID = "__bpf_usdt_ip_to_spec_id"
MAX_ARGS = 12
ARG_SPEC_SIZE = 16
SPEC_SIZE = 208
COOKIE_OFFSET = 192
ARG_COUNT_OFFSET = 200
MAX_SPECS = 256  # BPF_USDT_MAX_SPEC_CNT: distinct argument layouts of the probes attached
MAX_IPS = 4 * MAX_SPECS
ARG_CONST, ARG_REG, ARG_REG_DEREF, ARG_SIB = 0, 1, 2, 3
ARG_FUNCTION = "usdt_arg"  # the subprogram's name in the object (a user function of that name is refused)


def declare_usdt_maps(maps: Dict[str, MapDecl], src: SourceFile) -> None:
    """Add libbpf's two USDT maps to a program that has a @usdt function."""
    for name in (SPECS, IP_TO_SPEC_ID):
        if name in maps:
            raise CompileError(f"{src.filename}: the map name '{name}' is libbpf's, for USDT probes",
                               hint="rename your map")
    maps[SPECS] = MapDecl(SPECS, "array", BPF_MAP_TYPE_ARRAY, None, None, MAX_SPECS,
                          key_size=4, value_size=SPEC_SIZE)
    maps[IP_TO_SPEC_ID] = MapDecl(IP_TO_SPEC_ID, "hash", BPF_MAP_TYPE_HASH, None, None, MAX_IPS,
                                  key_size=8, value_size=4)


def usdt_arg_call(ctx_pos: Pos, index: int) -> FuncCall:
    """`argN()` in a USDT program: a call of the argument reader."""
    return FuncCall(I64, ctx_pos, ARG_FUNCTION, [CtxRef(CtxType(), ctx_pos), Const(U64, ctx_pos, index)])


def usdt_arg_function(section: str, line: int) -> Function:
    """The argument reader `usdt_arg(ctx, n) -> i64`, a subprogram of the programs' context."""
    pos = Pos(line, 1)
    body = [Return(pos, UsdtArg(I64, pos, LocalRef(U64, pos, "n")))]
    return Function(ARG_FUNCTION, None, [("ctx", CtxType(section)), ("n", U64)], I64, {"n": U64}, body,
                    line, 1, end_line=line, context_section=section)
