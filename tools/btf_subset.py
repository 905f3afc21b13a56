#!/usr/bin/env python3
"""Write a small BTF file holding only named types of a big one (a kernel's vmlinux BTF).

    python tools/btf_subset.py -o tests/data/kernel-6.1/vmlinux.btf \\
        --from vmlinux-6.1.btf --struct task_struct:pid,tgid,real_parent,comm \\
        --name do_sys_openat2 --enum TASK_COMM_LEN

Why: tests compile CO-RE reads, fentry arguments and kernel constants against another kernel
without root and without vendoring 5 MB. A struct keeps its size and the chosen members their
offsets (btf/writer.py), so a compile against the subset equals one against the whole.

`--from` is a raw BTF file (a copy of /sys/kernel/btf/vmlinux; that file is the default) or an
uncompressed vmlinux ELF, whose `.BTF` section is read (Debian's linux-image packages carry one
inside vmlinuz; tools/kmatrix.py unpacks it). `--struct NAME[:m1,m2,...]` keeps a struct or
union (all members without a list); `--name NAME` keeps any other named type or function whole
(typedefs, enums, fentry targets, `btf_trace_*` and `__bpf_trace_*` for tp_btf); `--enum NAME`
keeps the enum defining an enumerator. Pointers to structs not kept become pointers to
forward declarations. `--extract OUT` only writes the whole raw BTF of an ELF vmlinux.
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src"))

from pythonbpf.btf.kernel import VMLINUX  # noqa: E402
from pythonbpf.btf.reader import BTFReader  # noqa: E402
from pythonbpf.btf.writer import subset_btf  # noqa: E402
from pythonbpf.elf import ElfFile, is_elf  # noqa: E402


def read_btf(path: str) -> bytes:
    """Raw BTF: the file itself, or the `.BTF` section of an ELF vmlinux."""
    with open(path, "rb") as f:
        data = f.read()
    if not is_elf(path):
        return data
    elf = ElfFile(data)
    section = elf.section(".BTF")
    if section is None:
        raise SystemExit(f"{path}: no .BTF section")
    return elf.contents(section)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--from", dest="source", default=VMLINUX,
                   help="raw BTF or an ELF vmlinux (default: %(default)s)")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--struct", action="append", default=[], metavar="NAME[:MEMBERS]")
    p.add_argument("--name", action="append", default=[], metavar="NAME")
    p.add_argument("--enum", action="append", default=[], metavar="ENUMERATOR")
    p.add_argument("--extract", action="store_true",
                   help="write the whole raw BTF of --from (an ELF vmlinux) and stop")
    args = p.parse_args(argv)
    data = read_btf(args.source)
    if not args.extract:
        structs = {}
        for spec in args.struct:
            name, _, members = spec.partition(":")
            structs[name] = [m for m in members.split(",") if m] if members else None
        data = subset_btf(BTFReader(data, path=args.source), structs, args.name, args.enum)
    with open(args.output + ".tmp", "wb") as f:
        f.write(data)
    os.replace(args.output + ".tmp", args.output)
    print(f"{args.output}: {len(data)} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
