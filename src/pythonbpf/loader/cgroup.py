"""cgroup programs: run on what a cgroup v2's sockets do.

cgroup_skb programs see every packet the cgroup's sockets send or receive;
`cgroup/connect4`/`connect6` programs every connect() (and may rewrite the address),
`cgroup/getsockopt`/`setsockopt` every socket option call. Each is attached through a BPF
link on the cgroup directory (BPF_LINK_CREATE with the kind's attach type: the registry row's
expected attach type, or BPF_CGROUP_INET_INGRESS/EGRESS for cgroup_skb), so it can coexist
with other programs on the same cgroup (links imply BPF_F_ALLOW_MULTI) and the kernel
detaches it when the link's fd closes - including when the process is killed. The return
value decides: 1 lets the packet or call through, 0 drops it (the caller gets EPERM).
"""

from __future__ import annotations

import errno as E
import os
from typing import Any

from ..kinds.constants import (BPF_CGROUP_INET_EGRESS, BPF_CGROUP_INET_INGRESS,
                               BPF_PROG_TYPE_CGROUP_SKB)
from ..kinds.programs import CGROUP, PROGRAM_KINDS, kind_of, parse_section
from .attachment import FdLink, link_create, program_fd, raise_attach_error

__all__ = ["attach_cgroup", "CgroupLink", "cgroup2_mount"]

_TYPES = {"ingress": BPF_CGROUP_INET_INGRESS, "egress": BPF_CGROUP_INET_EGRESS}
# Every program type that attaches to a cgroup, with the sections that make one.
_CGROUP_KINDS = [k for k in PROGRAM_KINDS if k.attach == CGROUP and k.language]
_WANT_TYPES = {k.prog_type: "' or '".join(x.name for x in _CGROUP_KINDS
                                          if x.prog_type == k.prog_type) for k in _CGROUP_KINDS}
_WANT_TYPES[BPF_PROG_TYPE_CGROUP_SKB] = "cgroup_skb/ingress' or 'cgroup_skb/egress"


class CgroupLink(FdLink):
    """A cgroup program attached to a cgroup v2 directory through a BPF link.

    `kind` is the program's kind (`cgroup_skb`, `cgroup/connect4`, ...); `direction` is
    "ingress" or "egress" for cgroup_skb, None for the other kinds.
    """

    kind = "cgroup_skb"
    survives_sigkill = True

    def __init__(self, fd: int, program: str, path: str, direction: str | None,
                 kind: str = "cgroup_skb") -> None:
        what = f"cgroup_skb/{direction}" if direction else kind
        super().__init__(fd, program, f"{what} on {path}")
        self.path = path
        self.direction = direction
        self.kind = kind


def cgroup2_mount() -> str | None:
    """Where the cgroup v2 hierarchy is mounted (e.g. /sys/fs/cgroup), or None."""
    try:
        with open("/proc/self/mountinfo") as info:
            for line in info:
                left, _, right = line.partition(" - ")
                if right.split(" ", 1)[0] == "cgroup2":
                    return left.split()[4]
    except OSError:
        return None
    return None


def _section_direction(section: str) -> str | None:
    parsed = parse_section(section)
    tail = parsed.target if parsed is not None and parsed.kind.name == "cgroup_skb" else ""
    return tail if tail in _TYPES else None


def attach_cgroup(prog: Any, path: str | os.PathLike[str],
                  direction: str | None = None) -> CgroupLink:
    """Attach a cgroup program to a cgroup v2 directory.

    For cgroup_skb, `direction` ("ingress"/"egress") defaults to the one in the program's
    section (`cgroup_skb/ingress`, `cgroup_skb/egress`); a section that names one
    cannot be attached to the other. The other kinds (`cgroup/connect4`, ...) attach where
    their section says, and take no direction.
    """
    fd, name = program_fd(prog, "cgroup", _WANT_TYPES)
    path = os.fspath(path)
    row = kind_of(getattr(prog, "section", ""))
    if row is not None and row.attach == CGROUP and row.attach_type >= 0:
        if direction is not None:
            raise ValueError(f"program '{name}' is a {row.name} program: it takes no direction")
        return _link(prog, fd, name, path, row.attach_type, None, row.name)
    from_section = _section_direction(getattr(prog, "section", ""))
    if direction is None:
        direction = from_section
        if direction is None:
            raise ValueError(f"program '{name}': say direction='ingress' or 'egress' "
                             f"(its section {getattr(prog, 'section', '')!r} does not)")
    if direction not in _TYPES:
        raise ValueError(f"cgroup_skb direction must be 'ingress' or 'egress', not {direction!r}")
    if from_section is not None and from_section != direction:
        raise ValueError(f"program '{name}' is a cgroup_skb/{from_section} program and cannot "
                         f"be attached for {direction}")
    return _link(prog, fd, name, path, _TYPES[direction], direction, "cgroup_skb")


def _link(prog: Any, fd: int, name: str, path: str, attach_type: int, direction: str | None,
          kind: str) -> CgroupLink:
    target = f"cgroup {path} ({direction or kind})"
    mount = cgroup2_mount()
    where = f"cgroup v2 is mounted at {mount}" if mount else "no cgroup v2 hierarchy is mounted"
    try:
        cgroup_fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise_attach_error(name, target, exc.errno or E.ENOENT, kind, {
            E.ENOENT: f"no such directory ({where})",
            E.ENOTDIR: f"not a directory; give a cgroup v2 directory ({where})",
            E.EACCES: "cannot open the cgroup directory",
        })
    try:
        link_fd, err = link_create(fd, cgroup_fd, attach_type)
    finally:
        os.close(cgroup_fd)
    if link_fd < 0:
        raise_attach_error(name, target, err, kind, {
            E.EBADF: f"not a cgroup v2 directory ({where})",
            E.EINVAL: "the kernel refused this program for that attach type",
        })
    attachment = CgroupLink(link_fd, name, path, direction, kind)
    attachment.own_by(prog)
    return attachment
