"""Unsupported constructs give a CompileError naming file:line:col, with a caret and a hint."""
from __future__ import annotations

import textwrap

import pytest

from pythonbpf.compiler import compile_source
from pythonbpf.compiler import CompileError

HEADER = textwrap.dedent("""\
    from ctypes import c_void_p, c_int64, c_uint32, c_uint64
    from pythonbpf import bpf, map, section, bpfglobal, struct
    from pythonbpf.helper import pid, ktime
    from pythonbpf.maps import HashMap

    counts = HashMap(key=c_uint32, value=c_uint64, max_entries=64)

    @bpf
    @section("tracepoint/syscalls/sys_enter_openat")
    def prog(ctx: c_void_p) -> c_int64:
""")
BODY_LINE = HEADER.count("\n") + 1  # the first line of the body


def body(*lines: str) -> str:
    return HEADER + "".join(f"    {line}\n" for line in lines)


# (body lines, offending line within the body (0-based), column (1-based), words in the message)
CASES = {
    "float": (["x = 1.5", "return 0"], 0, 9, "floats"),
    "true division": (["x = pid() / 2", "return 0"], 0, 9, "true division"),
    "list display": (["x = [1, 2]", "return 0"], 0, 9, "lists"),
    "dict display": (["x = {}", "return 0"], 0, 9, "dicts"),
    "comprehension": (["x = [i for i in counts]", "return 0"], 0, 9, "comprehensions"),
    "lambda": (["f = lambda: 1", "return 0"], 0, 9, "lambda"),
    "try": (["try:", "    pass", "except Exception:", "    pass", "return 0"], 0, 5, "try"),
    "with": (["with open('x') as f:", "    pass", "return 0"], 0, 5, "with"),
    "import": (["import os", "return 0"], 0, 5, "import"),
    "class": (["class A:", "    pass", "return 0"], 0, 5, "class"),
    "len call": (["x = len(counts)", "return 0"], 0, 9, "len"),
    "open call": (["x = open('/etc/passwd')", "return 0"], 0, 9, "open"),
    "unknown name": (["x = nothing + 1", "return 0"], 0, 9, "unknown name 'nothing'"),
    # (an integer lookup used as a value reads 0 when absent, with a warning: tests/lang/test_lang_compat.py)
    "unknown method": (["counts.push(1)", "return 0"], 0, 5, "no method 'push'"),
    "endless while": (["while True:", "    pass", "return 0"], 0, 5, "never ends"),
    "string arithmetic": (["x = 'a' + 1", "return 0"], 0, 9, "integer"),
    "power": (["x = pid() ** 2", "return 0"], 0, 9, "Pow is not supported"),
    "for over a map": (["for k in counts:", "    pass", "return 0"], 0, 14, "range"),
    "for over a tuple target": (["for a, b in range(3):", "    pass", "return 0"], 0, 9, "plain name"),
    "while without a counter": (["i = 0", "while i < 10:", "    pass", "return 0"], 1, 5,
                                "cannot prove that this loop ends"),
    "while towards an unbounded limit": (["i = pid()", "while i < ktime():", "    i += 1", "return 0"], 1, 5,
                                         "cannot prove"),
    "counter skipped by continue": (["i = 0", "while i < 10:", "    if pid() == 1:", "        continue",
                                     "    i += 1", "return 0"], 1, 5, "cannot prove"),
    "range too long": (["t = 0", "for i in range(10000000):", "    t += i", "return t"], 1, 14,
                       "may run up to 10000000 times; the kernel runs a loop at most 8388607"),
    "range without a bound": (["for i in range(ktime()):", "    pass", "return 0"], 0, 14,
                              "unbounded number"),
    "range with a variable step": (["for i in range(0, 10, pid()):", "    pass", "return 0"], 0, 27,
                                   "step must be a non-zero constant"),
    "break outside a loop": (["break", "return 0"], 0, 5, "'break' outside a loop"),
    "continue outside a loop": (["continue", "return 0"], 0, 5, "'continue' outside a loop"),
    "index out of range": (["a: c_uint32 * 4", "a[4] = 1", "return 0"], 1, 7, "index 4 is out of range"),
    "index not proven": (["a: c_uint32 * 4", "i = pid()", "a[i] = 1", "return 0"], 2, 7,
                         "cannot prove that i is within 0..3"),
    "slice": (["a: c_uint32 * 4", "x = a[1:2]", "return 0"], 1, 11, "slices"),
    "literal too wide": (["x: c_uint32 = 0", "y = x + 5000000000", "return 0"], 1, 13,
                         "5000000000 does not fit u32"),
    "literal too wide in assignment": (["x: c_uint32 = 5000000000", "return 0"], 0, 19,
                                       "does not fit u32"),
    "negative shift": (["x = pid() << -1", "return 0"], 0, 18, "negative shift count"),
    "string ordering": (["if comm() < 'a':", "    return 1", "return 0"], 0, 8, "== and != only"),
    "string against an int": (["if comm() == 5:", "    return 1", "return 0"], 0, 8,
                              "compare only with a string literal"),
    "global of an unknown name": (["global nothing", "return 0"], 0, 5, "not a program global"),
    "min of one value": (["x = min(pid())", "return 0"], 0, 9, "two or more"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_construct_is_rejected_with_location(name):
    lines, offending, col, words = CASES[name]
    with pytest.raises(CompileError) as info:
        compile_source(body(*lines), "/tmp/prog.py")
    err = info.value
    assert (err.filename, err.line, err.col) == ("/tmp/prog.py", BODY_LINE + offending, col), str(err)
    assert words in err.message, err.message
    text = str(err)
    assert text.startswith(f"/tmp/prog.py:{BODY_LINE + offending}:{col}: error:")
    source_line, caret = text.splitlines()[1:3]
    assert source_line.strip() == lines[offending].strip()
    indent = 4 + len(lines[offending]) - len(lines[offending].lstrip())  # body lines sit 4 deep
    assert caret.index("^") == 4 + (col - 1 - indent)


def test_hint_says_what_to_write_instead():
    with pytest.raises(CompileError) as info:
        compile_source(body("x = pid() / 2", "return 0"), "p.py")
    assert "hint: use '//'" in str(info.value)


def test_recursion_is_rejected_at_the_call():
    src = HEADER.replace("def prog(ctx: c_void_p) -> c_int64:\n", "def prog(ctx: c_void_p) -> c_int64:\n"
                         "    return f(3)\n") + textwrap.dedent("""
        @bpf
        def f(n: c_uint32) -> c_uint64:
            if n == 0:
                return 0
            return f(n - 1)
    """)
    with pytest.raises(CompileError) as info:
        compile_source(src, "p.py")
    assert "recursion" in info.value.message
    assert info.value.line == src.splitlines().index("    return f(n - 1)") + 1


def test_syntax_error_is_located():
    with pytest.raises(CompileError) as info:
        compile_source(body("x = = 1"), "p.py")
    assert info.value.line == BODY_LINE and "syntax" in info.value.message


def test_bad_map_declaration():
    src = HEADER.replace("max_entries=64", "max_entries=0")
    with pytest.raises(CompileError) as info:
        compile_source(src + "    return 0\n", "p.py")
    assert info.value.line == 6 and "max_entries" in info.value.message


def test_no_program_found():
    with pytest.raises(CompileError, match="no BPF program"):
        compile_source("x = 1\n", "p.py")


GLOBALS = HEADER.replace("counts = HashMap", "LIMIT = Const(c_uint64, 3)\nhits = Global(c_uint64)\ncounts = HashMap")
GLOBALS = GLOBALS.replace("from pythonbpf import bpf,", "from pythonbpf import Const, Global, bpf,")


@pytest.mark.parametrize("lines, line, col, words", [
    # (`hits = 1` alone makes a local, as in Python; reading it first is the error)
    (["hits += 1", "return 0"], 0, 5, "write `global hits` first"),
    (["global LIMIT", "return 0"], 0, 5, "is a Const"),
])
def test_global_misuse(lines, line, col, words):
    src = GLOBALS + "".join(f"    {text}\n" for text in lines)
    with pytest.raises(CompileError) as info:
        compile_source(src, "g.py")
    first = GLOBALS.count("\n") + 1
    assert (info.value.line, info.value.col) == (first + line, col), str(info.value)
    assert words in str(info.value)


def test_stack_overflow_names_the_largest_locals():
    src = HEADER.replace("counts = HashMap", textwrap.dedent("""\
        @bpf
        @struct
        class Big:
            data: c_uint64 * 40

        counts = HashMap""")) + "    a = Big()\n    b = Big()\n    return 0\n"
    with pytest.raises(CompileError) as info:
        compile_source(src, "s.py")
    err = info.value
    assert err.line == src.splitlines().index("    a = Big()") + 1 and err.col == 5
    assert "needs 640 bytes of stack" in err.message and "local 'a' (320 bytes)" in err.message


def test_stack_of_a_call_chain_adds_up():
    src = HEADER.replace("counts = HashMap", textwrap.dedent("""\
        @bpf
        @struct
        class Big:
            data: c_uint64 * 40

        bigs = HashMap(key=c_uint32, value=Big, max_entries=4)
        counts = HashMap""")) + "    a = Big()\n    a.data[0] = pid()\n    a.data[1] = helper()\n" \
        "    bigs[1] = a\n    return 0\n" + textwrap.dedent("""
        @bpf
        def helper() -> c_uint64:
            b = Big()
            b.data[2] = ktime()
            bigs[2] = b
            return b.data[3]
    """)
    with pytest.raises(CompileError) as info:
        compile_source(src, "s.py")
    # LLVM inlines helper(): its local joins prog's own frame, measured on the compiled object
    err = info.value
    assert err.line == src.splitlines().index("def prog(ctx: c_void_p) -> c_int64:") + 1
    assert "prog() needs" in err.message and "bytes of stack once compiled" in err.message
    assert "subprogram" not in str(err)  # the hint does not recommend what made the chain


STACK_SHARED = textwrap.dedent("""    from pythonbpf import bpf, bpfglobal, struct, xdp
    from pythonbpf.maps import ArrayMap
    from pythonbpf.types import u32, u64

    @bpf
    @struct
    class Big:
        n: u64
        path: str(264)

    @bpf
    @struct
    class Med:
        n: u64
        tag: str(184)

    bigs = ArrayMap(key=u32, value=Big, max_entries=4)
    meds = ArrayMap(key=u32, value=Med, max_entries=4)

    @bpf
    def remember(slot: u32, n: u64) -> u64:
        b = Big()
        b.n = n
        bigs[slot] = b
        return n

    @xdp
    def prog(ctx):
        m = Med()
        m.n = 7
        meds[0] = m
        remember(1, 11)
        remember(2, 22)
        return 2

    @bpf
    @bpfglobal
    def LICENSE() -> str:
        return "GPL"
""")


@pytest.mark.kernel
def test_a_subprograms_big_local_is_not_counted_twice():
    """A 272-byte local in a subprogram LLVM inlines, beside a 192-byte one in the caller: the
    compiled frame fits (the estimate once added the callee's frame on top of its inlined copy
    and refused the program at 768 bytes); it loads and runs."""
    from pythonbpf import BPF

    with BPF(source=STACK_SHARED) as b:
        assert b.programs["prog"].test_run(bytes(64)).retval == 2
        assert b["meds"][0].n == 7 and b["bigs"][1].n == 11 and b["bigs"][2].n == 22
