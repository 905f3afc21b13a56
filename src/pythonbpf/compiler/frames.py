"""The stack each compiled function really uses, read back from the object, against the
kernel's 512 bytes per call chain.

The frontend's estimate (frontend/stack.py) catches the obvious cases with a message naming
the locals, before any LLVM work. It cannot be exact: LLVM keeps some locals in registers and
spills others, and a function with loop callbacks keeps a frame plus spills around the
`bpf_loop` calls. So LLVM runs with a stack limit it never reaches (emit.py) and this module
measures each function's frame from its instructions, as the verifier will, and turns an
overflow into a located CompileError rather than a load failure (or, with LLVM's own limit,
an aborted process).
"""
from __future__ import annotations

import ast
import struct
from typing import Dict, List, Tuple

from ..elf import ElfFile
from ..record import fields, is_record
from . import typed as m
from .errors import SourceFile
from .frontend.stack import STACK_LIMIT, walk

FP = 10
CLASS_LD, CLASS_LDX, CLASS_ST, CLASS_STX, CLASS_ALU, CLASS_JMP, CLASS_JMP32, CLASS_ALU64 = range(8)
MOV64_X, ADD64_K, CALL = 0xBF, 0x07, 0x85
PSEUDO_CALL = 1  # src_reg of a call to a bpf-to-bpf subprogram (0 calls a helper)
STT_FUNC = 2
# The verifier rounds each frame of a call chain up to 32 bytes, and counts at least 32 for
# an empty one (6.1, and any kernel without the JIT; newer kernels with the JIT round to 16),
# and it counts loop callbacks as frames of the chain (6.1's "combined stack size of 6 calls
# is 544" for a program whose frames summed to 448 rounded to 16). The check assumes the
# strictest rule, so that a program it accepts loads on all of them.
FRAME_ROUNDING = 32


def frame_sizes(elf: "bytes | ElfFile") -> Dict[str, int]:
    """Bytes of stack below r10 each function symbol touches, directly or via r10 + k."""
    obj = elf if isinstance(elf, ElfFile) else ElfFile(elf)
    sizes: Dict[str, int] = {}
    for section in obj.sections:
        if not section.executable:
            continue
        code = obj.contents(section)
        for sym in obj.functions(section.index):
            end = sym.value + (sym.size or len(code) - sym.value)
            sizes[sym.name] = _frame_size(code[sym.value:end])
    return sizes


def compiled_calls(elf: "bytes | ElfFile") -> Dict[str, List[str]]:
    """The bpf-to-bpf calls each function symbol makes in the compiled code (not in the source:
    a call LLVM inlined is part of the caller's frame, and counting the callee's frame on top
    of it would count the same locals twice)."""
    obj = elf if isinstance(elf, ElfFile) else ElfFile(elf)
    starts = {(sym.section, sym.value): sym.name for sym in obj.symbols if sym.type == STT_FUNC}
    calls: Dict[str, List[str]] = {}
    for section in obj.sections:
        if not section.executable:
            continue
        code = obj.contents(section)
        relocated = {rel.offset: rel.symbol for rel in obj.relocations(section.index)}
        for sym in obj.functions(section.index):
            end = sym.value + (sym.size or len(code) - sym.value)
            found = calls.setdefault(sym.name, [])
            for pc in range(sym.value, end - 7, 8):
                op, regs, _, imm = struct.unpack_from("<BBhi", code, pc)
                if op != CALL or regs >> 4 != PSEUDO_CALL:
                    continue
                target = relocated.get(pc)
                where = (target.section, target.value + (imm + 1) * 8) if target is not None \
                    else (section.index, pc + (imm + 1) * 8)
                callee = starts.get(where)
                if callee is not None and callee not in found:
                    found.append(callee)
    return calls


def _frame_size(code: bytes) -> int:
    depth = 0
    fp_based: Dict[int, int] = {}  # register -> its offset from r10, while it holds r10 + k
    pc = 0
    while pc + 8 <= len(code):
        op, regs, off, imm = struct.unpack_from("<BBhi", code, pc)
        dst, src, cls = regs & 0xF, regs >> 4, op & 7
        pc += 16 if op == 0x18 else 8  # ld_imm64 takes two slots
        if cls == CLASS_LDX:
            base = fp_based.get(src, 0 if src == FP else None)
            if base is not None:
                depth = max(depth, -(base + off))
            fp_based.pop(dst, None)
        elif cls in (CLASS_ST, CLASS_STX):
            base = fp_based.get(dst, 0 if dst == FP else None)
            if base is not None:
                depth = max(depth, -(base + off))
        elif op == MOV64_X and src == FP:
            fp_based[dst] = 0
        elif op == MOV64_X and src in fp_based:
            fp_based[dst] = fp_based[src]
        elif op == ADD64_K and dst in fp_based:
            fp_based[dst] += imm
            depth = max(depth, -fp_based[dst])
        elif op == CALL:
            for reg in range(6):
                fp_based.pop(reg, None)
        elif cls in (CLASS_ALU, CLASS_ALU64, CLASS_LD):
            fp_based.pop(dst, None)
    return depth


def _rounded(size: int) -> int:
    return -(-max(size, 1) // FRAME_ROUNDING) * FRAME_ROUNDING


MAX_CALL_FRAMES = 8  # the verifier's limit on nested bpf-to-bpf calls and loop callbacks


def call_frames(program: m.Program, compiled: Dict[str, int]) -> Dict[str, Tuple[int, List[str]]]:
    """For each function, the most frames it nests (itself, its loop callbacks, the functions
    it calls and theirs) and the path to the deepest. A subprogram LLVM inlined everywhere (no
    symbol in `compiled`) adds no frame of its own."""
    memo: Dict[str, Tuple[int, List[str]]] = {}

    def deepest(node, level: int, callbacks: bool) -> Tuple[int, List[str]]:
        best: Tuple[int, List[str]] = (level, [])
        children = node if isinstance(node, list) else (
            [getattr(node, f.name) for f in fields(node) if f.name not in ("type", "pos")]
            if is_record(node) and not isinstance(node, type) else [])
        if isinstance(node, m.FuncCall):
            depth, path = frames(node.func)
            best = (level + depth - (0 if node.func in compiled else 1), [f"{node.func}()"] + path)
        callback = isinstance(node, (m.While, m.ForRange)) and callbacks
        for child in children:
            depth, path = deepest(child, level + 1 if callback else level, callbacks)
            if callback:
                path = [f"loop at line {node.pos.line}"] + path
            if depth > best[0]:
                best = (depth, path)
        return best

    def frames(name: str) -> Tuple[int, List[str]]:
        if name not in memo:
            memo[name] = (1, [])  # recursion is rejected earlier; this only guards the walk
            body = program.functions[name].body
            # a function with any callback loop runs every loop as a callback (lower/loops.py)
            callbacks = any(isinstance(n, (m.While, m.ForRange)) and n.callback for n in walk(body))
            depth, path = deepest(body, 1, callbacks)
            memo[name] = (depth, path)
        return memo[name]

    return {name: frames(name) for name in program.functions}


def frame_tree(fn: m.Function) -> List[Tuple[List[str], List[int]]]:
    """The function's frames as the verifier chains them: entry 0 is the function, entry k
    its k-th loop callback (numbered as lowering creates them: pre-order, `__loop_F_{k-1}`);
    each entry lists the subprograms called directly in that frame and the callbacks nested
    directly in it."""
    nodes: List[Tuple[List[str], List[int]]] = [([], [])]
    # a function with any callback loop runs every loop as a callback (lower/loops.py)
    callbacks = any(isinstance(n, (m.While, m.ForRange)) and n.callback for n in walk(fn.body))

    def visit(node, frame: int) -> None:
        if isinstance(node, list):
            for item in node:
                visit(item, frame)
            return
        if not (is_record(node) and not isinstance(node, type)):
            return
        if isinstance(node, m.FuncCall):
            nodes[frame][0].append(node.func)
        if isinstance(node, (m.While, m.ForRange)) and callbacks:
            nodes.append(([], []))
            inner = len(nodes) - 1
            nodes[frame][1].append(inner)
            for f in fields(node):
                if f.name in ("body", "cond"):
                    visit(getattr(node, f.name), inner)
                elif f.name not in ("type", "pos"):
                    visit(getattr(node, f.name), frame)
            return
        for f in fields(node):
            if f.name not in ("type", "pos"):
                visit(getattr(node, f.name), frame)

    visit(fn.body, 0)
    return nodes


def check_frames(elf: bytes, program: m.Program, source: str, filename: str) -> None:
    """Raise a located CompileError when a program's deepest chain of frames (calls and loop
    callbacks, each rounded as the strictest verifier does) needs more than the kernel allows."""
    obj = ElfFile(elf)  # read once for both walks
    sizes = frame_sizes(obj)
    trees = {name: frame_tree(fn) for name, fn in program.functions.items()}
    compiled = compiled_calls(obj)
    memo: Dict[str, int] = {}

    def frame(name: str, index: int) -> int:
        """The deepest chain from frame `index` of function `name` (0: the function itself)."""
        symbol = name if index == 0 else f"__loop_{name}_{index - 1}"
        own = _rounded(sizes[symbol]) if symbol in sizes else 0  # inlined: in its caller's frame
        _, callbacks = trees[name][index]
        # the calls the compiled code makes: an inlined subprogram is part of `own` already
        deeper = [chain(c) for c in compiled.get(symbol, ()) if c in trees] + \
            [frame(name, k) for k in callbacks]
        return own + max(deeper, default=0)

    def chain(name: str) -> int:
        if name not in memo:
            memo[name] = frame(name, 0)
        return memo[name]

    frames = call_frames(program, sizes)
    for fn in program.functions.values():
        depth, path = frames[fn.name]
        if depth > MAX_CALL_FRAMES:
            node = ast.Name(lineno=fn.line, col_offset=fn.col - 1)
            raise SourceFile(source, filename).error(
                node, f"{fn.name}() nests {depth} frames of calls and loop callbacks "
                      f"({' -> '.join([fn.name + '()'] + path)}); the kernel allows {MAX_CALL_FRAMES}",
                hint="call fewer levels deep from inside loops, or move a loop out of a "
                     "subprogram that loops call")
        total = chain(fn.name)
        if total <= STACK_LIMIT:
            continue
        path: List[str] = [fn.name]
        while [c for c in compiled.get(path[-1], ()) if c in trees]:
            path.append(max((c for c in compiled[path[-1]] if c in trees), key=chain))
        via = f" through {' -> '.join(path)}" if len(path) > 1 else ""
        node = ast.Name(lineno=fn.line, col_offset=fn.col - 1)
        raise SourceFile(source, filename).error(
            node, f"{fn.name}() needs {total} bytes of stack{via} once compiled (its locals, "
                  f"registers spilled around calls and loop callbacks); the kernel allows "
                  f"{STACK_LIMIT}",
            hint="use fewer locals live at once, or keep big values in a map (a per-CPU array "
                 "with one entry works as scratch space: `v = scratch.lookup(0)`, then `if v:` "
                 "and fill `v` in place)")
