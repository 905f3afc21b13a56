"""Verifier rejections mapped back to the Python program: file, line, plain words, advice.

Reads only bytes (the object and libbpf's log); imports neither the compiler nor libbpf, so
it works for `.o` files built elsewhere and costs nothing until a load fails.
"""
from .report import Diagnosis, diagnose

__all__ = ["Diagnosis", "diagnose"]
