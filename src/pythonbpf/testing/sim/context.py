"""Program contexts: the bytes `ctx` points to in a simulated run, built from the test's input.

- packet programs (xdp, tc, socket, cgroup_skb): `data` is the frame, as test_run takes it;
  `ctx` may set context fields (`{"mark": 7}`, or the UAPI struct's bytes).
- tracepoints: `ctx` is a dict of the tracepoint's fields by name (layout from the kernel's
  format description). A pointer field takes an address, or a str/bytes the simulator places in
  user memory (syscall tracepoints) or kernel memory (the others); a `__data_loc` field takes
  the str/bytes itself.
- raw_tp: `ctx` is the list of argument values (or their bytes, packed u64s, as test_run
  takes them); tp_btf: a dict by argument name (or a list), a kernel struct argument as a dict
  model of it; uprobe/kprobe: `{"args": [...], "retval": n}`; iter/task: `{"task": {...}}`.

Reading a context field the test did not supply (and the kernel's test run would not define)
raises SimulationError.
"""
from __future__ import annotations

import errno
import platform
from typing import Any, Dict, List, Optional, Set, Union

from ...kinds.contexts import layout as context_layout
from ...kinds.programs import PROGRAM_KINDS, kind_named, parse_section, tracepoint_name
from ...kinds.registers import ARG_REGISTERS, RAW_TP_ARGS, RETURN_REGISTER
from ...loader.errors import BPFError
from ...spec.types import ArrayType
from .errors import SimulationError
from .memory import AddressSpace, Ptr
from .packet import (CONTEXT_SIZE, ETH_HLEN, POINTERS, READABLE, XDP_MAX_DATA, Packet, layout, skb_defaults,
                     xdp_defaults)

PT_REGS_SIZE = 21 * 8 if platform.machine() == "x86_64" else 34 * 8
PACKET_KINDS = {k.rules for k in PROGRAM_KINDS if k.packet and k.language}  # (the registry's rows)


class Context:
    """The context of one run: its bytes (at a kernel address), the packet, what is known."""

    def __init__(self, kind: str, ptr: Ptr, packet: Optional[Packet] = None,
                 known_offsets: Optional[Set[int]] = None, known_names: Optional[Set[str]] = None,
                 field_names: Optional[Dict[int, str]] = None, refusals: Optional[Dict[int, str]] = None) -> None:
        self.kind = kind
        self.ptr = ptr
        self.packet = packet
        self.known_offsets = known_offsets  # None: every offset is defined
        self.known_names = known_names
        self.field_names = field_names or {}
        self.refusals = refusals or {}  # offset -> why reading it cannot be simulated
        self.given_ctx = False

    def check_field(self, offset: int, located: Any, pos: Any) -> None:
        name = self.field_names.get(offset)
        if offset in self.refusals or (self.packet is not None and name is None):
            shown = f"ctx.{name} (offset {offset})" if name else f"the context at offset {offset}"
            raise located.refuse(shown, self.refusals.get(offset, "is not a field the verifier lets "
                                                          "programs read"), pos)
        if self.known_offsets is not None and offset not in self.known_offsets:
            name = name or f"at offset {offset}"
            raise located.refuse(f"ctx.{name}", "is not defined by the input of this run",
                                 pos, hint=f'pass it: run(..., ctx={{"{name}": ...}})')

    def check_named(self, name: str, located: Any, pos: Any) -> None:
        if self.known_names is not None and name not in self.known_names:
            raise located.refuse(f"ctx.{name}", "was not given for this run", pos,
                                 hint=f'pass it: run(ctx={{"{name}": ...}})')

    def data_out(self) -> bytes:
        return self.packet.data_out() if self.packet is not None else b""

    def ctx_out(self) -> Optional[bytes]:
        return self.ptr.read(len(self.ptr.buf)) if self.given_ctx else None


# ---- packet programs ---------------------------------------------------------------------

def packet_context(kind: str, data: Any, ctx: Any, memory: AddressSpace, name: str) -> Context:
    frame = bytes(data)
    if len(frame) < ETH_HLEN:
        raise ValueError(f"program '{name}': data is {len(frame)} bytes but a packet program needs at "
                         f"least {ETH_HLEN} (an Ethernet header): the kernel builds the packet from data "
                         "and rejects shorter input with EINVAL")
    if len(frame) > XDP_MAX_DATA:
        raise SimulationError(f"a {len(frame)}-byte packet", f"test_run splits frames over {XDP_MAX_DATA} "
                              "bytes into fragments, which direct packet access cannot reach",
                              hint="test with a shorter frame")
    if kind != "xdp":
        short = minimum_frame(frame)
        if short:
            raise BPFError(f"test run of program '{name}' failed: EINVAL (Invalid argument); the kernel "
                           f"rejected the inputs for this program type ({short})", errno.EINVAL)
    packet = Packet(frame, kind)
    fields = layout(kind)
    readable = READABLE[kind]
    values = {field: 0 for field in readable if field not in POINTERS}
    values.update(xdp_defaults(packet) if kind == "xdp" else skb_defaults(packet))
    given = ctx_fields(ctx, fields, CONTEXT_SIZE["xdp" if kind == "xdp" else "skb"]) if ctx is not None else {}
    unknown = set(given) - set(fields)
    if unknown:
        raise KeyError(f"the {kind} context has no field {sorted(unknown)[0]!r} "
                       f"(fields: {', '.join(sorted(fields))})")
    values.update(given)
    ptr = memory.place(bytes(CONTEXT_SIZE["xdp" if kind == "xdp" else "skb"]), "kernel", f"{kind} context")
    for field, value in values.items():
        offset, size = fields[field]
        ptr.at(offset).write((int(value) & ((1 << 8 * size) - 1)).to_bytes(size, "little"))
    names = {offset: field for field, (offset, _) in fields.items()}
    refusals = {}
    for field, (offset, _) in fields.items():
        if field in POINTERS and field in readable:
            refusals[offset] = "is a kernel address, which the simulator cannot give"
        elif field not in readable:
            refusals[offset] = f"cannot be read by {kind} programs: the kernel's verifier rejects it"
    known = {fields[field][0] for field in values}
    context = Context(kind, ptr, packet, known, None, names, refusals)
    context.given_ctx = ctx is not None
    return context


def minimum_frame(frame: bytes) -> str:
    """Why an skb test run refuses this frame ('' if it does not): the kernel pulls the whole
    network header of an IPv4 or IPv6 frame, so a truncated one is EINVAL."""
    proto = int.from_bytes(frame[12:14], "big")
    need = {0x0800: 20, 0x86DD: 40}.get(proto, 0)
    if len(frame) - ETH_HLEN < need:
        return f"an {'IPv4' if proto == 0x0800 else 'IPv6'} frame needs its {need}-byte header"
    return ""


def ctx_fields(ctx: Any, fields: Dict[str, Any], size: int) -> Dict[str, int]:
    """Context fields given as a dict, or as the UAPI struct's bytes (non-zero fields count)."""
    if isinstance(ctx, dict):
        return {k: int(v) for k, v in ctx.items()}
    raw = bytes(ctx).ljust(size, b"\0")
    out = {}
    for field, (offset, width) in fields.items():
        if field in POINTERS or field in ("len", "protocol", "pkt_type"):
            continue
        value = int.from_bytes(raw[offset:offset + width], "little")
        if value:
            out[field] = value
    return out


# ---- tracing programs --------------------------------------------------------------------

def place(value: Any, memory: AddressSpace, space: str, struct: str = "") -> int:
    """An address for a value a test gives where the program expects one."""
    if value is None:
        return 0
    if isinstance(value, (str, bytes, bytearray)):
        return memory.place(value, space).address
    if isinstance(value, dict):
        return memory.kernel_object(struct or "unknown", value)
    return int(value)


def tracepoint_context(fmt: Any, ctx: Optional[Dict[str, Any]], memory: AddressSpace,
                       tid: int) -> Context:
    ctx = dict(ctx or {})
    space = "user" if fmt.category == "syscalls" else "kernel"
    fixed = fmt.size
    record = bytearray(fixed)
    tail = bytearray()
    names = {f.name for f in fmt.fields}
    unknown = set(ctx) - names - {f.name for f in fmt.common_fields}
    if unknown:
        raise KeyError(f"tracepoint {fmt.qualified_name} has no field {sorted(unknown)[0]!r} "
                       f"(fields: {', '.join(sorted(names))})")
    defaults = {"common_type": fmt.id, "common_pid": tid, "common_flags": 0, "common_preempt_count": 0}
    given = set(ctx) | set(defaults)
    values = {**defaults, **ctx}
    later = []
    for f in fmt.common_fields + fmt.fields:
        if f.name not in values:
            continue
        value = values[f.name]
        if f.is_dynamic:
            data = value.encode() + b"\0" if isinstance(value, str) else bytes(value)
            later.append((f, data))
            continue
        if f.array_len:
            if isinstance(value, str):
                value = value.encode()
            if isinstance(value, (bytes, bytearray)):
                raw = bytes(value)[:f.size].ljust(f.size, b"\0")
            else:
                elem = f.elem_size
                raw = b"".join((int(v) & ((1 << 8 * elem) - 1)).to_bytes(elem, "little") for v in value)
            record[f.offset:f.offset + f.size] = raw.ljust(f.size, b"\0")
            continue
        number = place(value, memory, space) if f.is_pointer else int(value)
        record[f.offset:f.offset + f.size] = (number & ((1 << 8 * f.size) - 1)).to_bytes(f.size, "little")
    for f, data in later:
        start = fixed + len(tail)
        tail += data
        offset = start - (f.offset + f.size) if f.rel_loc else start
        loc = (offset & 0xFFFF) | (len(data) << 16)
        record[f.offset:f.offset + 4] = loc.to_bytes(4, "little")
    ptr = memory.place(bytes(record + tail), "kernel", f"{fmt.qualified_name} record")
    fields = fmt.common_fields + fmt.fields
    known = {f.offset for f in fields if f.name in given}
    return Context("tracepoint", ptr, known_offsets=known, known_names=given,
                   field_names={f.offset: f.name for f in fields})


def raw_tp_context(ctx: Any, memory: AddressSpace) -> Context:
    args = unpack_u64(ctx) if isinstance(ctx, (bytes, bytearray)) else list(ctx or [])
    if len(args) > RAW_TP_ARGS:
        raise ValueError(f"a raw tracepoint takes at most {RAW_TP_ARGS} arguments")
    slots = [place(a, memory, "kernel") for a in args] + [0] * (RAW_TP_ARGS - len(args))
    ptr = memory.place(pack_u64(slots), "kernel", "raw_tp args")
    context = Context("raw_tp", ptr)
    context.given_ctx = ctx is not None
    return context


def tp_btf_context(section: str, ctx: Any, memory: AddressSpace) -> Context:
    """Arguments by name (their order and struct types from the kernel's BTF) or by position."""
    params = btf_params(parse_section(section).target)
    if isinstance(ctx, dict):
        unknown = set(ctx) - {name for name, _ in params}
        if unknown:
            raise KeyError(f"tracepoint {section} has no argument {sorted(unknown)[0]!r} "
                           f"(arguments: {', '.join(n for n, _ in params)})")
        given = [(i, ctx[name]) for i, (name, _) in enumerate(params) if name in ctx]
    else:
        given = list(enumerate(ctx or []))
    slots = [0] * max(len(params), 1)
    known = set()
    for i, value in given:
        slots[i] = place(value, memory, "kernel", params[i][1] if i < len(params) else "")
        known.add(8 * i)
    ptr = memory.place(pack_u64(slots), "kernel", f"{section} args")
    names = {8 * i: name for i, (name, _) in enumerate(params)}
    return Context("tp_btf", ptr, known_offsets=known, field_names=names)


def btf_params(name: str) -> List[tuple]:
    """(name, struct name or '') of a BTF tracepoint's arguments, found by the compiler's own
    lookup (so the simulator numbers them exactly as the compiled program does)."""
    from ...btf import kernel_btf
    from ...compiler.tracepoints import tracepoint_params

    params = tracepoint_params(kernel_btf(), name)
    if params is None:
        raise KeyError(f"the kernel has no BTF tracepoint '{name}'")
    out = []
    for p in params:
        t = p.type.strip()
        struct = ""
        if t.kind == "ptr" and t.target.strip().kind == "struct":
            struct = t.target.strip().name or ""
        out.append((p.name, struct))
    return out


def probe_context(kind: str, ctx: Any, memory: AddressSpace) -> Context:
    regs = bytearray(PT_REGS_SIZE)
    arch = platform.machine()
    ctx = {"args": list(ctx)} if isinstance(ctx, (list, tuple)) else dict(ctx or {})
    space = "user" if kind.startswith("u") else "kernel"
    known = set()
    names = {offset: f"arg{i}()" for i, offset in enumerate(ARG_REGISTERS.get(arch, ()))}
    names[RETURN_REGISTER.get(arch, 0)] = "retval()"
    for i, value in enumerate(ctx.get("args", [])):
        offset = ARG_REGISTERS[arch][i]
        regs[offset:offset + 8] = (place(value, memory, space) & (2 ** 64 - 1)).to_bytes(8, "little")
        known.add(offset)
    if "retval" in ctx:
        offset = RETURN_REGISTER[arch]
        regs[offset:offset + 8] = (place(ctx["retval"], memory, space) & (2 ** 64 - 1)).to_bytes(8, "little")
        known.add(offset)
    ptr = memory.place(bytes(regs), "kernel", f"{kind} pt_regs")
    return Context(kind, ptr, known_offsets=known, field_names=names)


def iter_context(ctx: Any, memory: AddressSpace) -> Context:
    ctx = dict(ctx or {})
    task = place(ctx.get("task"), memory, "kernel", "task_struct")
    ptr = memory.place(pack_u64([0, task]), "kernel", "iterator context")
    return Context("iter", ptr)


def layout_context(kind: str, ctx: Any, memory: AddressSpace) -> Optional[Context]:
    """A context with a fixed layout in the registry (`bpf_sock_addr`, `bpf_sockopt`,
    `bpf_nf_ctx`): the fields given by name, kernel structs as dicts; None for other kinds.
    The program's writes come back in ctx_out."""
    row = kind_named(kind)
    fields = context_layout(row.context) if row is not None else {}
    if not fields or kind in PACKET_KINDS:
        return None
    ctx = dict(ctx or {})
    unknown = sorted(set(ctx) - set(fields))
    if unknown:
        raise ValueError(f"a {kind} context has no field {unknown[0]!r} "
                         f"(its fields: {', '.join(fields)})")
    buf = bytearray(max(offset + t.size for offset, t in fields.values()))
    known = set()
    for name, (offset, t) in fields.items():
        if name not in ctx:
            continue
        if isinstance(t, ArrayType):
            values = list(ctx[name])[:t.count]
            for i, value in enumerate(values):
                at = offset + i * t.elem.size
                buf[at:at + t.elem.size] = (int(value) % (1 << 8 * t.elem.size)).to_bytes(t.elem.size, "little")
        else:
            value = place(ctx[name], memory, "kernel", getattr(t, "struct", ""))
            buf[offset:offset + t.size] = (value % (1 << 8 * t.size)).to_bytes(t.size, "little")
        known.add(offset)
    context = Context(kind, memory.place(bytes(buf), "kernel", f"{kind} context"),
                      known_offsets=known, field_names={o: n for n, (o, _) in fields.items()})
    context.given_ctx = True
    return context


def opaque_context(kind: str, memory: AddressSpace) -> Context:
    """perf_event, fentry, lsm, ...: nothing in the context is readable from the language."""
    return Context(kind, memory.place(bytes(PT_REGS_SIZE + 16), "kernel", f"{kind} context"),
                   known_offsets=set())


def pack_u64(values: List[int]) -> bytes:
    return b"".join((int(v) & (2 ** 64 - 1)).to_bytes(8, "little") for v in values)


def unpack_u64(data: Union[bytes, bytearray]) -> List[int]:
    raw = bytes(data)
    return [int.from_bytes(raw[i:i + 8], "little") for i in range(0, len(raw) - len(raw) % 8, 8)]


def build_context(kind: str, section: str, name: str, data: Any, ctx: Any, memory: AddressSpace,
                  tid: int) -> Context:
    if kind in PACKET_KINDS:
        return packet_context(kind, data, ctx, memory, name)
    if data:
        raise ValueError(f"program '{name}': a {kind} program takes no data, only ctx")
    if kind == "tracepoint":
        from ...btf import tracepoint_format

        category, event = tracepoint_name(section)
        return tracepoint_context(tracepoint_format(category, event), ctx, memory, tid)
    if kind == "raw_tp":
        return raw_tp_context(ctx, memory)
    if kind == "tp_btf":
        return tp_btf_context(section, ctx, memory)
    if kind in ("uprobe", "uretprobe", "kprobe", "kretprobe"):
        return probe_context(kind, ctx, memory)
    if kind == "iter":
        return iter_context(ctx, memory)
    return layout_context(kind, ctx, memory) or opaque_context(kind, memory)
