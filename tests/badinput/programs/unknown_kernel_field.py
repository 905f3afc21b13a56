# expect: 9:9: real_parnt
from pythonbpf import tracepoint
from pythonbpf.helper import current_task


@tracepoint("sched:sched_process_exec")
def on_exec(ctx):
    task = current_task()
    p = task.real_parnt.tgid
    return 0
