"""Address-space operations the step programs call: VMAs, slab, page tables, faults.

Every function takes the step's :class:`engine.state.Ctx`, reads the state through it and
writes changes back with ``c.put``.  Reads through kernel pointers go through the oracles,
so a freed object or a NULL is caught at the line that touches it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from engine import fixes, oracles
from engine.fixes import Fix
from engine.kernel import slab as slabmod
from engine.kernel.pgtable import (HUGE, NONE, PRESENT, SWAP, TABLE, Page, Pmd, PmdTable, Pte,
                                   PteSummary, PteTable)
from engine.kernel.slab import ALLOCATED, Site
from engine.kernel.vma import (HPAGE_PMD_SIZE, PUD_SIZE, VM_HUGEPAGE, VM_NOHUGEPAGE,
                               Vma, pmd_base, pud_base)
from engine.kernel.ptr import Ptr

if TYPE_CHECKING:
    from engine.state import Ctx


# -- VMAs -------------------------------------------------------------------------------
def vma_ptr(c: Ctx, index: int) -> Ptr:
    obj = c.get("slab").get(index)
    return Ptr("vm_area_struct", obj.addr, index, obj.gen)


def vmas(c: Ctx) -> list[Vma]:
    """The live VMAs of the mm, by address (the truth, for oracles and munmap)."""
    slab = c.get("slab")
    return [slab.get(i).vma for i in c.get("mm").vmas if slab.get(i).state == ALLOCATED]


def find_vma(c: Ctx, addr: int, where: str = "find_vma",
             check: Fix = fixes.MMAP_SEM_HELD) -> Ptr | None:
    """The first VMA with vm_end > addr, or NULL; it may start above addr.

    Walks mm's VMA list, reading each object's vm_end, so a list that still holds freed
    objects (after exit_mmap) is a use-after-free, as in the kernel's rbtree walk.
    """
    slab = c.get("slab")
    for index in c.get("mm").vmas:
        obj = slab.get(index)
        if obj.state != ALLOCATED:
            oracles.vma_use_after_free(c, obj, "vm_end", where, check)
        if obj.vma.end > addr:
            return vma_ptr(c, index)
    return None


def deref(c: Ctx, ptr: Ptr | None, field: str, where: str, check: Fix) -> Vma:
    """Read a field through a vm_area_struct pointer: NULL and freed objects are caught."""
    if ptr is None:
        oracles.null_deref(c, "vma", where, c.program.function, check)
    obj = c.get("slab").get(ptr.ref)
    if obj.state != ALLOCATED:
        oracles.vma_use_after_free(c, obj, field, where, check)
    if obj.gen != ptr.gen:
        c.say(f"{c.me} reads vma->{field} through {ptr} taken at gen {ptr.gen}: the object is now gen "
              f"{obj.gen}, {obj.vma.describe()}")
    return obj.vma


def is_thp_allowed(c: Ctx, vma: Vma) -> bool:
    """hugepage_vma_check's first test: VM_HUGEPAGE or THP "always", and not VM_NOHUGEPAGE."""
    return (vma.has(VM_HUGEPAGE) or c.get("config").thp == "always") and not vma.has(VM_NOHUGEPAGE)


def hugepage_vma_check(c: Ctx, vma: Vma) -> bool:
    """v4.8: THP allowed for the VMA (VM_HUGEPAGE or "always", not VM_NOHUGEPAGE), and it is
    anonymous with an anon_vma; shmem, stacks and VM_NO_KHUGEPAGED are not modelled."""
    return is_thp_allowed(c, vma) and vma.anon_vma is not None and vma.vm_ops is None


def alloc_vma(c: Ctx, vma: Vma, stack: str) -> Ptr:
    """kmem_cache_zalloc(vm_area_cachep) and vma_link."""
    before = c.get("slab")
    slab, index = slabmod.alloc(before, vma, Site(c.tid, stack))
    c.put(slab=slab)
    _link(c, index)
    obj = slab.get(index)
    freed = before.objects[index].freed if index < len(before.objects) else None
    reuse = f", reusing the object {freed.tid} freed" if freed else ""
    c.say(f"{c.me} allocates vm_area_struct {obj.addr:#x} (gen {obj.gen}{reuse}) for {vma.describe()}",
          kind="alloc")
    return vma_ptr(c, index)


def free_vma(c: Ctx, index: int, stack: str) -> None:
    """remove_vma: kmem_cache_free (the object goes on the freelist head, or quarantine)."""
    slab = slabmod.free(c.get("slab"), index, Site(c.tid, stack))
    c.put(slab=slab)
    obj = slab.get(index)
    where = "KASAN quarantine" if obj.state == "quarantined" else "the head of the freelist"
    c.say(f"{c.me} frees vm_area_struct {obj.addr:#x} ({obj.vma.describe()}) to {where}", kind="free")


def write_vma(c: Ctx, index: int, vma: Vma) -> None:
    c.put(slab=slabmod.update(c.get("slab"), index, vma))


def unlink_vma(c: Ctx, index: int) -> None:
    mm = c.get("mm")
    c.put(mm=replace(mm, vmas=tuple(i for i in mm.vmas if i != index)))


def _link(c: Ctx, index: int) -> None:
    mm, slab = c.get("mm"), c.get("slab")
    order = sorted(mm.vmas + (index,), key=lambda i: slab.get(i).vma.start)
    c.put(mm=replace(mm, vmas=tuple(order)))


def vma_index_at(c: Ctx, addr: int) -> int | None:
    """The live VMA containing addr (for the syscalls, which find their own VMA)."""
    slab = c.get("slab")
    for i in c.get("mm").vmas:
        obj = slab.get(i)
        if obj.state == ALLOCATED and obj.vma.start <= addr < obj.vma.end:
            return i
    return None


def split_vma(c: Ctx, at: int, keep_low: bool, stack: str) -> None:
    """__split_vma at ``at`` of the live VMA containing it: the old object keeps the low
    side (``keep_low``) or the high one, a new object gets the other; nothing to do when
    no VMA contains ``at`` or one starts there."""
    index = vma_index_at(c, at)
    if index is None or c.get("slab").get(index).vma.start == at:
        return
    old = c.get("slab").get(index).vma
    low, high = replace(old, end=at), replace(old, start=at, pgoff=old.pgoff + (at - old.start) // 4096)
    write_vma(c, index, low if keep_low else high)
    alloc_vma(c, high if keep_low else low, stack)


def new_anon_vma(c: Ctx) -> int:
    n = c.get("next_anon_vma")
    c.put(next_anon_vma=n + 1)
    return n


# -- page tables --------------------------------------------------------------------------
def _tables(c: Ctx, name: str) -> dict[int, PmdTable | PteTable]:
    return {t.pfn: t for t in c.get(name)}


def _put_table(c: Ctx, table: PmdTable | PteTable) -> None:
    name = "pmd_tables" if isinstance(table, PmdTable) else "pte_tables"
    tables = _tables(c, name)
    tables[table.pfn] = table
    c.put(**{name: tuple(tables[k] for k in sorted(tables))})


def pmd_table_for(c: Ctx, addr: int) -> PmdTable | None:
    """The live pmd table the pud entry for addr points to (pgd/pud walk)."""
    for t in c.get("pmd_tables"):
        if t.live and t.base == pud_base(addr):
            return t
    return None


def pte_table(c: Ctx, pfn: int) -> PteTable:
    return _tables(c, "pte_tables")[pfn]


def new_pfn(c: Ctx) -> int:
    pfn = c.get("next_pfn")
    c.put(next_pfn=pfn + 1)
    return pfn


def mm_find_pmd(c: Ctx, addr: int) -> Ptr | None:
    """Walk pgd/pud/pmd; NULL unless the pmd entry points to a pte table (none or huge: NULL)."""
    table = pmd_table_for(c, addr)
    if table is None or table.entry(addr).kind != TABLE:
        return None
    return Ptr("pmd", table.entry_addr(addr), table.pfn, 1)


def read_pmd(c: Ctx, pmd: Ptr, addr: int, where: str, check: Fix) -> Pmd:
    """*pmd through a saved pmd_t pointer: a freed pmd table page is a use-after-free."""
    table = _tables(c, "pmd_tables")[pmd.ref]
    if not table.live:
        oracles.page_table_use_after_free(c, table.pfn, "pmd table page", where, check)
    return table.entry(addr)


def pte_offset_map(c: Ctx, pmd: Ptr, addr: int, where: str, check: Fix) -> PteTable | None:
    """Map the pte table *pmd points to.  A none pmd maps physical page 0 and a huge pmd
    its huge page as if they were pte tables: no crash, garbage ptes (modelled as none)."""
    entry = read_pmd(c, pmd, addr, where, check)
    if entry.kind == TABLE:
        return pte_table(c, entry.target)
    what = "physical page 0 (the pmd is none)" if entry.kind == NONE else "the huge page (the pmd is huge)"
    c.say(f"{c.me} maps {what} as a pte table: every pte it reads there is garbage")
    return None


def set_pmd(c: Ctx, pmd: Ptr, addr: int, entry: Pmd) -> None:
    table = _tables(c, "pmd_tables")[pmd.ref]
    _put_table(c, table.set(addr, entry))


def populate(c: Ctx, pmd: Ptr, addr: int, table: PteTable) -> None:
    """pmd_populate: the pmd entry for addr now points to ``table``, a pte table page of its own."""
    _put_table(c, table)
    set_pmd(c, pmd, addr, Pmd(TABLE, table.pfn))


def set_pte(c: Ctx, table: PteTable, addr: int, pte: Pte) -> PteTable:
    table = table.set(addr, pte)
    _put_table(c, table)
    return table


def add_page(c: Ctx, data: tuple[tuple[int, str], ...], huge: bool = False, swap: int | None = None) -> int:
    pfn = new_pfn(c)
    c.put(pages=c.get("pages") + (Page(pfn, data, huge, swap),))
    return pfn


def drop_page(c: Ctx, pfn: int, copied: bool = False) -> None:
    """The mapping's reference goes (a zap, or khugepaged's copy): the page is freed unless
    a reference someone took (a GUP pin) keeps it, mapped by nobody; ``copied``: its
    contents now live in khugepaged's huge page."""
    page = next((p for p in c.get("pages") if p.pfn == pfn), None)
    if page is not None and page.refs:
        _put_page(c, replace(page, copied=copied))
        c.say(f"page {pfn:#x} is unmapped but stays allocated: {page.refs} reference(s) still pin it")
        return
    c.put(pages=tuple(p for p in c.get("pages") if p.pfn != pfn))


def _put_page(c: Ctx, page: Page) -> None:
    c.put(pages=tuple(page if p.pfn == page.pfn else p for p in c.get("pages")))


def get_page(c: Ctx, pfn: int) -> bool:
    """page_cache_get_speculative: take a reference unless the page is already freed (its
    count reached 0), which is how a lockless walker learns it came too late."""
    page = next((p for p in c.get("pages") if p.pfn == pfn), None)
    if page is None:
        return False
    _put_page(c, replace(page, refs=page.refs + 1))
    return True


def put_page(c: Ctx, pfn: int) -> None:
    """Drop a reference get_page took; the last one frees a page nobody maps any more."""
    page = next(p for p in c.get("pages") if p.pfn == pfn)
    mapped = not page.copied and (
        any(pte.kind == PRESENT and pte.page == pfn for t in c.get("pte_tables") for _, pte in t.ptes)
        or any(e.kind == HUGE and e.target == pfn for t in c.get("pmd_tables") for _, e in t.entries))
    if page.refs == 1 and not mapped:
        c.put(pages=tuple(p for p in c.get("pages") if p.pfn != pfn))
        c.say(f"the last reference to page {pfn:#x} goes: it is freed", kind="free")
        return
    _put_page(c, replace(page, refs=page.refs - 1))


def pinned_page(c: Ctx, table: PteTable) -> Page | None:
    """The first drawn page of the table whose page_count is more than its mapping's (and
    the swap cache's): someone holds a reference, so isolate must not take it."""
    pages = {p.pfn: p for p in c.get("pages")}
    return next((pages[pte.page] for _, pte in table.ptes
                 if pte.kind == PRESENT and pte.page in pages and pages[pte.page].refs), None)


def release_copied(c: Ctx, table: PteTable) -> None:
    """__collapse_huge_page_copy's pte_clear, page_remove_rmap and free_page_and_swap_cache
    for each small page: the detached table ends all none, and a page survives only if a
    reference pins it (marked ``copied``)."""
    for _, pte in table.ptes:
        if pte.kind == PRESENT:
            drop_page(c, pte.page, copied=True)
    _put_table(c, replace(table, ptes=(), rest=PteSummary()))


def unmap_region(c: Ctx, start: int, end: int, everything: bool = False) -> None:
    """unmap_vmas + free_pgtables for [start, end), after the VMAs there were detached.

    Zaps the ptes and huge pmds of the range; then frees every pte table and pmd table that
    no remaining VMA overlaps (the kernel's floor/ceiling rule, simplified to "no VMA
    shares the table's span"), clearing the entry that pointed to it.
    """
    remaining = [] if everything else vmas(c)
    for table in list(c.get("pmd_tables")):
        if not table.live or table.base >= end or table.base + PUD_SIZE <= start:
            continue
        for base, entry in table.entries:
            if base >= end or base + HPAGE_PMD_SIZE <= start:
                continue
            shared = any(v.start < base + HPAGE_PMD_SIZE and base < v.end for v in remaining)
            if entry.kind == HUGE:
                drop_page(c, entry.target)
                table = table.set(base, Pmd())
            elif entry.kind == TABLE:
                pt = _zap_ptes(c, pte_table(c, entry.target), base, start, end)
                if not shared:
                    _put_table(c, replace(pt, live=False))
                    table = table.set(base, Pmd())
                    c.say(f"{c.me} frees the pte table at pfn {pt.pfn:#x} (free_pgtables)", kind="free")
        shared_pud = any(v.start < table.base + PUD_SIZE and table.base < v.end for v in remaining)
        if not shared_pud:
            table = replace(table, live=False)
            c.say(f"{c.me} frees the pmd table at pfn {table.pfn:#x}: no VMA is left in its 1 GiB",
                  kind="free")
        _put_table(c, table)


def _zap_ptes(c: Ctx, table: PteTable, base: int, start: int, end: int) -> PteTable:
    for addr, pte in table.ptes:
        if start <= addr < end and pte.kind == PRESENT:
            drop_page(c, pte.page)
    table = table.zap(base, start, end)
    _put_table(c, table)
    return table


def fault_table(c: Ctx, addr: int) -> tuple[PmdTable, Pmd]:
    """__pud_alloc/__pmd_alloc: make sure a pmd table covers addr; return it and the entry."""
    table = pmd_table_for(c, addr)
    if table is None:
        table = PmdTable(new_pfn(c), pud_base(addr))
        _put_table(c, table)
        c.say(f"{c.me} allocates a pmd table at pfn {table.pfn:#x}", kind="alloc")
    return table, table.entry(addr)


def install_pte_table(c: Ctx, addr: int) -> PteTable:
    """__pte_alloc: a new, empty pte table populated into the none pmd."""
    table, entry = fault_table(c, addr)
    assert entry.kind == NONE
    pt = PteTable(new_pfn(c))
    _put_table(c, pt)
    _put_table(c, table.set(addr, Pmd(TABLE, pt.pfn)))
    c.say(f"{c.me} populates the pmd with a new pte table at pfn {pt.pfn:#x}", kind="alloc")
    return pt


def move_pte_table(c: Ctx, old_pfn: int, new_pfn: int, old_addr: int, new_addr: int) -> int:
    """move_ptes over a whole pte table: every pte of the old table (the one mapping the
    2 MiB at old_addr), drawn or summarised, moves to the same slot of the new one; the pages
    they map, and the swap cache page of a swap entry, now read at the new addresses.
    Returns the number of drawn ptes moved."""
    delta = new_addr - old_addr
    old, new = pte_table(c, old_pfn), pte_table(c, new_pfn)
    moved = [(a, p) for a, p in old.ptes if p.kind != NONE]
    for addr, pte in moved:
        new = new.set(addr + delta, pte)
    rest = PteSummary(new.rest.present + old.rest.present, new.rest.young + old.rest.young,
                      new.rest.writable + old.rest.writable)
    _put_table(c, replace(old, ptes=(), rest=PteSummary()))
    _put_table(c, replace(new, rest=rest))
    slots = {p.swap for _, p in moved if p.kind == SWAP}
    pfns = {p.page for _, p in moved if p.kind == PRESENT}
    pfns |= {pg.pfn for pg in c.get("pages") if pg.swap in slots}
    for pfn in sorted(pfns):
        _move_page(c, pfn, pmd_base(old_addr), delta)
    return len(moved)


def move_huge_pmd(c: Ctx, old_pmd: Ptr, new_pmd: Ptr, old_addr: int, new_addr: int) -> None:
    """The huge pmd at old_addr moves to the none pmd at new_addr, with the data it maps."""
    entry = read_pmd(c, old_pmd, old_addr, "move_huge_pmd", fixes.NONE)
    set_pmd(c, old_pmd, old_addr, Pmd())
    set_pmd(c, new_pmd, new_addr, entry)
    _move_page(c, entry.target, pmd_base(old_addr), new_addr - old_addr)


def _move_page(c: Ctx, pfn: int, base: int, delta: int) -> None:
    """A page's contents are kept by the virtual address they are read at: shift the ones in
    [base, base + 2 MiB) by ``delta``."""
    def shifted(page: Page) -> Page:
        data = tuple((a + delta if base <= a < base + HPAGE_PMD_SIZE else a, d) for a, d in page.data)
        return replace(page, data=data)
    c.put(pages=tuple(shifted(p) if p.pfn == pfn else p for p in c.get("pages")))


def span(addr: int) -> tuple[int, int]:
    base = pmd_base(addr)
    return base, base + HPAGE_PMD_SIZE

