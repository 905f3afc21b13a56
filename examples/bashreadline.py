"""bashreadline: print the command lines typed into every interactive bash, as they are entered.

Shows: a `uretprobe` on a function of a program binary (`readline` in /bin/bash), the
function's return value (`retval()`, a pointer into the shell's memory) read as a string with
`probe_read_user_str`, and events sent through a perf event array with `events.output(ctx, e)`.

Run as root:  python examples/bashreadline.py [--duration SECONDS]
"""
import argparse
import time

from pythonbpf import BPF, bpf, bpfglobal, struct, uretprobe
from pythonbpf.helper import pid, probe_read_user_str, retval
from pythonbpf.maps import PerfEventArray
from pythonbpf.types import u32


@bpf
@struct
class Line:
    pid: u32
    text: str(128)


events = PerfEventArray(key_size=4, value_size=4)


@uretprobe("/bin/bash", "readline")
def on_readline_return(ctx):
    line = retval()
    if line == 0:
        return 0  # end of input
    e = Line()
    e.pid = pid()
    probe_read_user_str(e.text, line)
    events.output(ctx, e)
    return 0


@bpf
@bpfglobal
def LICENSE() -> str:
    return "GPL"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=None,
                        help="seconds to trace (default: until Ctrl-C)")
    args = parser.parse_args(argv)

    def show(e) -> None:
        print(f"{time.strftime('%H:%M:%S')}  {e.pid:<7} {e.text}", flush=True)

    with BPF() as b:
        b.load_and_attach()
        b.perf_buffer("events", show)
        print(f"{'TIME':<8}  {'PID':<7} COMMAND", flush=True)
        deadline = None if args.duration is None else time.monotonic() + args.duration
        try:
            while deadline is None or time.monotonic() < deadline:
                b.poll(100)
        except KeyboardInterrupt:
            pass
        b.poll(0)  # what arrived during the last wait


if __name__ == "__main__":
    main()
