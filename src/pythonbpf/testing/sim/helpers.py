"""The values kernel helpers return, under the test's control.

`sim.helpers.pid = 1234`, `sim.helpers.comm = "bash"`, `sim.helpers.ktime.advance(5_000)`,
`sim.helpers.random = [4, 8, 15]`, `sim.helpers.cpu = 1`. Defaults are those of a program run
by BPF_PROG_TEST_RUN from this process (its pid, thread id, uid, gid, comm, cgroup and the
interfaces of its network namespace), so one test body can drive the kernel or the simulator;
`ktime` is a deterministic clock that moves only when told to and `random` a seeded sequence,
so simulated runs repeat exactly.

`ktime_boot()` is the same clock plus `suspended`, the nanoseconds the machine has spent
suspended (0 until `suspend(ns)` adds some): the kernel's boot time is its monotonic time plus
the time suspended, so a boot-time read is never below a monotonic read at the same point and
moves with it, and a suspend moves only boot time.

Kernel structs (`current_task()`) and stacks (`get_stackid`) have no default: a program
reaching them without a model raises SimulationError.
"""
from __future__ import annotations

import os
import random as _random
import socket
import threading
from typing import Any, Callable, Dict, Iterator, List, Optional, Set, Union

TASK_COMM_LEN = 16


class Clock:
    """`ktime()`: nanoseconds, starting at `now`, moving by `step` per read (0: only when
    told with `advance(ns)` or `set(ns)`)."""

    def __init__(self, now: int = 1_000_000_000, step: int = 0) -> None:
        self.now = now
        self.step = step

    def __call__(self) -> int:
        value = self.now
        self.now += self.step
        return value

    def advance(self, ns: int) -> int:
        self.now += ns
        return self.now

    def set(self, ns: int) -> None:
        self.now = ns

    def __repr__(self) -> str:
        return f"Clock(now={self.now}, step={self.step})"


def process_comm() -> bytes:
    try:
        with open("/proc/self/comm", "rb") as f:
            return f.read().strip()[:TASK_COMM_LEN - 1]
    except OSError:
        return b"python"


def process_cgroup_id() -> Optional[int]:
    """The cgroup v2 id of this process: the inode number of its cgroup directory."""
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                if line.startswith("0::"):
                    return os.stat("/sys/fs/cgroup" + line[3:].strip()).st_ino
    except OSError:
        return None
    return None


class Helpers:
    """Helper results for simulated runs; see the module docstring."""

    def __init__(self) -> None:
        self.pid: int = os.getpid()
        self.tid: int = threading.get_native_id()
        self.uid: int = os.getuid()
        self.gid: int = os.getgid()
        self.cpu: int = 0
        self._comm: bytes = process_comm()
        self._clock: Clock = Clock()
        self._ktime: Callable[[], int] = self._clock
        self._random: Callable[[], int] = _seeded(0)
        self.cgroup_id: Optional[int] = process_cgroup_id()
        self.task: Optional[Dict[str, Any]] = None  # a task_struct model for current_task()
        self.stack: Optional[List[int]] = None  # kernel stack addresses for get_stackid
        self.user_stack: Optional[List[int]] = None
        self.suspended: int = 0  # ns spent in suspend: ktime_boot() - ktime()
        # the ifindexes device maps accept; None: those of this process's network namespace
        self.interfaces: Optional[Set[int]] = None

    # ---- comm ------------------------------------------------------------------------
    @property
    def comm(self) -> str:
        return self._comm.decode(errors="replace")

    @comm.setter
    def comm(self, value: Union[str, bytes]) -> None:
        data = value.encode() if isinstance(value, str) else bytes(value)
        self._comm = data[:TASK_COMM_LEN - 1]

    def comm_bytes(self, size: int) -> bytes:
        """What bpf_get_current_comm writes into `size` bytes: the name, NUL-padded."""
        return self._comm[:size - 1].ljust(size, b"\0")

    # ---- ktime -----------------------------------------------------------------------
    @property
    def ktime(self) -> Any:
        """The clock (a `Clock` unless a callable was set); read it with `ktime()`."""
        return self._ktime

    @ktime.setter
    def ktime(self, value: Union[int, Callable[[], int], Clock]) -> None:
        if isinstance(value, int):
            self._clock.set(value)
            self._ktime = self._clock
        elif isinstance(value, Clock):
            self._clock = value
            self._ktime = value
        elif callable(value):
            self._ktime = value
        else:
            raise TypeError("ktime takes ns (int), a Clock or a callable returning ns")

    def suspend(self, ns: int) -> int:
        """The machine sleeps for `ns`: boot time moves on, monotonic time does not."""
        if ns < 0:
            raise ValueError(f"a suspend lasts 0 ns or more, not {ns}")
        self.suspended += ns
        return self.suspended

    # ---- interfaces --------------------------------------------------------------------
    def interface_exists(self, ifindex: int) -> bool:
        """Whether a device map may hold `ifindex` (the kernel's dev_get_by_index)."""
        if ifindex <= 0:
            return False
        if self.interfaces is not None:
            return ifindex in self.interfaces
        try:
            socket.if_indextoname(ifindex)
        except OSError:
            return False
        return True

    # ---- random ----------------------------------------------------------------------
    @property
    def random(self) -> Callable[[], int]:
        return self._random

    @random.setter
    def random(self, value: Union[int, Callable[[], int], List[int], Iterator[int]]) -> None:
        if isinstance(value, int):
            self._random = lambda: value
        elif callable(value):
            self._random = value
        else:
            values = iter(value)
            self._random = lambda: next(values)

    def seed(self, seed: int) -> None:
        """A fresh deterministic random() sequence."""
        self._random = _seeded(seed)

    def read(self, name: str) -> int:
        """The raw value of a no-argument helper, by the language's helper name."""
        if name == "ktime":
            return int(self._ktime()) & (2 ** 64 - 1)
        if name == "ktime_boot":
            if self.suspended < 0:
                raise ValueError(f"sim.helpers.suspended is {self.suspended}: boot time is never "
                                 "behind monotonic time")
            return (int(self._ktime()) + self.suspended) & (2 ** 64 - 1)
        if name == "random":
            return int(self._random()) & 0xFFFFFFFF
        value = getattr(self, name)
        return int(value)


def _seeded(seed: int) -> Callable[[], int]:
    rng = _random.Random(seed)
    return lambda: rng.getrandbits(32)
