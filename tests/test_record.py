"""`pythonbpf.record` against `dataclasses.dataclass`: the same classes written both ways behave
the same (fields, defaults, equality, hashing, frozenness, repr, the dataclasses functions,
pickling), and the compiler's model and types are records. Kernel-free."""
from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from pythonbpf import record as rec
from pythonbpf.compiler import typed as model
from pythonbpf.spec import types

MAKERS = {"record": (rec.record, rec.field),
          "dataclass": (dataclasses.dataclass, dataclasses.field)}


def define(kind):
    """A small hierarchy like the compiler's model, with one decorator or the other."""
    deco, field = MAKERS[kind]

    @deco
    class Pos:
        line: int
        col: int

    @deco
    class Expr:
        type: object
        pos: Pos

    @deco
    class Ref(Expr):
        base: object
        offset: int
        bit_size: int = 0
        tags: list = field(default_factory=list)

    @deco
    class Override(Ref):
        offset: int = 4  # a redefined field keeps its place

    @deco(frozen=True)
    class Int:
        bits: int
        signed: bool

        def __str__(self):
            return f"i{self.bits}"

    @deco(frozen=True)
    class One:
        size: int = 1

    @deco(frozen=True)
    class Empty:
        pass

    @deco(frozen=True)
    class Hidden:
        name: str
        note: object = field(default=None, compare=False, repr=False)

    @deco
    class Post:
        a: int
        b: int = 0

        def __post_init__(self):
            self.b = self.a * 2

    return {c.__name__: c for c in (Pos, Expr, Ref, Override, Int, One, Empty, Hidden, Post)}


@pytest.fixture(params=list(MAKERS))
def kind(request):
    return request.param


def samples(c):
    return [c["Pos"](1, 2), c["Expr"](c["Int"](8, True), c["Pos"](3, 4)),
            c["Ref"](None, c["Pos"](1, 1), None, 8),
            c["Ref"](None, c["Pos"](1, 1), None, 8, 3, [1]),
            c["Override"](None, c["Pos"](5, 6), "b"), c["Int"](32, False), c["One"](), c["Empty"](),
            c["Hidden"]("x", note=object()), c["Post"](5)]


def observed(c):
    """Everything about the classes that should not depend on the decorator."""
    out = []
    for obj in samples(c):
        cls = type(obj)
        names = [f.name for f in dataclasses.fields(obj)]
        out.append((repr(obj), names, cls.__match_args__, dataclasses.is_dataclass(obj),
                    dataclasses.asdict(obj) if cls.__name__ != "Hidden" else None,
                    obj == copy.deepcopy(obj), obj != 3, cls.__hash__ is None,
                    hash(obj) if cls.__hash__ is not None else None,
                    {n: getattr(cls, n, "absent") for n in names if n not in ("tags", "note")},
                    [(f.default, f.compare, f.repr) for f in dataclasses.fields(obj)
                     if f.name not in ("tags", "note")]))
    return out


def test_records_behave_as_dataclasses_do():
    assert observed(define("record")) == observed(define("dataclass"))


def test_equality_and_hash_follow_the_fields(kind):
    c = define(kind)
    assert c["Int"](8, True) == c["Int"](8, True) != c["Int"](8, False)
    assert hash(c["Int"](8, True)) == hash((8, True)) and hash(c["One"]()) == hash((1,))
    assert hash(c["Empty"]()) == hash(())
    assert c["Hidden"]("x", note=1) == c["Hidden"]("x", note=2)
    assert hash(c["Hidden"]("x", note=1)) == hash(("x",))
    assert c["Pos"](1, 2) != c["Expr"](1, 2)  # another class is never equal
    with pytest.raises(TypeError):
        hash(c["Pos"](1, 2))  # eq without frozen: unhashable, as dataclass makes it


def test_defaults_and_factories(kind):
    c = define(kind)
    a, b = c["Ref"](None, None, None, 1), c["Ref"](None, None, None, 1)
    assert a.tags == [] and a.tags is not b.tags
    assert c["Ref"].bit_size == 0 and "tags" not in vars(c["Ref"])
    assert [f.name for f in dataclasses.fields(c["Override"])] == [
        "type", "pos", "base", "offset", "bit_size", "tags"]
    assert c["Override"](None, None, None).offset == 4
    assert c["Post"](3).b == 6


def test_frozen_records_refuse_changes(kind):
    c = define(kind)
    value = c["Int"](8, True)
    with pytest.raises(AttributeError, match="cannot assign to field 'bits'"):
        value.bits = 16
    with pytest.raises(AttributeError, match="cannot delete field 'bits'"):
        del value.bits
    with pytest.raises(AttributeError):
        value.other = 1
    mutable = c["Pos"](1, 2)
    mutable.line = 7
    assert mutable == c["Pos"](7, 2)


def test_definition_errors(kind):
    deco, _ = MAKERS[kind]
    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):
        deco(type("Bad", (), {"__annotations__": {"a": int, "b": int}, "a": 1}))
    with pytest.raises(ValueError, match="mutable default"):
        deco(type("Bad", (), {"__annotations__": {"a": list}, "a": []}))
    mutable = deco(type("Base", (), {"__annotations__": {"a": int}}))
    with pytest.raises(TypeError, match="cannot inherit frozen"):
        deco(frozen=True)(type("Bad", (mutable,), {"__annotations__": {"b": int}}))


def test_dataclasses_functions_work_on_records():
    c = define("record")
    ref = c["Ref"](None, c["Pos"](1, 2), None, 8)
    assert dataclasses.replace(ref, offset=9) == c["Ref"](None, c["Pos"](1, 2), None, 9)
    assert dataclasses.replace(c["Int"](8, True), bits=16) == c["Int"](16, True)
    assert rec.replace(ref, offset=9) == dataclasses.replace(ref, offset=9)
    assert dataclasses.asdict(c["Pos"](1, 2)) == {"line": 1, "col": 2}
    assert c["Int"].__dataclass_params__.frozen and not c["Pos"].__dataclass_params__.frozen

    @dataclasses.dataclass(frozen=True)
    class Wider(c["Int"]):  # a dataclass may extend a record
        extra: int = 0

    assert [f.name for f in dataclasses.fields(Wider)] == ["bits", "signed", "extra"]
    assert Wider(8, True, 1) != Wider(8, True, 2)


def test_fields_and_is_record_match_dataclasses():
    c = define("record")
    for obj in samples(c):
        assert [f.name for f in rec.fields(obj)] == [f.name for f in dataclasses.fields(obj)]
        assert rec.is_record(obj) and rec.is_record(type(obj))
    assert not rec.is_record(3) and not rec.is_record([])
    plain = dataclasses.make_dataclass("Plain", ["x"])
    assert rec.is_record(plain(1)) and [f.name for f in rec.fields(plain)] == ["x"]


def test_records_copy(kind):
    c = define(kind)
    for obj in samples(c):
        assert copy.copy(obj) == obj and repr(copy.deepcopy(obj)) == repr(obj)


XDP = """
from pythonbpf import bpf, xdp, struct
from pythonbpf.maps import HashMap
from pythonbpf.helper import pid
from ctypes import c_uint32, c_uint64

@bpf
@struct
class Seen:
    hits: c_uint64
    last: c_uint32

@bpf
@map
def seen() -> HashMap:
    return HashMap(key=c_uint32, value=Seen, max_entries=16)

@bpf
@xdp
def count(ctx):
    s = seen().lookup(pid())
    if s:
        s.hits += 1
    return 2

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
"""


def test_a_checked_program_pickles_to_an_equal_one():
    from pythonbpf.compiler.frontend.module import check_source

    program = check_source(XDP.replace("import bpf,", "import bpf, map, bpfglobal,"), "xdp.py")
    again = pickle.loads(pickle.dumps(program, protocol=pickle.HIGHEST_PROTOCOL))
    assert again == program and repr(again) == repr(program)
    value = again.maps["seen"].value
    assert isinstance(value, types.StructType) and hash(value) == hash(program.maps["seen"].value)
    with pytest.raises(AttributeError):
        value.size = 1


def test_the_compiler_model_and_types_are_records():
    for module in (model, types):
        classes = [v for v in vars(module).values()
                   if isinstance(v, type) and v.__module__ == module.__name__ and rec.is_record(v)]
        assert len(classes) > (40 if module is model else 10)
        for cls in classes:
            assert getattr(cls, rec.FIELDS) is vars(cls)[rec.FIELDS]  # decorated, not inherited
            assert [f.name for f in rec.fields(cls)] == [f.name for f in dataclasses.fields(cls)]
    assert types.IntType(8, True).__dataclass_params__.frozen
    assert model.Program("x").maps == {} and model.Program.__hash__ is None


def test_prewritten_init_templates_are_current():
    """_record_inits.py is generated from record.init_source: a change to one without the other
    would give records of common shapes another __init__ than the rest."""
    import pathlib

    current = (pathlib.Path(rec.__file__).parent / "_record_inits.py").read_text()
    assert current == rec.prewritten_source(), "regenerate: python -c 'from pythonbpf import record; " \
        "print(record.prewritten_source(), end=\"\")' > src/pythonbpf/_record_inits.py"


def test_prewritten_and_compiled_templates_behave_alike():
    @rec.record(frozen=True)
    class Small:  # a prewritten shape
        a: int
        b: str = "x"

    @rec.record
    class Factory:  # a compiled shape (a default factory)
        a: int
        b: list = rec.field(default_factory=list)

    s = Small(1)
    assert (s.a, s.b, s) == (1, "x", Small(1, "x"))
    assert Small.__init__.__code__.co_name == "__init__"
    assert Small.__init__.__code__.co_varnames[:3] == ("self", "a", "b")
    with pytest.raises(rec.FrozenInstanceError):
        s.a = 2
    f, g = Factory(1), Factory(2)
    assert f.b == [] and f.b is not g.b
    with pytest.raises(TypeError):
        Small()
