"""`doctor`: what this machine can do with pythonbpf, and what to change where it cannot.

First the environment (libbpf, llvmlite, privileges, kernel BTF, tracefs, bpffs, the JIT),
then one probe per hook kind and feature (see probes.py). Every missing piece comes with
its remedy or the alternative that works here.
"""
from __future__ import annotations

import argparse
import os
import platform
from typing import List

from .output import Output
from .probes import PROBES, ProbeResult, run_probe

__all__ = ["cmd_doctor", "environment_checks"]


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def _check(name: str, ok: bool, detail: str, remedy: str = "") -> ProbeResult:
    return ProbeResult(name, ok, detail, "" if ok else remedy)


def environment_checks() -> List[ProbeResult]:
    """Facts that need no BPF program: libraries, privileges, file systems."""
    checks = [_check("kernel", True, f"Linux {platform.release()} ({platform.machine()})")]
    try:
        from ..loader.features import libbpf_version

        checks.append(_check("libbpf", True, f"{libbpf_version()} (libbpf.so.1)"))
    except Exception as exc:
        checks.append(_check("libbpf", False, str(exc).splitlines()[0],
                             "install libbpf >= 1.0: apt-get install libbpf1"))
    try:
        from importlib.metadata import version as dist_version

        import llvmlite.binding  # noqa: F401 - the compiler's only dependency

        checks.append(_check("llvmlite", True, f"llvmlite {dist_version('llvmlite')}"))
    except Exception as exc:
        checks.append(_check("llvmlite", False, str(exc), "pip install 'llvmlite>=0.44'"))
    from ..loader import has_bpf_privileges

    privileged = has_bpf_privileges()
    checks.append(_check("privileges", privileged,
                         "CAP_BPF/CAP_SYS_ADMIN present" if privileged else "not privileged",
                         "run as root, or grant CAP_BPF and CAP_PERFMON (setcap cap_bpf,cap_perfmon+ep)"))
    btf = "/sys/kernel/btf/vmlinux"
    checks.append(_check("kernel BTF", os.path.exists(btf),
                         f"{btf} ({os.path.getsize(btf) // 1024} KiB)" if os.path.exists(btf)
                         else f"{btf} is missing",
                         "rebuild the kernel with CONFIG_DEBUG_INFO_BTF=y; without it kernel "
                         "structs (CO-RE), tp_btf and task iterators are unavailable"))
    tracefs = next((p for p in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing")
                    if os.path.isdir(os.path.join(p, "events"))), None)
    checks.append(_check("tracefs", tracefs is not None, f"mounted at {tracefs}" if tracefs
                         else "not mounted",
                         "mount -t tracefs tracefs /sys/kernel/tracing"))
    if tracefs is not None:
        switch = os.path.join(tracefs, "tracing_on")
        on = _read(switch) != "0"
        checks.append(_check("trace output", on, "tracing_on = 1" if on else "tracing_on = 0",
                             f"print() output is dropped; turn tracing on: echo 1 > {switch}"))
    bpffs = os.path.ismount("/sys/fs/bpf")
    checks.append(_check("bpffs", bpffs, "mounted at /sys/fs/bpf" if bpffs else "not mounted",
                         "mount -t bpf bpf /sys/fs/bpf (needed for pin=)"))
    jit = _read("/proc/sys/net/core/bpf_jit_enable")
    checks.append(_check("JIT", jit in ("1", "2"), f"bpf_jit_enable = {jit or '?'}",
                         "echo 1 > /proc/sys/net/core/bpf_jit_enable (programs run interpreted)"))
    lockdown = _read("/sys/kernel/security/lockdown")
    if lockdown:
        mode = lockdown[lockdown.find("[") + 1:lockdown.find("]")] if "[" in lockdown else lockdown
        checks.append(_check("lockdown", mode != "confidentiality", f"lockdown: {mode}",
                             "confidentiality lockdown forbids reading kernel memory "
                             "(probe_read_kernel); boot with lockdown=integrity or none"))
    return checks


def cmd_doctor(args: argparse.Namespace, out: Output) -> int:
    results = environment_checks()
    usable = all(r.ok for r in results if r.name in ("libbpf", "privileges"))
    for probe in PROBES:
        if not usable:
            results.append(ProbeResult(probe.name, False, "not probed (see above)", probe.remedy))
            continue
        out.progress(f"probing {probe.name}...")
        result = run_probe(probe)
        if not result.ok and probe.name == "kprobe":
            from .probes import kprobes_configured

            if kprobes_configured():
                result.remedy = "kprobes exist but attaching failed: check the function name"
        results.append(result)
    if out.json:
        out.record({"checks": [{"name": r.name, "ok": r.ok, "detail": r.detail,
                                "remedy": r.remedy} for r in results]})
        return 0
    width = max(len(r.name) for r in results)
    for r in results:
        mark = out.paint("32", "ok  ") if r.ok else out.paint("31", "no  ")
        out.line(f"{mark}{r.name:<{width}}  {r.detail}")
        if r.remedy:
            out.line(f"    {' ' * width}  -> {r.remedy}")
    return 0
