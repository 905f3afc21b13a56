"""`from vmlinux import struct_xdp_md, TASK_COMM_LEN`: the original Python-BPF's spelling of
`pythonbpf.vmlinux`, so that its programs also run with `python FILE.py`."""
from pythonbpf.vmlinux import __getattr__  # noqa: F401
