"""An anonymous page fault: __do_page_fault → handle_mm_fault (arch/x86/mm/fault.c, mm/memory.c, v4.8).

Under mmap_sem (read): find the vma, allocate the pmd table if the pud is empty; a none
pmd in a THP-eligible range gets a huge page (do_huge_pmd_anonymous_page) unless the
scenario says the huge allocation fails; otherwise a pte table is populated, the vma gets
its anon_vma (anon_vma_prepare) and the pte is set, under the pte lock.

Departures: write faults only; anon_vma_prepare and the pte update are each one step
(page_table_lock and the pte lock are taken and dropped inside); no fault retry.
"""

from __future__ import annotations

from dataclasses import replace

from engine import fixes, oracles
from engine.kernel import mm
from engine.kernel.pgtable import HUGE, NONE, PRESENT, TABLE, Pmd, Pte
from engine.kernel.rwsem import READ
from engine.kernel.vma import VM_HUGEPAGE, VM_NOHUGEPAGE
from engine.kernel.ptr import Ptr
from engine.program import Path, Program, Step
from engine.kernel.locks import MMAP_SEM
from engine.state import Ctx


def _find(c: Ctx) -> None:
    c["vma"] = mm.find_vma(c, c["address"])
    vma = c["vma"] and c.get("slab").get(c["vma"].ref).vma
    if vma is None or vma.start > c["address"]:
        c.goto("bad_area")


def _vma(c: Ctx):
    return mm.deref(c, c["vma"], "vm_flags", "handle_mm_fault", fixes.MMAP_SEM_FAULT)


def _pmd_alloc(c: Ctx) -> None:
    table, entry = mm.fault_table(c, c["address"])
    c["pmd"] = Ptr("pmd", table.entry_addr(c["address"]), table.pfn, 1)


def _huge(c: Ctx) -> None:
    vma = _vma(c)
    base, end = mm.span(c["address"])
    entry = mm.read_pmd(c, c["pmd"], c["address"], "handle_mm_fault", fixes.MMAP_SEM_FAULT)
    eligible = (entry.kind == NONE and vma.is_anonymous and not vma.has(VM_NOHUGEPAGE)
                and (c.get("config").thp == "always" or vma.has(VM_HUGEPAGE))
                and vma.start <= base and end <= vma.end)
    if not eligible or not c.get("config").fault_huge:
        if eligible:
            c.say("the huge page allocation fails: fall back to 4 KiB pages")
        return
    _anon_vma_prepare(c)
    pfn = mm.add_page(c, ((c["address"], c["data"]),), huge=True)
    start, stop = mm.span(c["address"])
    covering = [v for v in mm.vmas(c) if v.start < stop and start < v.end]
    oracles.check_huge_install(c, start, covering, c.get("config").thp, fixes.THP_ENABLED)
    mm.set_pmd(c, c["pmd"], c["address"], Pmd(HUGE, pfn))
    c.say(f"{c.me} maps a huge page at pfn {pfn:#x} over [{start:#x}, {stop:#x})")
    c.goto("out")


def _pte_alloc(c: Ctx) -> None:
    entry = mm.read_pmd(c, c["pmd"], c["address"], "handle_pte_fault", fixes.MMAP_SEM_FAULT)
    if entry.kind == NONE:
        mm.install_pte_table(c, c["address"])
    elif entry.kind == HUGE:
        c.say("the pmd is huge (pmd_trans_unstable): the fault is handled by the huge page")
        c.goto("out")


def _anon_vma_prepare(c: Ctx) -> None:
    vma = _vma(c)
    if vma.anon_vma is None:
        anon = mm.new_anon_vma(c)
        mm.write_vma(c, c["vma"].ref, replace(vma, anon_vma=anon))
        c.say(f"{c.me} gives the vma anon_vma {anon}")


def _set_pte(c: Ctx) -> None:
    entry = mm.read_pmd(c, c["pmd"], c["address"], "do_anonymous_page", fixes.MMAP_SEM_FAULT)
    assert entry.kind == TABLE
    table = mm.pte_table(c, entry.target)
    if table.pte(c["address"]).kind == PRESENT:
        c.say("the page is already present")
        return
    pfn = mm.add_page(c, ((c["address"], c["data"]),))
    mm.set_pte(c, table, c["address"], Pte(PRESENT, page=pfn, writable=True, young=True))
    c.say(f"{c.me} writes {c['data']!r} at {c['address']:#x}")


def _up_read(c: Ctx) -> None:
    c.release(MMAP_SEM, READ)
    c.ret(0)


def _bad(c: Ctx) -> None:
    c.release(MMAP_SEM, READ)
    c.ret("VM_FAULT_SIGSEGV")


FAULT = Program("handle_mm_fault", "v4.8", "common", ("address", "data"), (
    Step("down_read(&mm->mmap_sem);", lambda c: c.acquire(MMAP_SEM, READ), "{me} takes mmap_sem (read)",
         lock_op=True),
    Step("vma = find_vma(mm, address); if (!vma || vma->vm_start > address) goto bad_area;", _find,
         "{me} finds the vma of the faulting address"),
    Step("pmd = pmd_alloc(mm, pud, address);", _pmd_alloc, "{me} finds or allocates the pmd"),
    Step("if (pmd_none(*pmd) && transparent_hugepage_enabled(vma)) return do_huge_pmd_anonymous_page(...);",
         _huge, "{me} tries a huge page first"),
    Step("if (unlikely(pmd_none(*pmd)) && __pte_alloc(mm, vma, pmd, address)) return VM_FAULT_OOM;",
         _pte_alloc, "{me} populates the pmd with a pte table if it is none"),
    Step("if (unlikely(anon_vma_prepare(vma))) return VM_FAULT_OOM;", _anon_vma_prepare,
         "{me} makes sure the vma has an anon_vma"),
    Step("pte = pte_offset_map_lock(mm, pmd, address, &ptl); set_pte_at(mm, address, pte, entry); "
         "pte_unmap_unlock(pte, ptl);", _set_pte, "{me} maps a new page and writes to it"),
    Step("out: up_read(&mm->mmap_sem);", _up_read, "{me} drops mmap_sem (read)", label="out", lock_op=True),
    Step("bad_area: up_read(&mm->mmap_sem); return VM_FAULT_SIGSEGV;", _bad,
         "{me} finds no vma there: SIGSEGV", label="bad_area", lock_op=True),
), doc=__doc__ or "")

PATHS = (Path("handle_mm_fault", FAULT),)
