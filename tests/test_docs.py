"""The language reference's examples compile (and the declarations example loads)."""
from __future__ import annotations

import os
import re

import pytest

from pythonbpf import BPF
from pythonbpf.compiler import compile_source
from scripts import ROOT


def code_blocks(name: str):
    text = open(os.path.join(ROOT, "docs", name)).read()
    return re.findall(r"```python\n(.*?)```", text, re.S)


@pytest.mark.kernel
def test_declarations_example_compiles_and_loads():
    source = code_blocks("language.md")[0]
    compile_source(source, "language.md")
    with BPF(source=source) as b:
        b.load()
        assert set(b.globals) >= {"THRESHOLD", "total", "calls"}
