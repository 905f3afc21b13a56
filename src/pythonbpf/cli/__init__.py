"""The `pythonbpf` command: run, compile, ir, asm, btf, verify, list, doctor (see docs/cli.md).

One module per command family; each is imported only when its command runs.
"""
