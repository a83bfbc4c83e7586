"""Page tables for the modelled range: pmd tables, sparse pte tables, user pages.

x86-64 geometry: a pmd table covers 1 GiB (512 entries of 2 MiB), a pte table 2 MiB (512
ptes of 4 KiB).  A pmd entry is none, points to a pte table, or maps a huge page.  Page
tables come from the page allocator: each has a pfn, and a freed one stays freed (no reuse
within a run: a reused table would be a live, current table, which every check treats as
such), so a read through a stale pointer is a use-after-free of a page-table page.

Pte tables are sparse: only the ptes a scenario draws are stored; the other ptes of the
table are a :class:`PteSummary` (how many present, young, writable; the rest are none), so
khugepaged's thresholds count all 512.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from engine.kernel.vma import HPAGE_PMD_NR, PAGE_SIZE, pmd_base

NONE, PRESENT, SWAP = "none", "present", "swap"
TABLE, HUGE = "table", "huge"
PAGE_OFFSET = 0xFFFF880000000000


@dataclass(frozen=True, slots=True)
class Pte:
    kind: str = NONE
    page: int | None = None      # pfn of the mapped page (present)
    swap: int | None = None      # swap slot (swap entry)
    writable: bool = False
    young: bool = False


@dataclass(frozen=True, slots=True)
class PteSummary:
    """The undrawn ptes of a table: counts of present, young and writable (others none).

    The summary does not say where its ptes are; they are taken as spread evenly over the
    table's undrawn slots, so zapping part of the table zaps that share of them."""

    present: int = 0
    young: int = 0
    writable: int = 0

    def kept(self, keep: int, of: int) -> PteSummary:
        """What is left when ``keep`` of the ``of`` undrawn slots survive a zap."""
        if of == 0:
            return self
        return PteSummary(self.present * keep // of, self.young * keep // of, self.writable * keep // of)


@dataclass(frozen=True, slots=True)
class PteTable:
    pfn: int
    ptes: tuple[tuple[int, Pte], ...] = ()      # (address, pte), sorted, the drawn ones
    rest: PteSummary = PteSummary()
    live: bool = True

    def pte(self, addr: int) -> Pte:
        for a, pte in self.ptes:
            if a == addr:
                return pte
        return Pte()

    def set(self, addr: int, pte: Pte) -> PteTable:
        ptes = tuple(sorted([(a, p) for a, p in self.ptes if a != addr] + [(addr, pte)]))
        return replace(self, ptes=ptes)

    def zap(self, base: int, start: int, end: int) -> PteTable:
        """zap_pte_range over [start, end) of the table that maps [base, base + 2 MiB): the
        drawn ptes there become none, and so does that share of the undrawn ones."""
        lo, hi = max(start, base), min(end, base + HPAGE_PMD_NR * PAGE_SIZE)
        if lo >= hi:
            return self
        drawn = {a for a, _ in self.ptes}
        undrawn = HPAGE_PMD_NR - len(drawn)
        zapped = (hi - lo) // PAGE_SIZE - sum(1 for a in drawn if lo <= a < hi)
        table = replace(self, rest=self.rest.kept(undrawn - zapped, undrawn))
        for addr in sorted(drawn):
            if lo <= addr < hi:
                table = table.set(addr, Pte())
        return table

    def counts(self) -> dict[str, int]:
        """All 512 ptes counted: present, swap, none, young, writable."""
        drawn = [p for _, p in self.ptes]
        present = self.rest.present + sum(p.kind == PRESENT for p in drawn)
        swap = sum(p.kind == SWAP for p in drawn)
        return {
            "present": present, "swap": swap, "none": HPAGE_PMD_NR - present - swap,
            "young": self.rest.young + sum(p.young for p in drawn if p.kind == PRESENT),
            "writable": self.rest.writable + sum(p.writable for p in drawn if p.kind == PRESENT),
        }


@dataclass(frozen=True, slots=True)
class Pmd:
    kind: str = NONE
    target: int | None = None      # pte table pfn (table) or huge page pfn (huge)


@dataclass(frozen=True, slots=True)
class PmdTable:
    pfn: int
    base: int                       # the 1 GiB-aligned address this table covers
    entries: tuple[tuple[int, Pmd], ...] = ()   # (2 MiB address, entry); absent = none
    live: bool = True

    def entry(self, addr: int) -> Pmd:
        base = pmd_base(addr)
        for a, pmd in self.entries:
            if a == base:
                return pmd
        return Pmd()

    def set(self, addr: int, pmd: Pmd) -> PmdTable:
        base = pmd_base(addr)
        kept = [(a, p) for a, p in self.entries if a != base]
        if pmd.kind != NONE:
            kept.append((base, pmd))
        return replace(self, entries=tuple(sorted(kept)))

    def entry_addr(self, addr: int) -> int:
        """Kernel virtual address of the pmd entry for ``addr`` (what a pmd_t * holds)."""
        return PAGE_OFFSET + self.pfn * PAGE_SIZE + ((addr >> 21) & 511) * 8


@dataclass(frozen=True, slots=True)
class Page:
    """A user page.  A huge page keeps the data of each drawn subpage by address.

    ``refs`` counts the references beyond the mapping's own and the swap cache's (get_page
    pins, as GUP takes them): the kernel's page_count is 1 + PageSwapCache + refs for a page
    mapped once.  A page with refs outlives its mapping; ``copied`` says khugepaged copied
    it into a huge page and unmapped it, so the process never reads it again."""

    pfn: int
    data: tuple[tuple[int, str], ...]    # (virtual address when mapped, contents)
    huge: bool = False
    swap: int | None = None              # the swap slot it caches (swap cache page)
    refs: int = 0
    copied: bool = False

    def at(self, addr: int) -> str | None:
        for a, d in self.data:
            if a == addr:
                return d
        return None

    def write(self, addr: int, data: str) -> Page:
        """The page with ``data`` stored at ``addr``."""
        return replace(self, data=tuple(sorted([(a, d) for a, d in self.data if a != addr] + [(addr, data)])))
