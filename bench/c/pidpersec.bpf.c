/* examples/pidpersec.py: one global counter of forks, read by user space from .bss. */
#include "common.h"

__u64 forks = 0;

SEC("tracepoint/sched/sched_process_fork")
int on_fork(void *ctx)
{
    __sync_fetch_and_add(&forks, 1);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
