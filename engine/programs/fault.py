"""A page fault: __do_page_fault → handle_mm_fault (arch/x86/mm/fault.c, mm/memory.c, v4.8).

Under mmap_sem (read): find the vma and check the access (a write to a vma without
VM_WRITE, or a read of one without VM_READ, is a SIGSEGV and changes nothing); allocate the
pmd table if the pud is empty.  For an anonymous vma whose pmd is none where THP is allowed,
do_huge_pmd_anonymous_page calls anon_vma_prepare first, even for a read, then maps a huge
page (a read: the huge zero page) unless the huge allocation fails, when the fault falls
back to ptes.  At the pte level:
- anonymous (do_anonymous_page): a read maps the zero page and gives no anon_vma; a write
  calls anon_vma_prepare and maps a new page;
- file (do_fault): a read maps the page-cache page (do_read_fault); a write to a private
  mapping copies it into a new anonymous page after anon_vma_prepare (do_cow_fault); a
  write to a shared mapping makes the page-cache page writable and never gives the vma an
  anon_vma (do_shared_fault).

The pte walk takes no pmd_lock: under mmap_sem read a pmd that points to a pte table cannot
change (only a holder of mmap_sem write converts it), so the fault reads it locklessly; pmd_lock
is taken only to fill a none pmd (__pte_alloc's pmd_populate, the huge fault's set_pmd_at).

Departures: anon_vma_prepare and the pte update are each one step (page_table_lock and the
pte lock are taken and dropped inside); __pte_alloc and the huge install are one step each with
pmd_lock taken inside: a fault that finds it held (only the what-if v4.8-collapse-under-read
lets khugepaged hold it meanwhile) sleeps until it is free and runs the line again (Step.retry);
the pte update reads the pmd and writes the pte at once, so the what-if's window between them is
not shown; no fault retry; the zero page and page-cache pages
are pages of their own in the model, holding what the thread reads; a scenario option
(``fault_huge = "fails"``) makes every huge allocation fail, the huge zero page's included.
"""

from __future__ import annotations

from dataclasses import replace

from engine import fixes, oracles
from engine.kernel import mm
from engine.kernel.locks import MMAP_SEM, pmd_lock
from engine.kernel.pgtable import HUGE, NONE, PRESENT, TABLE, Pmd, Pte
from engine.kernel.ptr import PMD, Ptr
from engine.kernel.rwsem import READ
from engine.kernel.vma import VM_HUGEPAGE, VM_NOHUGEPAGE, VM_READ, VM_SHARED, VM_WRITE, Vma
from engine.program import Path, Program, Start, line, lock_step
from engine.state import Ctx

ZERO = ""          # what a read of the zero page returns


@line("vma = find_vma(mm, address); if (!vma || vma->vm_start > address) goto bad_area; "
      "if (access_error(error_code, vma)) goto bad_area;", "{me} finds the vma of the faulting address")
def _find(c: Ctx) -> None:
    c["vma"] = mm.find_vma(c, c["address"])
    vma = c["vma"] and c.get("slab").get(c["vma"].ref).vma
    if vma is None or vma.start > c["address"]:
        c.goto("bad_area")
    elif not vma.has(VM_WRITE if c["write"] else VM_READ):
        c.say(f"{c.me} may not {'write' if c['write'] else 'read'} {vma.describe()}: access_error")
        c.goto("bad_area")


def _vma(c: Ctx) -> Vma:
    return mm.deref(c, c["vma"], "vm_flags", "handle_mm_fault", fixes.MMAP_SEM_FAULT)


@line("pmd = pmd_alloc(mm, pud, address);", "{me} finds or allocates the pmd")
def _pmd_alloc(c: Ctx) -> None:
    table, entry = mm.fault_table(c, c["address"])
    c["pmd"] = Ptr(PMD, table.entry_addr(c["address"]), table.pfn, 1)


def _is_huge_eligible(c: Ctx, vma: Vma) -> bool:
    base, end = mm.span(c["address"])
    entry = mm.read_pmd(c, c["pmd"], c["address"], "handle_mm_fault", fixes.MMAP_SEM_FAULT)
    return (entry.kind == NONE and vma.is_anonymous and not vma.has(VM_NOHUGEPAGE)
            and (c.get("config").thp == "always" or vma.has(VM_HUGEPAGE))
            and vma.start <= base and end <= vma.end)


def _pmd_lock_busy(c: Ctx) -> bool:
    """The line's pmd_lock section must wait: another thread holds the lock (only a collapse
    that converts the pmd without mmap_sem write can hold it while a fault runs).  The thread
    sleeps until the lock is free and then runs the line again (Step.retry)."""
    lock = pmd_lock(c["pmd"].ref)
    if c.lock(lock).is_free:
        return False
    c.wait_unlocked(lock)
    return True


@line("if (pmd_none(*pmd) && transparent_hugepage_enabled(vma)) return do_huge_pmd_anonymous_page(...);",
      "{me} tries a huge page first", retry=True)
def _huge(c: Ctx) -> None:
    if not _is_huge_eligible(c, _vma(c)):
        return
    _give_anon_vma(c)
    if not c.get("config").fault_huge:
        c.say("the huge page allocation fails: fall back to 4 KiB pages")
        return
    if _pmd_lock_busy(c):
        return
    data = c["data"] if c["write"] else ZERO
    pfn = mm.add_page(c, ((c["address"], data),), huge=True)
    start, stop = mm.span(c["address"])
    covering = [v for v in mm.vmas(c) if v.start < stop and start < v.end]
    oracles.check_huge_install(c, start, covering, c.get("config").thp, fixes.THP_ENABLED)
    mm.set_pmd(c, c["pmd"], c["address"], Pmd(HUGE, pfn))
    what = "a huge page" if c["write"] else "the huge zero page"
    c.say(f"{c.me} maps {what} at pfn {pfn:#x} over [{start:#x}, {stop:#x})")
    c.goto("out")


@line("if (unlikely(pmd_none(*pmd)) && __pte_alloc(mm, vma, pmd, address)) return VM_FAULT_OOM;",
      "{me} populates the pmd with a pte table if it is none", retry=True)
def _pte_alloc(c: Ctx) -> None:
    entry = mm.read_pmd(c, c["pmd"], c["address"], "handle_pte_fault", fixes.MMAP_SEM_FAULT)
    if entry.kind == NONE:
        if not _pmd_lock_busy(c):
            mm.install_pte_table(c, c["address"])
    elif entry.kind == HUGE:
        c.say("the pmd is huge (pmd_trans_unstable): the fault is handled by the huge page")
        c.goto("out")


def _give_anon_vma(c: Ctx) -> None:
    """anon_vma_prepare: the vma gets an anon_vma if it has none."""
    vma = _vma(c)
    if vma.anon_vma is None:
        anon = mm.new_anon_vma(c)
        mm.write_vma(c, c["vma"].ref, replace(vma, anon_vma=anon))
        c.say(f"{c.me} gives the vma anon_vma {anon}")


def _needs_anon_page(c: Ctx, vma: Vma) -> bool:
    """A write to an anonymous vma, or to a private file mapping (copy on write)."""
    return c["write"] and (vma.is_anonymous or not vma.has(VM_SHARED))


@line("if (write && (vma_is_anonymous(vma) || !(vma->vm_flags & VM_SHARED)) && "
      "unlikely(anon_vma_prepare(vma))) return VM_FAULT_OOM;", "{me} makes sure the vma has an anon_vma")
def _anon_vma_prepare(c: Ctx) -> None:
    if _needs_anon_page(c, _vma(c)):
        _give_anon_vma(c)


@line("pte = pte_offset_map_lock(mm, pmd, address, &ptl); set_pte_at(mm, address, pte, entry); "
      "pte_unmap_unlock(pte, ptl);", "{me} maps a new page and writes to it")
def _set_pte(c: Ctx) -> None:
    entry = mm.read_pmd(c, c["pmd"], c["address"], "do_anonymous_page", fixes.MMAP_SEM_FAULT)
    if entry.kind != TABLE:     # a collapse converted the pmd without mmap_sem write (the what-if)
        oracles.pte_through_changed_pmd(c, c["address"], entry.kind, "do_anonymous_page", fixes.WRITE_FOR_COLLAPSE)
    table = mm.pte_table(c, entry.target)
    if table.pte(c["address"]).kind == PRESENT:
        c.say("the page is already present")
        return
    vma = _vma(c)
    if c["write"]:
        pfn = mm.add_page(c, ((c["address"], c["data"]),))
        how = "a new anonymous page" if _needs_anon_page(c, vma) else f"the page-cache page of {vma.file}"
        c.say(f"{c.me} writes {c['data']!r} at {c['address']:#x} ({how})")
    else:
        source = "the zero page" if vma.is_anonymous else f"the page-cache page of {vma.file}"
        pfn = mm.add_page(c, ((c["address"], ZERO),))
        c.say(f"{c.me} reads {c['address']:#x}: {source} is mapped read-only")
    mm.set_pte(c, table, c["address"], Pte(PRESENT, page=pfn, writable=c["write"], young=True))


@line("out: up_read(&mm->mmap_sem);", "{me} drops mmap_sem (read)", label="out", lock_op=True)
def _up_read(c: Ctx) -> None:
    c.release(MMAP_SEM, READ)
    c.ret(0)


@line("bad_area: up_read(&mm->mmap_sem); return VM_FAULT_SIGSEGV;", "{me} gets SIGSEGV", label="bad_area",
      lock_op=True)
def _bad(c: Ctx) -> None:
    c.release(MMAP_SEM, READ)
    c.ret("VM_FAULT_SIGSEGV")


FAULT = Program("handle_mm_fault", "v4.8", "common", ("address", "data", "write"), (
    lock_step(MMAP_SEM, READ, "down_read(&mm->mmap_sem);", "{me} takes mmap_sem (read)"),
    _find, _pmd_alloc, _huge, _pte_alloc, _anon_vma_prepare, _set_pte, _up_read, _bad,
), doc=__doc__ or "")


def _access(args: dict, start: Start, tid: str, program: Program) -> dict:
    """A write fault unless the scenario says ``write = false``; a read writes no data."""
    return {"write": True, "data": "", **args}


PATHS = (Path("handle_mm_fault", FAULT, setup=_access, task=True),)
