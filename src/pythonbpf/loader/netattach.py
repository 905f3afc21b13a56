"""One import point for attaching to network hooks; each kind lives in its own module.

| function        | kernel mechanism                        | after SIGKILL          |
|-----------------|-----------------------------------------|------------------------|
| attach_xdp      | BPF link (netlink with link=False)      | clean (netlink: stays) |
| attach_tc       | tcx link (clsact filter via netlink)    | clean (clsact: stays)  |
| attach_socket   | SO_ATTACH_BPF on the socket             | clean (dies w/ socket) |
| attach_cgroup   | BPF link on a cgroup v2 directory       | clean                  |

Netlink-made attachments are removed on close, exit and SIGTERM/SIGINT/SIGHUP
by `cleanup`.
"""

from .attachment import Attachment, FdLink
from .cgroup import CgroupLink, attach_cgroup, cgroup2_mount
from .sockfilter import SocketFilter, attach_socket
from .tc import TcFilter, TcxLink, attach_tc
from .xdp import XdpLink, XdpNetlinkAttachment, attach_xdp, xdp_prog_id

__all__ = ["Attachment", "FdLink", "CgroupLink", "SocketFilter", "TcFilter", "TcxLink",
           "XdpLink", "XdpNetlinkAttachment", "attach_cgroup", "attach_socket", "attach_tc",
           "attach_xdp", "cgroup2_mount", "xdp_prog_id"]
