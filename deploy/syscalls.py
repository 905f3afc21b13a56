"""The example program the deploy/ files serve: system calls by number, and a log2
histogram of write(2) sizes. Replace it with your own; keep METRICS next to the maps."""
from pythonbpf import bpf, bpfglobal, tracepoint
from pythonbpf.helper import log2
from pythonbpf.maps import PerCPUArrayMap, PerCPUHashMap
from pythonbpf.types import u32, u64

METRICS = {
    "syscalls": {"type": "counter", "help": "system calls entered, by number", "labels": ["nr"]},
    "write_sizes": {"type": "histogram", "unit": "bytes", "help": "write(2) sizes",
                    "max_bucket": 24},
}

syscalls = PerCPUHashMap(key=u32, value=u64, max_entries=1024)
write_sizes = PerCPUArrayMap(key=u32, value=u64, max_entries=64)


@tracepoint("raw_syscalls:sys_enter")
def on_syscall(ctx):
    syscalls[u32(ctx.id)] += 1
    return 0


@tracepoint("syscalls:sys_enter_write")
def on_write(ctx):
    write_sizes[log2(ctx.count)] += 1
    return 0


@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"
