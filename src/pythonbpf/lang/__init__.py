"""What BPF-side code imports: decorators, types, map declarations and helper stubs.

Everything here is cheap to import (no llvmlite, no libbpf): a user's script imports it at
start-up, and the compiler reads the same names statically from the script's source.
"""
