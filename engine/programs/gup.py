"""GUP-fast: get_user_pages_fast of one page (mm/gup.c and arch/x86/mm/gup.c, v4.8), and what
its caller does with the pin.

GUP-fast takes no mmap_sem and no page-table lock.  With interrupts off on its CPU it walks
pgd, pud and pmd reading each entry once, reads the pte, takes a reference on the page
(the page's count goes up: a *pin*), checks that the pte is still the one it read, and
enables interrupts again.  What keeps the page tables and the page alive under it is the
TLB flush: on x86 a flush interrupts every other CPU and waits for each (an IPI), and a CPU
with interrupts off takes the IPI only when it enables them, so a pmdp_collapse_flush (or a
free of page tables) cannot complete while GUP-fast is mid-walk [I for the 4.8 x86
mechanism; docs/model.md#gup-fast].  In the model that is the ``irqs_off`` pseudo-lock:
``local_irq_save`` takes it without waiting, a flush that sends IPIs waits on it, and
``local_irq_restore`` lets the flush finish.

The last two lines are the caller's, later: a direct-I/O read, say, whose device writes
into the pinned page, then drops the pin with put_page.

Departures:
- one page (nr_pages = 1) at a drawn pte: an undrawn pte of a table's summary reads as none;
- the pgd/pud walk and the pmd read are one step (no modelled path changes a pgd or pud);
- the lines are the generic mm/gup.c form (page_cache_get_speculative, then the pte
  recheck); v4.8's x86 code (arch/x86/mm/gup.c) took a plain get_page with no recheck,
  relying on interrupts off alone [I].  Under a flush that waits, the recheck never fails;
  it matters in the what-if ``v4.8-flush-no-wait``, as on architectures whose TLB flush
  sends no IPI;
- when the fast walk pins nothing, the kernel falls back to the slow path under mmap_sem
  (get_user_pages_unlocked); the model returns 0;
- no special, devmap or NUMA-hinting ptes, and the recheck compares the page and the pte's
  kind only (not its young or dirty bits).
"""

from __future__ import annotations

from engine import fixes, oracles
from engine.kernel import mm
from engine.kernel.locks import irqs_off
from engine.kernel.pgtable import HUGE, NONE, PRESENT
from engine.kernel.ptr import PMD, Ptr
from engine.kernel.rwsem import WRITE
from engine.program import Path, Program, Start, line
from engine.state import Ctx


@line("local_irq_save(flags);", "{me} disables interrupts: a TLB-flush IPI to its CPU now waits", lock_op=True)
def _irq_save(c: Ctx) -> None:
    c.disable_irqs()
    c["nr"] = 0


@line("pmd = READ_ONCE(*pmd_offset(pud_offset(pgd_offset(mm, addr), addr), addr)); "
      "if (pmd_none(pmd)) goto out; if (pmd_trans_huge(pmd)) goto huge;",
      "{me} walks pgd, pud and pmd with no lock and reads the pmd once")
def _read_pmd(c: Ctx) -> None:
    table = mm.pmd_table_for(c, c["address"])
    entry = table.entry(c["address"]) if table else None
    c["pmd"] = entry.kind if entry else NONE
    if entry is None or entry.kind == NONE:
        c.say(f"{c.me} reads a none pmd: nothing to pin")
        c.goto("out")
        return
    c["pmdp"] = Ptr(PMD, table.entry_addr(c["address"]), table.pfn, 1)
    c["pfn"] = entry.target
    if entry.kind == HUGE:
        c.goto("huge")


@line("ptep = pte_offset_map(&pmd, addr); pte = READ_ONCE(*ptep); "
      "if (!pte_present(pte) || (write && !pte_write(pte))) goto out;",
      "{me} reads the pte through the pmd it read")
def _read_pte(c: Ctx) -> None:
    pte = _pte(c)
    if pte.kind != PRESENT or (c["write"] and not pte.writable):
        c.say(f"{c.me} finds no {'writable ' if c['write'] else ''}page at {c['address']:#x}")
        c.goto("out")
        return
    c["page"] = pte.page


def _pte(c: Ctx):
    """*ptep in the pte table the pmd pointed to when GUP-fast read it (it may be detached)."""
    table = mm.pte_table(c, c["pfn"])
    if not table.live:
        oracles.page_table_use_after_free(c, table.pfn, "pte table page", "gup_pte_range", fixes.IPI_WAIT)
    return table.pte(c["address"])


@line("page = pte_page(pte); if (!page_cache_get_speculative(page)) goto out;",
      "{me} takes a reference on the page")
def _get_page(c: Ctx) -> None:
    if not mm.get_page(c, c["page"]):
        c.say(f"page {c['page']:#x} is already freed (its count is 0): {c.me} backs off")
        c.goto("out")
        return
    refs = next(p.refs for p in c.get("pages") if p.pfn == c["page"])
    c.say(f"page {c['page']:#x}'s count rises to {1 + refs}")


@line("if (unlikely(pte_val(pte) != pte_val(*ptep))) { put_page(page); goto out; } nr = 1;",
      "{me} checks that the pte is still the one it read")
def _recheck_pte(c: Ctx) -> None:
    pte = _pte(c)
    if pte.kind != PRESENT or pte.page != c["page"]:
        c.say(f"the pte changed under {c.me}: it drops its reference")
        mm.put_page(c, c["page"])
        c.goto("out")
        return
    c["nr"] = 1


@line("out: local_irq_restore(flags);", "{me} enables interrupts again", label="out", lock_op=True)
def _irq_restore(c: Ctx) -> None:
    c.release(irqs_off(c.tid), WRITE)


@line("if (nr && write) { memcpy(page_address(page) + offset, data, len); set_page_dirty_lock(page); }",
      "later, {me} writes through its pin, if it has one")
def _write(c: Ctx) -> None:
    if not (c["nr"] and c["write"]):
        return
    page = next(p for p in c.get("pages") if p.pfn == c["page"])
    c.put(pages=tuple(p.write(c["address"], c["data"]) if p.pfn == page.pfn else p for p in c.get("pages")))
    if page.copied:
        oracles.lost_pinned_write(c, page.pfn, c["address"], c["data"], fixes.IPI_WAIT)
    c.say(f"{c.me} writes {c['data']!r} into page {page.pfn:#x} at {c['address']:#x}")


@line("if (nr) put_page(page); return nr;", "{me} drops its pin")
def _put(c: Ctx) -> None:
    if c["nr"]:
        mm.put_page(c, c["page"])
    c.ret(c["nr"])


@line("huge: page = pmd_page(pmd); if (!page_cache_get_speculative(page)) goto out; "
      "if (unlikely(pmd_val(pmd) != pmd_val(*pmdp))) { put_page(page); goto out; } nr = 1; goto out;",
      "{me} pins the huge page the pmd maps", label="huge")
def _huge(c: Ctx) -> None:
    c["page"] = c["pfn"]
    c.goto("out")
    if not mm.get_page(c, c["page"]):
        return
    entry = mm.read_pmd(c, c["pmdp"], c["address"], "gup_huge_pmd", fixes.IPI_WAIT)
    if entry.kind != HUGE or entry.target != c["page"]:
        mm.put_page(c, c["page"])
        return
    c["nr"] = 1


GET_USER_PAGES_FAST = Program("get_user_pages_fast", "v4.8", "common", ("start", "nr_pages", "write", "pages"), (
    _irq_save, _read_pmd, _read_pte, _get_page, _recheck_pte, _irq_restore, _write, _put, _huge,
), doc=__doc__ or "")


def _args(args: dict, start: Start, tid: str, program: Program) -> dict:
    """A write (FOLL_WRITE) of ``data`` through the pin unless the scenario says ``write = false``."""
    return {"write": True, "data": "", **args}


PATHS = (Path("get_user_pages_fast", GET_USER_PAGES_FAST, setup=_args, task=True),)
