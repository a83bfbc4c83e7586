"""split_huge_page (mm/huge_memory.c, v4.8): split_huge_page_to_list on an anonymous THP.

Since the THP refcounting rework of v4.5 (Kirill A. Shutemov), the split finds every pmd that
maps the page through the reverse map: with the page locked it takes the page's anon_vma for
write, walks it (freeze_page -> try_to_unmap -> rmap_walk_anon), and under the pmd lock turns
the huge pmd into a pte table mapping the 512 subpages (__split_huge_pmd_locked); then it
splits the compound page itself (__split_huge_page).  It takes no mmap_sem anywhere: the page
lock and the anon_vma lock are all it holds.  That is why collapse_huge_page takes the anon_vma
lock for write as well as mmap_sem (docs/model.md#split-huge-page).

split_huge_page_to_list asserts that its caller holds the page lock.  The thread's first line
is the caller's lock_page and its last the caller's unlock_page, as the debugfs
split_huge_pages writer does (the deferred-split shrinker uses trylock_page instead).

Departures from the kernel:
- page_get_anon_vma and anon_vma_lock_write are one line: between them only the anon_vma's
  refcount matters, which the model does not track; put_anon_vma is folded into the unlock;
- the racy check total_mapcount(head) != page_count(head) - 1 is left out, and
  page_ref_freeze succeeds unless a pmd still maps the page: no pins (GUP, pagevecs) are
  modelled;
- the rmap walk visits one vma (the model has one mm, so the page is mapped once), and the
  page's address is the thread's ``address`` argument (page->index is not modelled);
- freeze_page's migration entries and unfreeze_page's remove_migration_ptes (unmap_page and
  remap_page in later kernels) are folded: the split pmd's ptes map the subpages at once,
  present, young and writable (a fault there would wait for the page lock in the kernel);
- pgtable_trans_huge_withdraw: the deposited pte table is a new table page at the split;
- the subpages other than the head get pfns of their own (in the kernel: head + i); the
  undrawn ones are the new table's summary;
- mmu notifiers, the lru and split-queue locks, mlock and memcg are left out;
- the model's munmap, mmap and exit take no anon_vma lock (the kernel's free_pgtables takes
  it in unlink_anon_vmas before it frees page tables and vmas), so this path reads the page
  tables as they are instead of through the use-after-free oracles.
"""

from __future__ import annotations

from dataclasses import replace

from engine.kernel import mm
from engine.kernel.locks import anon_vma_lock, page_lock, pmd_lock
from engine.kernel.pgtable import HUGE, PRESENT, Page, Pmd, Pte, PteSummary, PteTable
from engine.kernel.ptr import PMD, Ptr
from engine.kernel.rwsem import WRITE
from engine.kernel.vma import HPAGE_PMD_NR, pmd_base
from engine.program import Path, Program, Start, Step, Value, line
from engine.state import Ctx

EBUSY = -16


def _page(c: Ctx) -> Page | None:
    return next((p for p in c.get("pages") if p.pfn == c["page"]), None)


def _huge_mapped(c: Ctx, pfn: int) -> bool:
    return any(t.live and e.kind == HUGE and e.target == pfn for t in c.get("pmd_tables") for _, e in t.entries)


def _is_mapped(c: Ctx, pfn: int) -> bool:
    """page_mapped: a live huge pmd or a drawn pte of a live table maps the page."""
    return _huge_mapped(c, pfn) or any(t.live and p.kind == PRESENT and p.page == pfn
                                       for t in c.get("pte_tables") for _, p in t.ptes)


@line("anon_vma = page_get_anon_vma(head); if (!anon_vma) { ret = -EBUSY; goto out; } "
      "anon_vma_lock_write(anon_vma);",
      "{me} takes the page's anon_vma lock (write), holding no mmap_sem", lock_op=True)
def _lock_anon_vma(c: Ctx) -> None:
    if not _is_mapped(c, c["page"]):
        c.say("page_get_anon_vma finds the page no longer mapped: -EBUSY")
        c["ret"] = EBUSY
        c.goto("out")
        return
    c["anon_vma"] = c["mapping"]
    c.acquire(anon_vma_lock(c["anon_vma"]), WRITE)


@line("/* freeze_page -> try_to_unmap -> rmap_walk_anon */ avc = anon_vma_interval_tree_foreach("
      "&anon_vma->rb_root, pgoff); vma = avc->vma; address = vma_address(head, vma);",
      "{me} finds the vma that maps the page through the anon_vma (the rmap), not through the mm")
def _rmap_walk(c: Ctx) -> None:
    index = mm.vma_index_at(c, c["address"])
    vma = c.get("slab").get(index).vma if index is not None else None
    if vma is None or vma.anon_vma != c["anon_vma"]:
        c.say(f"no vma of anon_vma {c['anon_vma']} maps {c['address']:#x}: nothing to unmap")
        c["vma"] = None
        c.goto("split_page")
        return
    c["vma"] = mm.vma_ptr(c, index)
    c.say(f"anon_vma {c['anon_vma']}'s interval tree gives the vma at {c['vma']}: {vma.describe()}")


@line("pmd = pmd_offset(pud_offset(pgd_offset(vma->vm_mm, address), address), address);",
      "{me} walks the page tables down to the pmd (split_huge_pmd_address), with no lock")
def _walk_to_pmd(c: Ctx) -> None:
    table = mm.pmd_table_for(c, c["address"])
    if table is None:
        c.say("the pud is empty: no pmd maps the page")
        c["pmd"] = None
        c.goto("split_page")
        return
    c["pmd"] = Ptr(PMD, table.entry_addr(c["address"]), table.pfn, 1)


@line("if (head == pmd_page(*pmd) && pmd_trans_huge(*pmd)) __split_huge_pmd_locked(vma, pmd, haddr, true);",
      "{me} splits the huge pmd: a pte table now maps the 512 small pages")
def _split_pmd(c: Ctx) -> None:
    base = pmd_base(c["address"])
    table = mm.pmd_table_for(c, base)
    entry = table.entry(base) if table is not None and table.pfn == c["pmd"].ref else Pmd()
    page = _page(c)
    if entry.kind != HUGE or entry.target != c["page"] or page is None:
        c.say(f"the pmd does not map the huge page (it is {entry.kind}): nothing to split")
        return
    drawn = tuple(sorted((a, Pte(PRESENT, page=page.pfn, writable=True, young=True)) for a, _ in page.data))
    rest = HPAGE_PMD_NR - len(drawn)
    pte_table = PteTable(mm.new_pfn(c), drawn, PteSummary(rest, rest, rest))
    mm.populate(c, c["pmd"], base, pte_table)
    c.say(f"{c.me} withdraws the deposited pte table (pfn {pte_table.pfn:#x}), fills its 512 ptes with the "
          f"subpages of pfn {page.pfn:#x} and points the pmd at it")


@line("split_page: if (page_ref_freeze(head, 1)) { __split_huge_page(page, list, flags); ret = 0; } "
      "else { unfreeze_page(head); ret = -EBUSY; }",
      "{me} splits the compound page into 512 small pages", label="split_page")
def _split_page(c: Ctx) -> None:
    page = _page(c)
    if _huge_mapped(c, c["page"]):
        c.say("a huge pmd still maps the page, so its refcount cannot be frozen: -EBUSY")
        c["ret"] = EBUSY
        return
    c["ret"] = 0
    if page is None:
        c.say("the page is no longer mapped anywhere: its small pages are freed with the last reference")
        return
    base = pmd_base(c["address"])
    tails = {a: mm.add_page(c, ((a, d),)) for a, d in page.data if a != base}
    head = replace(page, data=tuple((a, d) for a, d in page.data if a == base), huge=False)
    c.put(pages=tuple(head if p.pfn == page.pfn else p for p in c.get("pages")))
    for table in c.get("pte_tables"):
        for a, pte in table.ptes:
            if table.live and pte.kind == PRESENT and pte.page == page.pfn and a in tails:
                table = mm.set_pte(c, table, a, replace(pte, page=tails[a]))
    c.say(f"pfn {page.pfn:#x} is now the head of 512 small pages; the ptes map them")


@line("out: unlock_page(head); return ret;  /* the caller's unlock_page */", "{me} unlocks the page",
      label="out", lock_op=True)
def _out(c: Ctx) -> None:
    c.release(page_lock(c["page"]), WRITE)
    c.say(f"split_huge_page returns {c['ret']}", kind="result", code=str(c["ret"]))
    c.ret(c["ret"])


SPLIT_HUGE_PAGE = Program("split_huge_page", "v4.8", "common", ("page", "list"), (
    Step("lock_page(head);  /* the caller's: split_huge_page_to_list needs the page locked */",
         lambda c: c.acquire(page_lock(c["page"]), WRITE), "{me} locks the huge page", lock_op=True),
    _lock_anon_vma,
    _rmap_walk,
    _walk_to_pmd,
    Step("ptl = pmd_lock(vma->vm_mm, pmd);", lambda c: c.acquire(pmd_lock(c["pmd"].ref), WRITE),
         "{me} takes the pmd lock", lock_op=True),
    _split_pmd,
    Step("spin_unlock(ptl);", lambda c: c.release(pmd_lock(c["pmd"].ref), WRITE), "{me} drops the pmd lock",
         lock_op=True),
    _split_page,
    Step("out_unlock: anon_vma_unlock_write(anon_vma); put_anon_vma(anon_vma);",
         lambda c: c.release(anon_vma_lock(c["anon_vma"]), WRITE), "{me} drops the anon_vma lock",
         label="out_unlock", lock_op=True),
    _out,
), doc=__doc__ or "")


def _setup(args: dict[str, Value], start: Start, tid: str, program: Program) -> dict[str, Value]:
    """The THP the caller holds a reference on: the huge page mapped at ``address`` when the
    scenario starts, and its page->mapping, the anon_vma of the vma it was faulted in."""
    page, mapping = start.huge_page(args["address"])
    return {"ret": 0, **args, "page": page, "mapping": mapping}


PATHS = (Path("split_huge_page", SPLIT_HUGE_PAGE, setup=_setup),)
