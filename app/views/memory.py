"""Memory panels: the vm_area_struct slab, the page tables and what user memory reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.views.format import chip_colour, hexaddr, vma_text
from app.views.space import collapse_targets
from engine import Run, State
from engine.kernel.pgtable import HUGE, NONE, PRESENT, SWAP, TABLE
from engine.kernel.slab import ALLOCATED

@dataclass
class SlabRow:
    addr: str
    colour: str
    state: str
    gen: int
    contents: str       # the range and the mapping as one line (the presenter's table)
    allocated: str
    freed: str
    freelist: str
    changed: bool
    range: str = ""     # "[0x7f3a4a000000, 0x7f3a4a200000)", never wrapped; "" for an object never used
    mapping: str = ""   # "anon", "file /home/user/data.bin"
    stale: bool = False  # the contents are what a freed object still holds


def slab_rows(state: State, prev: State | None) -> tuple[list[SlabRow], str]:
    order = {index: n for n, index in enumerate(state.slab.freelist)}
    rows = []
    for obj in state.slab.objects:
        before = prev.slab.get(obj.index) if prev is not None and obj.index < len(prev.slab.objects) else None
        pos = order.get(obj.index)
        stale = obj.vma is not None and obj.state != ALLOCATED
        text = vma_text(obj.vma) if obj.vma else ""
        span, _, mapping = text.partition(") ")       # "[start, end)" and "anon" / "file /path"
        rows.append(SlabRow(
            hexaddr(obj.addr), chip_colour(obj.addr), obj.state, obj.gen,
            (text + (" (stale contents)" if stale else "")) if obj.vma else "never used",
            _site(obj.allocated),
            _site(obj.freed),
            ("next allocation" if pos == 0 else f"{_ordinal(pos + 1)} in line") if pos is not None else "",
            prev is not None and before != obj,
            span + ")" if obj.vma else "", mapping if obj.vma else "never used", stale))
    freelist = ", ".join(hexaddr(state.slab.get(i).addr) for i in state.slab.freelist) or "empty"
    return rows, freelist


def _site(site) -> str:
    """Who allocated or freed an object; tid "-" marks objects older than the scenario."""
    if site is None:
        return ""
    who = "the process, before the scenario" if site.tid == "-" else site.tid
    return f"{who}: {site.stack}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# -- page tables --------------------------------------------------------------------------------
@dataclass
class PteRow:
    addr: str
    kind: str
    target: str
    flags: str
    contents: str


@dataclass
class PmdRow:
    addr: str
    kind: str
    target: str
    ptes: list[PteRow]
    counts: str
    note: str


@dataclass
class PmdTableView:
    pfn: str
    covers: str
    live: bool
    entries: list[PmdRow]


def page_tables(state: State) -> tuple[list[PmdTableView], list[str]]:
    tables = {t.pfn: t for t in state.pte_tables}
    targets = {a for a, _, _ in collapse_targets(state)}
    views = []
    for pt in state.pmd_tables:
        addrs = sorted({a for a, _ in pt.entries} | {a for a in targets if pt.base <= a < pt.base + (1 << 30)})
        rows = []
        for a in addrs:
            entry = pt.entry(a)
            ptes: list[PteRow] = []
            counts = note = ""
            if entry.kind == TABLE:
                table = tables.get(entry.target)
                target = f"pte table pfn {hexaddr(entry.target)}"
                if table is not None:
                    if not table.live:
                        note = "this pte table page has been freed"
                    for addr, pte in table.ptes:
                        ptes.append(_pte_row(state, addr, pte))
                    c = table.counts()
                    counts = (f"{c['present']} present ({c['young']} young, {c['writable']} writable), "
                              f"{c['swap']} swap, {c['none']} none of 512")
            elif entry.kind == HUGE:
                page = state.page(entry.target)
                target = f"huge page pfn {hexaddr(entry.target)}"
                if page is not None:
                    ptes = [PteRow(hexaddr(addr), "in huge page", "", "", data) for addr, data in page.data]
            else:
                target = ""
            rows.append(PmdRow(hexaddr(a), entry.kind, target, ptes, counts, note))
        views.append(PmdTableView(hexaddr(pt.pfn), f"[{hexaddr(pt.base)}, {hexaddr(pt.base + (1 << 30))})",
                                  pt.live, rows))
    orphans = [f"pte table pfn {hexaddr(t.pfn)}" + (" (freed)" if not t.live else "")
               for t in state.pte_tables
               if not any(e.kind == TABLE and e.target == t.pfn for pt in state.pmd_tables for _, e in pt.entries)]
    return views, orphans


def _pte_row(state: State, addr: int, pte) -> PteRow:
    flags = " ".join(f for f, on in (("writable", pte.writable), ("young", pte.young)) if on)
    if pte.kind == PRESENT:
        page = state.page(pte.page)
        data = page.at(addr) if page is not None else None
        return PteRow(hexaddr(addr), PRESENT, f"page pfn {hexaddr(pte.page)}", flags, f"“{data}”" if data else "")
    if pte.kind == SWAP:
        return PteRow(hexaddr(addr), SWAP, f"swap slot {pte.swap}", "", f"“{state.swap_data(pte.swap) or ''}” (in swap)")
    return PteRow(hexaddr(addr), NONE, "", "", "")


@dataclass
class MemoryRow:
    addr: str
    contents: str
    lost: bool


def user_memory(run: Run) -> list[MemoryRow]:
    """What the process would read at each drawn page, and whether the data it wrote is gone."""
    first, state = run.states[0], run.final
    wrote: dict[int, str] = {}
    for pt in first.pte_tables:
        for addr, pte in pt.ptes:
            if pte.kind == PRESENT:
                page = first.page(pte.page)
                wrote[addr] = (page.at(addr) or "") if page else ""
                for later in run.states[1:]:      # a write through a pin (GUP) changes the page itself
                    page = later.page(pte.page)
                    wrote[addr] = (page.at(addr) or "") if page is not None else wrote[addr]
            elif pte.kind == SWAP:
                wrote[addr] = first.swap_data(pte.swap) or ""
    live = [state.slab.get(i).vma for i in state.mm.vmas if state.slab.get(i).state == ALLOCATED]
    rows = []
    for addr, data in sorted(wrote.items()):
        vma = next((v for v in live if v.start <= addr < v.end), None)
        if vma is None:
            rows.append(MemoryRow(hexaddr(addr), "unmapped (the process unmapped it)", False))
            continue
        if vma.file:
            rows.append(MemoryRow(hexaddr(addr), f"file {vma.file} (the process replaced the mapping)", False))
            continue
        seen = state.read_user(addr) or ""
        lost = seen != data
        rows.append(MemoryRow(hexaddr(addr), f"“{seen}”" + (f" (the process wrote “{data}”: lost)" if lost else ""),
                              lost))
    return rows
