#!/usr/bin/env python3
"""Run a command as root inside another Debian kernel, booted under qemu, or on this host.

    python tools/kmatrix.py run --kernel 6.12 -- uname -r
    python tools/kmatrix.py run --kernel 6.1 --rw . -- .venv/bin/python -m pytest -q tests/hooks
    python tools/kmatrix.py matrix            # the suites of tools/matrix.py on 6.1, 6.12, host

The guest's root file system is this machine's, shared read-only over 9p with a tmpfs overlay
on top: the guest sees the same Python, venv and checkout, can write anywhere, and nothing
reaches the host except directories passed with `--rw` (shared read-write at the same path).
Why a guest at all: the project's hosts run a kernel without kprobes, fentry/fexit or BPF LSM,
and users run Debian 12 (6.1) and 6.12 LTS kernels whose verifiers differ from this host's.

Kernels are Debian's generic `-amd64` flavour (the `-cloud-amd64` one has no 9p), resolved
through the meta packages, fetched with `apt-get download` and cached in $KMATRIX_DIR
(default /var/tmp/kmatrix) with a busybox initramfs built here. The uncompressed vmlinux is
booted through its PVH entry, which under TCG saves seconds of decompression. On the
Firecracker hosts /dev/kvm cannot run a stock kernel, so qemu runs under TCG: work inside
is 15-25x slower than on the host, and a boot to the command takes 5-7 s.

Importable: `run(kernel, command, ...)` returns a `GuestResult` (exit status, output, time,
the guest's `uname -r`). The exit status is 124 on timeout and 125 when the guest never ran
the command.
"""
from __future__ import annotations

import argparse
import fcntl
import gzip
import hashlib
import os
import re
import shlex
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Union

CACHE = os.environ.get("KMATRIX_DIR", "/var/tmp/kmatrix")
KERNELS = {"6.1": "linux-image-amd64", "6.12": "linux-image-6.12-amd64"}
# command -> Debian package; installed on first use (the suite must run on a new machine)
TOOLS = {"qemu-system-x86_64": "qemu-system-x86", "depmod": "kmod", "modprobe": "kmod",
         "xz": "xz-utils", "zstd": "zstd"}
PASS_ENV = ("CI", "PYTHONPATH", "PYTEST_ADDOPTS")  # and every PYTHONBPF_* variable
GUEST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# the kernel's own module loader runs in PID 1's root (the initramfs): send it to the guest root
MODPROBE = '#!/bin/busybox sh\nexec /bin/busybox chroot /newroot /sbin/modprobe "$@"\n'
INIT = r"""#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
for m in $(cat /mods/order); do insmod /mods/$m 2>/dev/null; done
RUN=; RWN=0
for a in $(cat /proc/cmdline); do
  case $a in kmx.run=*) RUN=${a#kmx.run=} ;; kmx.rwn=*) RWN=${a#kmx.rwn=} ;; esac
done
die() { echo "kmatrix-init: $*" > /dev/ttyS0; poweroff -f; }
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 hostroot /lower || die "no 9p root"
mount -t tmpfs -o mode=0755 tmpfs /up && mkdir -p /up/u /up/w
mount -t overlay -o lowerdir=/lower,upperdir=/up/u,workdir=/up/w overlay /newroot || die "no overlay"
R=/newroot
mount -t proc proc $R/proc; mount -t sysfs sysfs $R/sys; mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm; mount -t devpts devpts $R/dev/pts; mount -t tmpfs tmpfs $R/dev/shm
mount -t tmpfs tmpfs $R/run
mount -t bpf bpf $R/sys/fs/bpf; mount -t tracefs tracefs $R/sys/kernel/tracing
mount -t securityfs securityfs $R/sys/kernel/security 2>/dev/null
mount -t cgroup2 cgroup2 $R/sys/fs/cgroup 2>/dev/null
mkdir -p $R/lib/modules/$(uname -r) && mount --bind $R/$(cat /kmoddir) $R/lib/modules/$(uname -r)
i=0
while [ $i -lt $RWN ]; do
  p=$(cat /lower$RUN/rw$i); mkdir -p $R$p
  mount -t 9p -o trans=virtio,version=9p2000.L,cache=mmap,msize=512000 rw$i $R$p || die "no rw$i at $p"
  i=$((i+1))
done
mkdir -p $R$RUN
mount -t 9p -o trans=virtio,version=9p2000.L,cache=none,msize=512000 run $R$RUN || die "no run dir"
echo 1 > /proc/sys/kernel/panic_on_oops 2>/dev/null
ip link set lo up; hostname kmatrix
chroot $R /bin/bash $RUN/stage2.sh < /dev/null > /dev/ttyS0 2>&1
sync
poweroff -f
"""
ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]|\x1bc")


@dataclass
class Kernel:
    package: str  # linux-image-6.12.118+deb12-amd64
    release: str  # 6.12.118+deb12-amd64 (the modules directory's name)
    root: str     # the extracted package
    image: str    # what qemu boots: the PVH vmlinux, or the bzImage
    initrd: str


@dataclass
class GuestResult:
    kernel: str      # "host" or the package name
    release: str     # `uname -r` where the command ran ("" when it did not run)
    returncode: int
    output: str
    seconds: float


def log(message: str) -> None:
    print(f"kmatrix: {message}", file=sys.stderr, flush=True)


def ensure_tools() -> None:
    """Install qemu, kmod, xz and zstd from Debian unless they are here."""
    extra = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    missing = sorted({p for t, p in TOOLS.items() if not shutil.which(t, path=extra)})
    if missing:
        log("installing " + " ".join(missing))
        _apt(["install", "-y", "-q", "--no-install-recommends", *missing])


def _apt(args: List[str], cwd: Optional[str] = None) -> None:
    """apt-get ARGS, retried once after `apt-get update` (a new machine's lists may be stale)."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    with _locked(os.path.join(CACHE, "apt.lock")):
        if subprocess.run(["apt-get", *args], cwd=cwd, env=env, capture_output=True).returncode:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
            done = subprocess.run(["apt-get", *args], cwd=cwd, env=env, capture_output=True, text=True)
            if done.returncode:
                raise RuntimeError(f"apt-get {' '.join(args)} failed:\n{done.stderr[-2000:]}")


class _locked:
    """An exclusive flock on a file: two test processes preparing one kernel would collide."""

    def __init__(self, path: str) -> None:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self.path = path

    def __enter__(self) -> "_locked":
        self.f = open(self.path, "w")
        fcntl.flock(self.f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        self.f.close()


def resolve(spec: str) -> str:
    """6.1 / 6.12 -> the linux-image package the meta package depends on today."""
    if spec.startswith("linux-image-"):
        package = spec
    elif spec in KERNELS:
        meta = KERNELS[spec]
        memo = os.path.join(CACHE, "resolved-" + meta)
        lists = "/var/lib/apt/lists"
        if os.path.exists(memo) and os.path.getmtime(memo) > os.path.getmtime(lists):
            return open(memo).read().strip()
        package = ""
        for attempt in range(2):
            out = subprocess.run(["apt-cache", "depends", meta], capture_output=True, text=True).stdout
            found = re.search(r"Depends: (linux-image-[0-9]\S*)", out)
            if found:
                package = found.group(1)
                break
            subprocess.run(["apt-get", "update", "-q"], capture_output=True)
        if not package:
            raise RuntimeError(f"apt knows no {meta}: is a Debian 12 (bookworm) source configured?")
        os.makedirs(CACHE, exist_ok=True)
        with open(memo, "w") as f:
            f.write(package + "\n")
    else:
        raise ValueError(f"unknown kernel {spec!r}: use 6.1, 6.12, host or a linux-image-* package")
    if "cloud" in package:
        raise ValueError(f"{package}: cloud kernels have no 9p; use the generic -amd64 flavour")
    return package


def download(package: str) -> str:
    """The .deb of `package` in the cache, fetched with apt-get download if needed."""
    debs = os.path.join(CACHE, "debs")
    os.makedirs(debs, exist_ok=True)
    prefix = package + "_"
    found = [f for f in os.listdir(debs) if f.startswith(prefix) and f.endswith(".deb")]
    if not found:
        _apt(["download", package], cwd=debs)
        found = [f for f in os.listdir(debs) if f.startswith(prefix) and f.endswith(".deb")]
    return os.path.join(debs, sorted(found)[-1])


def prepare(spec: str) -> Kernel:
    """Fetch, unpack and index a kernel, and build its initramfs (all cached)."""
    ensure_tools()
    package = resolve(spec)
    root = os.path.join(CACHE, "k", package)
    with _locked(root + ".lock"):
        if not os.path.exists(os.path.join(root, ".ready")):
            deb = download(package)
            shutil.rmtree(root, ignore_errors=True)
            os.makedirs(root)
            subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
            release = os.listdir(os.path.join(root, "lib/modules"))[0]
            subprocess.run(["depmod", "-a", "-b", root, release], check=True)
            open(os.path.join(root, ".ready"), "w").close()
        release = os.listdir(os.path.join(root, "lib/modules"))[0]
        image = _bootable_image(root, release)
        initrd = _initramfs(root, release)
    return Kernel(package, release, root, image, initrd)


def _bootable_image(root: str, release: str) -> str:
    """The ELF vmlinux inside the bzImage when the kernel has a PVH entry, else the bzImage."""
    vmlinuz = os.path.join(root, "boot", "vmlinuz-" + release)
    config = open(os.path.join(root, "boot", "config-" + release)).read()
    if "\nCONFIG_PVH=y" not in config or os.environ.get("KMATRIX_PVH") == "0":
        return vmlinuz
    elf = os.path.join(root, "boot", "vmlinux-" + release)
    if os.path.exists(elf):
        return elf
    b = open(vmlinuz, "rb").read()
    if b[0x202:0x206] != b"HdrS":
        return vmlinuz
    offset, length = struct.unpack_from("<II", b, 0x248)  # payload_offset, payload_length
    payload = b[((b[0x1F1] or 4) + 1) * 512 + offset:][:length]
    tools = {b"\x28\xb5\x2f\xfd": "zstd", b"\xfd7zX": "xz", b"\x1f\x8b\x08\x00": "gzip"}
    tool = tools.get(payload[:4])
    if tool is None:
        return vmlinuz
    # the payload ends in a 4-byte size the decompressors call trailing garbage: ignore the status
    data = subprocess.run([tool, "-dc"], input=payload, capture_output=True).stdout
    if data[:4] != b"\x7fELF":
        return vmlinuz
    with open(elf + ".tmp", "wb") as f:
        f.write(data)
    os.rename(elf + ".tmp", elf)
    return elf


def _initramfs(root: str, release: str) -> str:
    """busybox, the modules a 9p root with an overlay needs, and INIT; named by their hash."""
    busybox = os.path.join(CACHE, "busybox")
    if not os.path.exists(busybox):
        with tempfile.TemporaryDirectory() as d:
            subprocess.run(["dpkg-deb", "-x", download("busybox-static"), d], check=True)
            shutil.copy(os.path.join(d, "bin/busybox"), busybox + ".tmp")
        os.rename(busybox + ".tmp", busybox)
    moddir = os.path.join(root, "lib/modules", release)
    tag = hashlib.sha256((INIT + MODPROBE + moddir).encode()).hexdigest()[:12]
    out = os.path.join(root, f"kmatrix-initrd-{tag}.cpio.gz")
    if os.path.exists(out):
        return out
    files: Dict[str, bytes] = {"init": INIT.encode(), "sbin/modprobe": MODPROBE.encode(),
                               "bin/busybox": open(busybox, "rb").read(), "kmoddir": moddir.encode()}
    order = []
    for name in ("virtio_pci", "9pnet_virtio", "9p", "overlay"):
        deps = subprocess.run(["modprobe", "-d", root, "-S", release, "--show-depends", name],
                              capture_output=True, text=True).stdout
        for line in deps.splitlines():
            parts = line.split()
            if len(parts) < 2 or parts[0] != "insmod":
                continue  # "builtin ..." needs nothing
            ko = parts[1]
            base = re.sub(r"\.(xz|zst)$", "", os.path.basename(ko))
            if base in order:
                continue
            data = open(ko, "rb").read()
            if ko.endswith(".xz"):
                data = subprocess.run(["xz", "-dc"], input=data, capture_output=True, check=True).stdout
            elif ko.endswith(".zst"):
                data = subprocess.run(["zstd", "-qdc"], input=data, capture_output=True, check=True).stdout
            files["mods/" + base] = data
            order.append(base)
    files["mods/order"] = "\n".join(order).encode() + b"\n"
    _write_cpio(out, files, dirs=("bin", "sbin", "proc", "sys", "dev", "lower", "up", "newroot", "mods"),
                executables=("init", "sbin/modprobe", "bin/busybox"))
    return out


def _write_cpio(out: str, files: Dict[str, bytes], dirs: Iterable[str], executables: Iterable[str]) -> None:
    """A gzipped newc cpio archive (the initramfs format), written without the cpio tool."""
    def pad(n: int) -> bytes:
        return b"\0" * ((4 - n % 4) % 4)

    entries = [(".", stat.S_IFDIR | 0o755, b"")]
    entries += [(d, stat.S_IFDIR | 0o755, b"") for d in dirs]
    entries += [(name, stat.S_IFREG | (0o755 if name in executables else 0o644), data)
                for name, data in sorted(files.items())]
    with gzip.open(out + ".tmp", "wb", compresslevel=1) as o:
        for ino, (name, mode, data) in enumerate(entries + [("TRAILER!!!", 0, b"")], start=1):
            raw = name.encode()
            nlink = 2 if stat.S_ISDIR(mode) else 1
            fields = [ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(raw) + 1, 0]
            header = ("070701" + "".join("%08X" % x for x in fields)).encode() + raw + b"\0"
            o.write(header + pad(len(header)) + data + pad(len(data)))
    os.rename(out + ".tmp", out)


def _stage2(run_dir: str, command: str, cwd: str, env: Dict[str, str]) -> str:
    """The script the guest runs as root in the shared root: environment, command, status."""
    lines = [f"export PATH={GUEST_PATH}", "export HOME=/root LANG=C.UTF-8 TERM=dumb"]
    lines += [f"export {k}={shlex.quote(v)}" for k, v in env.items()]
    lines += [f"uname -r > {run_dir}/release",
              f"cd {shlex.quote(cwd)} || exit 125",
              f"bash -c {shlex.quote(command)}", "rc=$?",
              # a kernel warning during the command is worth seeing (the console is quiet)
              'if dmesg | grep -q -E "cut here|BUG:|Oops|WARNING:|Call Trace"; then'
              ' echo "kmatrix: the guest kernel logged a warning:"; dmesg | tail -60; fi',
              f"echo $rc > {run_dir}/rc"]
    return "\n".join(lines) + "\n"


def run(kernel: str, command: Union[str, Sequence[str]], *, rw: Iterable[str] = (),
        cwd: Optional[str] = None, env: Optional[Dict[str, str]] = None, smp: int = 2,
        mem: str = "2G", timeout: float = 1800, console: bool = False, append: str = "",
        output: Optional[Callable[[str], None]] = None) -> GuestResult:
    """Run `command` (a shell line or an argv) as root in `kernel` ("6.1", "6.12", a
    linux-image package, or "host" for here) and return its status and combined output.

    `rw` directories are shared read-write; `env` adds variables to CI, PYTHONPATH,
    PYTEST_ADDOPTS and PYTHONBPF_*, which pass through; `output` sees each line as it comes."""
    line = command if isinstance(command, str) else " ".join(shlex.quote(a) for a in command)
    cwd = os.path.abspath(cwd or os.getcwd())
    passed = {k: v for k, v in os.environ.items() if k in PASS_ENV or k.startswith("PYTHONBPF_")}
    passed.update(env or {})
    if kernel == "host":
        return _run_host(line, cwd, passed, timeout, output)
    k = prepare(kernel)
    os.makedirs(os.path.join(CACHE, "runs"), exist_ok=True)
    run_dir = tempfile.mkdtemp(prefix="run.", dir=os.path.join(CACHE, "runs"))
    try:
        with open(os.path.join(run_dir, "stage2.sh"), "w") as f:
            f.write(_stage2(run_dir, line, cwd, passed))
        share = "security_model=none,multidevs=remap"
        args = ["qemu-system-x86_64", "-nodefaults", "-no-user-config", "-display", "none",
                "-no-reboot", "-machine", "q35", "-accel", "tcg", "-cpu", "max",
                "-smp", str(smp), "-m", mem, "-kernel", k.image, "-initrd", k.initrd,
                "-serial", "stdio",
                "-virtfs", f"local,path=/,mount_tag=hostroot,{share},readonly=on",
                "-virtfs", f"local,path={run_dir},mount_tag=run,{share}"]
        shares = [os.path.realpath(d) for d in rw]
        for i, d in enumerate(shares):
            with open(os.path.join(run_dir, f"rw{i}"), "w") as f:
                f.write(d + "\n")
            args += ["-virtfs", f"local,path={d},mount_tag=rw{i},{share}"]
        quiet = "loglevel=7" if console else "quiet loglevel=0"
        args += ["-append", f"console=ttyS0 {quiet} panic=-1 mitigations=off {append} "
                            f"kmx.run={run_dir} kmx.rwn={len(shares)}".replace("  ", " ")]
        started = time.monotonic()
        status, text = _stream(args, timeout, output)
        seconds = time.monotonic() - started
        release = _read(os.path.join(run_dir, "release"))
        rc = _read(os.path.join(run_dir, "rc"))
        if status == 124:
            rc = "124"
        return GuestResult(k.package, release, int(rc) if rc else 125, text, seconds)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def _read(path: str) -> str:
    try:
        return open(path).read().strip()
    except OSError:
        return ""


def _stream(args: List[str], timeout: float, output: Optional[Callable[[str], None]]) -> tuple:
    """Run args, collecting (and passing on) its cleaned lines; 124 when it ran too long."""
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, preexec_fn=_default_signals)
    deadline = time.monotonic() + timeout
    lines: List[str] = []
    import select

    assert proc.stdout is not None
    buffer = b""
    timed_out = False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            proc.kill()
            timed_out = True
            break
        ready, _, _ = select.select([proc.stdout], [], [], min(left, 5.0))
        if not ready:
            continue
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            break
        buffer += chunk
        *complete, buffer = buffer.split(b"\n")
        for raw in complete:
            text = ANSI.sub("", raw.decode("utf-8", "replace").rstrip("\r"))
            lines.append(text)
            if output:
                output(text)
    proc.wait()
    if buffer:
        lines.append(ANSI.sub("", buffer.decode("utf-8", "replace").rstrip("\r")))
    return (124 if timed_out else proc.returncode), "\n".join(lines)


def _default_signals() -> None:
    """A command started under nohup (or from a shell ignoring SIGINT) would inherit ignored
    signals, and the library's cleanup tests check what happens on them: give them back."""
    import signal

    for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


def _run_host(line: str, cwd: str, env: Dict[str, str], timeout: float,
              output: Optional[Callable[[str], None]]) -> GuestResult:
    started = time.monotonic()
    status, text = _stream(["bash", "-c", f"cd {shlex.quote(cwd)} && {line}"], timeout, output)
    return GuestResult("host", os.uname().release, status, text, time.monotonic() - started)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    r = sub.add_parser("run", help="run one command in one kernel")
    r.add_argument("--kernel", default="6.12", help="6.1, 6.12, host or a linux-image-* package")
    r.add_argument("--rw", action="append", default=[], help="share DIR read-write (repeatable)")
    r.add_argument("--cwd", help="working directory in the guest (default: this one)")
    r.add_argument("--env", action="append", default=[], help="VAR=VALUE in the guest (repeatable)")
    r.add_argument("--smp", type=int, default=2)
    r.add_argument("--mem", default="2G")
    r.add_argument("--timeout", type=float, default=1800)
    r.add_argument("--console", action="store_true", help="show the kernel's boot messages")
    r.add_argument("--append", default="", help="more kernel command line")
    r.add_argument("command", nargs=argparse.REMAINDER)
    m = sub.add_parser("matrix", help="the suites of tools/matrix.py in each kernel")
    m.add_argument("rest", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.what == "matrix":
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import matrix

        return matrix.main(args.rest)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command")
    env = dict(e.split("=", 1) for e in args.env)
    result = run(args.kernel, command[0] if len(command) == 1 else command, rw=args.rw,
                 cwd=args.cwd, env=env, smp=args.smp, mem=args.mem, timeout=args.timeout,
                 console=args.console, append=args.append, output=print)
    log(f"{result.kernel} ({result.release or 'did not run'}): exit {result.returncode} "
        f"after {result.seconds:.1f} s")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
