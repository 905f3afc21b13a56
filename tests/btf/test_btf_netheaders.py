"""Wire-layout network headers against the kernel's own definitions in vmlinux BTF."""
import pytest

from pythonbpf.btf import NETWORK_HEADERS, Array, Composite, member_names, resolve_field, sizeof


def _leaves(t, prefix=""):
    """(dotted name, bit offset, bitfield size, byte size) of every scalar field,
    arrays and unions of layout-equivalent views counted by size only."""
    out = []
    for name in member_names(t):
        f = resolve_field(t, name)
        inner = f.type.strip()
        if isinstance(inner, Composite) and inner.kind == "struct":
            out += [(f"{prefix}{name}.{n}", f.bit_offset + o, b, s)
                    for n, o, b, s in _leaves(inner)]
        else:
            out.append((prefix + name, f.bit_offset, f.bitfield_size, sizeof(f.type)))
    return out


@pytest.mark.parametrize("name", sorted(NETWORK_HEADERS))
def test_header_matches_vmlinux(vmlinux, name):
    ours = NETWORK_HEADERS[name]
    kernel = vmlinux.type_by_name(name, kind="struct")
    assert ours.size == kernel.size
    kernel_leaves = {n: (o, b, s) for n, o, b, s in _leaves(kernel)}
    for leaf, offset, bits, size in _leaves(ours):
        if leaf in kernel_leaves:
            assert kernel_leaves[leaf] == (offset, bits, size), leaf
        else:  # ipv6hdr.saddr is `struct in6_addr` in the kernel, u8[16] here
            top = resolve_field(kernel, leaf.split(".")[0])
            assert (top.bit_offset, sizeof(top.type)) == (offset, size), leaf


def test_bitfield_order():
    ip = NETWORK_HEADERS["iphdr"]
    ihl, version = resolve_field(ip, "ihl"), resolve_field(ip, "version")
    assert (ihl.bit_offset, ihl.bitfield_size, version.bit_offset) == (0, 4, 4)
    tcp = NETWORK_HEADERS["tcphdr"]
    flags = {n: resolve_field(tcp, n).bit_offset for n in ("ae", "res1", "doff", "fin", "cwr")}
    assert flags == {"ae": 96, "res1": 97, "doff": 100, "fin": 104, "cwr": 111}
    assert resolve_field(NETWORK_HEADERS["icmphdr"], "un").type.strip().kind == "union"
    h_dest = resolve_field(NETWORK_HEADERS["ethhdr"], "h_dest").type.strip()
    assert isinstance(h_dest, Array) and h_dest.count == 6
    assert resolve_field(NETWORK_HEADERS["ethhdr"], "h_proto").type.name == "__be16"
