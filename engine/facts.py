"""Facts of a state, for goals such as ``final(pmd[X])=huge``: a small path language read
from a State, never from a step's context.

    pmd[A]               none | table | huge: what the pmd entry for A holds
    vma_at(A)[.F]        the live VMA containing A (NULL if none); F: gen, start, end,
                         anon_vma, file, object
    find_vma(A)[.F]      the first live VMA ending above A, as find_vma answers
    read(A)              what the process reads at A (the data), or "nothing"
    mm.users, mm.count   the mm_struct's two counters
    mmap_sem.writer      the thread holding mmap_sem for write, or NULL
    mmap_sem.readers     the threads holding it for read, joined by + ("A+C"), or NULL

A is a number (hex or decimal) or ``X``, the address khugepaged collapses (its
``address`` argument), optionally ``X+N``.  A fact's value is an int or text; a VMA
without the field set reads as NULL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.kernel.locks import MMAP_SEM
from engine.kernel.pgtable import HUGE, NONE, TABLE
from engine.kernel.slab import ALLOCATED
from engine.kernel.vma import Vma, pud_base
from engine.state import State

Value = str | int
FIELDS = ("gen", "start", "end", "anon_vma", "file", "object")
PMD_KINDS = (NONE, TABLE, HUGE)
_ADDR = r"X(?:\+(?:0x[0-9a-fA-F]+|[0-9]+))?|0x[0-9a-fA-F]+|[0-9]+"
_PATH = re.compile(rf"(?:(?P<pmd>pmd)\[(?P<at>{_ADDR})\]|(?P<fn>vma_at|find_vma|read)\((?P<addr>{_ADDR})\)"
                   r"(?:\.(?P<field>[a-z_]+))?|mm\.(?P<mm>users|count)|mmap_sem\.(?P<sem>writer|readers))")


def parse_value(text: str) -> Value:
    """An int when the text is a number (hex or decimal), the text otherwise."""
    t = text.strip()
    if re.fullmatch(r"-?[0-9]+", t):
        return int(t)
    if re.fullmatch(r"0x[0-9a-fA-F]+", t):
        return int(t, 16)
    return t


def value_text(value: Value) -> str:
    """A value as a goal writes it: addresses in hex."""
    return f"{value:#x}" if isinstance(value, int) and value > 0xFFFF else str(value)


@dataclass(frozen=True)
class Fact:
    """One ``PATH=VALUE`` about a state, parsed and checked at construction."""

    path: str
    value: Value

    def __post_init__(self) -> None:
        m = _PATH.fullmatch(self.path)
        if m is None:
            raise ValueError(f"{self.path!r} is not a state path: pmd[A], vma_at(A).gen, find_vma(A), "
                             "read(A), mm.users, mm.count, mmap_sem.writer or mmap_sem.readers, "
                             "with A an address or X")
        if m["field"] is not None and (m["fn"] == "read" or m["field"] not in FIELDS):
            raise ValueError(f"{self.path!r}: a VMA's fields are {', '.join(FIELDS)}")
        if m["pmd"] and self.value not in PMD_KINDS:
            raise ValueError(f"a pmd holds {', '.join(PMD_KINDS)}, not {self.value!r}")

    def __str__(self) -> str:
        return f"final({self.path})={value_text(self.value)}"

    @property
    def uses_x(self) -> bool:
        return "X" in self.path

    def holds(self, state: State, x: int | None) -> bool:
        return read(state, self.path, x) == self.value


def _address(text: str, x: int | None) -> int:
    base, plus, offset = text.partition("+")
    if base.strip() == "X":
        if x is None:
            raise ValueError("X is khugepaged's address, and this scenario has no khugepaged")
        return x + (int(parse_value(offset)) if plus else 0)
    return int(parse_value(text))


def _vma_field(state: State, index: int | None, field: str | None) -> Value:
    if index is None:
        return "NULL"
    obj = state.slab.get(index)
    vma: Vma = obj.vma
    values: dict[str, Value | None] = {"gen": obj.gen, "start": vma.start, "end": vma.end, "object": obj.addr,
                                       "anon_vma": vma.anon_vma, "file": vma.file}
    value = values[field or "object"]
    return "NULL" if value is None else value


def _live(state: State) -> list[int]:
    return [i for i in state.mm.vmas if state.slab.get(i).state == ALLOCATED]


def read(state: State, path: str, x: int | None) -> Value:
    """The value of ``path`` in ``state`` (``x`` resolves X)."""
    m = _PATH.fullmatch(path)
    assert m is not None, path
    if m["mm"]:
        return getattr(state.mm, m["mm"])
    if m["sem"]:
        sem = state.lock(MMAP_SEM)       # a free lock with an empty queue is not kept
        if sem is None:
            return "NULL"
        held = sem.readers if m["sem"] == "readers" else (sem.writer,) if sem.writer else ()
        return "+".join(held) or "NULL"
    addr = _address(m["at"] or m["addr"], x)
    if m["pmd"]:
        table = next((t for t in state.pmd_tables if t.live and t.base == pud_base(addr)), None)
        return table.entry(addr).kind if table else NONE
    if m["fn"] == "read":
        data = state.read_user(addr)
        return "nothing" if data is None else data
    live = _live(state)
    if m["fn"] == "vma_at":
        found = next((i for i in live if state.slab.get(i).vma.start <= addr < state.slab.get(i).vma.end), None)
    else:
        found = next((i for i in live if state.slab.get(i).vma.end > addr), None)
    return _vma_field(state, found, m["field"])


def khugepaged_address(state: State) -> int | None:
    """X: the address argument of the khugepaged thread (K), if the scenario has one."""
    for t in state.threads:
        if t.tid == "K":
            for frame in t.frames + t.calls:
                value = frame.get("address")
                if isinstance(value, int):
                    return value
    return None
