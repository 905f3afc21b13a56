"""The spec: what the compiler hands to everything after it.

Value and record types (`spec.types`) and the object, map and program specs (`spec.objects`)
are plain records, deterministic for a compile's inputs; `spec.summary` is the part of an
object spec that loading and attaching read, decoded without the types (a cached start that
only attaches never builds the records). The runtime, export, the command line
and the simulator read these, never the compiler's internals; importing them pulls in no
compiler, no llvmlite and no libbpf.
"""
