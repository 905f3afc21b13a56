"""Five uprobes on libc functions a quiet machine rarely calls; counts them until Ctrl-C.

bench/tools_startup.py times this tool from SIGINT to exit, next to bpftrace with the same five
probes (`uprobe:libc:getaddrinfo, ...  { @[probe] = count(); }`): detaching is the exit's cost.
"""
import time
from pythonbpf import BPF, bpf, bpfglobal, uprobe
from pythonbpf.maps import ArrayMap
from pythonbpf.types import u32, u64

calls = ArrayMap(key=u32, value=u64, max_entries=5)

@uprobe("libc", "getaddrinfo")
def p0(ctx):
    calls[0] += 1
    return 0

@uprobe("libc", "gethostbyname")
def p1(ctx):
    calls[1] += 1
    return 0

@uprobe("libc", "getnameinfo")
def p2(ctx):
    calls[2] += 1
    return 0

@uprobe("libc", "getservbyname")
def p3(ctx):
    calls[3] += 1
    return 0

@uprobe("libc", "getprotobyname")
def p4(ctx):
    calls[4] += 1
    return 0

@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"

if __name__ == "__main__":
    with BPF() as b:
        b.load_and_attach()
        try:
            print("Attached 5 uprobes", flush=True)
            time.sleep(1e9)
        except KeyboardInterrupt:
            pass
        print("calls:", [b["calls"][i] for i in range(5)])
