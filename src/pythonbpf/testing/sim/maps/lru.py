"""The kernel's LRU for LRU hash maps (kernel/bpf/bpf_lru_list.c, common LRU), step for step.

The kernel does not evict in exact least-recently-used order. It keeps the map's preallocated
elements on lists: a global free, active and inactive list, and per CPU a local free list and a
"pending" list of elements taken recently. An update takes an element from the CPU's local
free list; when that is empty it flushes the pending elements to the active (if referenced) or
inactive list, rotates those lists (a referenced element gets a second chance), moves free
elements to the local list, and if there are too few, evicts unreferenced inactive elements -
up to a "target" at once: 128 before Linux 6.16, since then (max_entries / CPUs) / 2, at least 1
(`target_free`). A program's lookup marks an element referenced. The simulator
reproduces these lists, so which key an update evicts is the kernel's choice, not a guess.

Lists are circular doubly-linked lists with a sentinel, as in the kernel (the inactive list's
rotation cursor depends on that shape). `list_add` puts a node at the head; the tail is the
oldest.
"""
from __future__ import annotations

import os
import re
from typing import Callable, List, Optional, Tuple

ACTIVE, INACTIVE, FREE, LOCAL_FREE, LOCAL_PENDING = range(5)
LOCAL_FREE_TARGET = 128
NR_SCANS = LOCAL_FREE_TARGET


def kernel_version() -> Tuple[int, int]:
    found = re.match(r"(\d+)\.(\d+)", os.uname().release)
    return (int(found.group(1)), int(found.group(2))) if found else (0, 0)


def target_free(nr_elems: int, ncpus: int, version: Optional[Tuple[int, int]] = None) -> int:
    """How many free elements a CPU takes (evicting if needed) when it has none left."""
    if (version or kernel_version()) < (6, 16):
        return LOCAL_FREE_TARGET
    return max(1, min((nr_elems // ncpus) // 2, LOCAL_FREE_TARGET))


class Node:
    """An element of the map: its list links, LRU state, and the key/value it holds."""

    __slots__ = ("prev", "next", "type", "ref", "cpu", "key", "value")

    def __init__(self) -> None:
        self.prev: "Node" = self
        self.next: "Node" = self
        self.type = FREE
        self.ref = 0
        self.cpu = 0
        self.key: Optional[bytes] = None
        self.value = None


def unlink(node: Node) -> None:
    node.prev.next = node.next
    node.next.prev = node.prev


def add(node: Node, head: Node) -> None:
    """list_add: right after the sentinel `head`."""
    node.next, node.prev = head.next, head
    head.next.prev = node
    head.next = node


def move(node: Node, head: Node) -> None:
    unlink(node)
    add(node, head)


def reversed_nodes(head: Node) -> List[Node]:
    """The nodes from tail to head (a snapshot, like list_for_each_entry_safe_reverse)."""
    out, cur = [], head.prev
    while cur is not head:
        out.append(cur)
        cur = cur.prev
    return out


def nodes(head: Node) -> List[Node]:
    out, cur = [], head.next
    while cur is not head:
        out.append(cur)
        cur = cur.next
    return out


class CommonLru:
    """`struct bpf_lru` with a common LRU list. `delete_from_table(node)` removes the node's
    key from the hash table if the node is still what the table holds (htab_lru_map_delete_node)."""

    def __init__(self, nr_elems: int, ncpus: int, delete_from_table: Callable[[Node], bool]) -> None:
        self.lists = [Node(), Node(), Node()]  # sentinels: active, inactive, free
        self.counts = [0, 0]  # active, inactive
        self.next_inactive_rotation = self.lists[INACTIVE]
        self.local_free = [Node() for _ in range(ncpus)]
        self.local_pending = [Node() for _ in range(ncpus)]
        self.next_steal = list(range(ncpus))
        self.ncpus = ncpus
        self.delete_from_table = delete_from_table
        self.target = target_free(nr_elems, ncpus)
        for _ in range(nr_elems):
            add(Node(), self.lists[FREE])

    # ---- moves on the global list ------------------------------------------------------
    def move_to_free(self, node: Node, free_list: Node, free_type: int) -> None:
        if node is self.next_inactive_rotation:
            self.next_inactive_rotation = node.prev
        if node.type < 2:
            self.counts[node.type] -= 1
        node.type = free_type
        move(node, free_list)

    def move_in(self, node: Node, target: int) -> None:
        self.counts[target] += 1
        node.type = target
        node.ref = 0
        move(node, self.lists[target])

    def move_within(self, node: Node, target: int) -> None:
        if node.type != target:
            if node.type < 2:
                self.counts[node.type] -= 1
            if target < 2:
                self.counts[target] += 1
            node.type = target
        node.ref = 0
        if node is self.next_inactive_rotation:
            self.next_inactive_rotation = node.prev
        move(node, self.lists[target])

    # ---- rotation and shrinking ----------------------------------------------------------
    def rotate_active(self) -> None:
        active = self.lists[ACTIVE]
        first = active.next
        for i, node in enumerate(reversed_nodes(active), 1):
            self.move_within(node, ACTIVE if node.ref else INACTIVE)
            if i == NR_SCANS or node is first:
                break

    def rotate_inactive(self) -> None:
        inactive = self.lists[INACTIVE]
        if inactive.next is inactive:
            return
        last = self.next_inactive_rotation.next
        if last is inactive:
            last = last.next
        cur, nxt, i = self.next_inactive_rotation, inactive, 0
        while i < NR_SCANS:
            if cur is inactive:
                cur = cur.prev
                continue
            nxt = cur.prev
            if cur.ref:
                self.move_within(cur, ACTIVE)
            if cur is last:
                break
            cur = nxt
            i += 1
        self.next_inactive_rotation = nxt

    def rotate(self) -> None:
        if self.counts[INACTIVE] < self.counts[ACTIVE]:
            self.rotate_active()
        self.rotate_inactive()

    def shrink(self, target: int, free_list: Node, free_type: int) -> int:
        shrunk = 0
        for i, node in enumerate(reversed_nodes(self.lists[INACTIVE]), 1):
            if node.ref:
                self.move_within(node, ACTIVE)
            elif self.delete_from_table(node):
                self.move_to_free(node, free_list, free_type)
                shrunk += 1
                if shrunk == target:
                    break
            if i == NR_SCANS:
                break
        if shrunk:
            return shrunk
        forced = self.lists[INACTIVE] if self.lists[INACTIVE].next is not self.lists[INACTIVE] \
            else self.lists[ACTIVE]
        for node in reversed_nodes(forced):
            if self.delete_from_table(node):
                self.move_to_free(node, free_list, free_type)
                return 1
        return 0

    # ---- taking and giving back elements -------------------------------------------------
    def flush_pending(self, cpu: int) -> None:
        for node in reversed_nodes(self.local_pending[cpu]):
            self.move_in(node, ACTIVE if node.ref else INACTIVE)

    def pop_free_to_local(self, cpu: int) -> None:
        self.flush_pending(cpu)
        self.rotate()
        moved = 0
        for node in nodes(self.lists[FREE]):
            self.move_to_free(node, self.local_free[cpu], LOCAL_FREE)
            moved += 1
            if moved == self.target:
                break
        if moved < self.target:
            self.shrink(self.target - moved, self.local_free[cpu], LOCAL_FREE)

    def take_local_free(self, cpu: int) -> Optional[Node]:
        head = self.local_free[cpu]
        if head.next is head:
            return None
        node = head.next
        unlink(node)
        return node

    def take_pending(self, cpu: int) -> Optional[Node]:
        for force in (False, True):
            for node in reversed_nodes(self.local_pending[cpu]):
                if (not node.ref or force) and self.delete_from_table(node):
                    unlink(node)
                    return node
        return None

    def add_pending(self, node: Node, cpu: int) -> None:
        node.cpu, node.type, node.ref = cpu, LOCAL_PENDING, 0
        add(node, self.local_pending[cpu])

    def pop_free(self, cpu: int) -> Optional[Node]:
        """An element for a new key (evicting one if needed), or None (ENOMEM)."""
        node = self.take_local_free(cpu)
        if node is None:
            self.pop_free_to_local(cpu)
            node = self.take_local_free(cpu)
        if node is not None:
            self.add_pending(node, cpu)
            return node
        first = steal = self.next_steal[cpu]
        while True:
            node = self.take_local_free(steal) or self.take_pending(steal)
            steal = (steal + 1) % self.ncpus
            if node is not None or steal == first:
                break
        self.next_steal[cpu] = steal
        if node is not None:
            self.add_pending(node, cpu)
        return node

    def push_free(self, node: Node) -> None:
        node.key, node.value = None, None
        if node.type == LOCAL_PENDING:
            node.type, node.ref = LOCAL_FREE, 0
            move(node, self.local_free[node.cpu])
            return
        self.move_within(node, FREE)

    @staticmethod
    def set_ref(node: Node) -> None:
        node.ref = 1
