"""progfuzz: random well-typed pythonbpf programs, run in the kernel and under the reference.

The generator builds a program as a small model (expression trees, statements, map and struct
operations) and renders it twice: the BPF source (an XDP program reading its inputs from an
ArrayMap and writing results into another) and a twin source of pure integer functions that
`pythonbpf.reference.interpreter` runs in CPython. Map and struct effects are simulated in
Python by the model itself, with every integer it needs computed by the interpreter.

Modules: `drawer` (where random choices come from: hypothesis or a seeded RNG), `exprs`
(expression trees and their static kinds), `genexpr` / `genstmt` (the generators), `mapsec`
(map and struct operations and their simulation), `program` (whole programs), `runner`
(compile, load, run, compare, classify) and `report` (counts for the long run).
"""
