"""khugepaged's pass over one mm: khugepaged_do_scan → khugepaged_scan_mm_slot →
khugepaged_scan_pmd → collapse_huge_page (mm/khugepaged.c, v4.8).

khugepaged never sleeps on a contended mmap_sem: khugepaged_scan_mm_slot takes it with
down_read_trylock, which fails when a writer holds it or anyone waits in its queue, and
then skips the mm until its next pass.  When the trylock succeeds, the scan finds the vma
at its cursor, khugepaged_scan_pmd counts the 512 ptes under the pte lock, and a range
worth collapsing goes to collapse_huge_page with mmap_sem still held for read;
collapse_huge_page returns with it released, so the scan does not up_read after it.

Departures from the kernel:
- one mm, one 2 MiB range (the thread's ``address``): the mm_slot list, the cursor's walk
  over vmas and the ``pages`` budget are left out, and the vma tests of the walk
  (hugepage_vma_check, hstart/hend) are one step;
- the passes are the thread's ``passes`` argument (2 by default): a skipped mm is scanned
  again on the next pass, after khugepaged_wait_work's sleep (the pass structure is [I]);
- khugepaged_scan_pmd's pte loop is one step that takes and drops the pte lock, and it
  tests what the model has: none and swap ptes against max_ptes_none and max_ptes_swap,
  locked pages, writable and young ptes (not LRU, compound, NUMA or page counts);
- the huge page is allocated inside collapse_huge_page, as in v4.8 (the scan's
  khugepaged_prealloc_page on !NUMA is left out).
"""

from __future__ import annotations

from engine import fixes
from engine.kernel import mm
from engine.kernel.locks import MMAP_SEM, page_lock
from engine.kernel.pgtable import PRESENT
from engine.kernel.rwsem import READ
from engine.kernel.vma import HPAGE_PMD_SIZE, hpage_range
from engine.program import Program, line
from engine.programs.khugepaged.code import KERNEL
from engine.programs.khugepaged.revalidate import find_pmd
from engine.state import Ctx

MAX_PTES_SWAP = 64


@line("pmd = mm_find_pmd(mm, address); if (!pmd) { result = SCAN_PMD_NULL; goto out; }",
      "{me} looks for the pte table of the range")
def _find_pmd(c: Ctx) -> None:
    find_pmd(c, "out")


@line("pte = pte_offset_map_lock(mm, pmd, address, &ptl); /* for each of the 512 ptes: count none, swap, "
      "young and writable; trylock-free page checks */ pte_unmap_unlock(pte, ptl);",
      "{me} counts the range's ptes under the pte lock")
def _count(c: Ctx) -> None:
    table = mm.pte_offset_map(c, c["pmd"], c["address"], "khugepaged_scan_pmd", fixes.MMAP_SEM_HELD)
    counts = table.counts()
    locked = any(p.kind == PRESENT and c.state.lock(page_lock(p.page)) is not None for _, p in table.ptes)
    if counts["none"] > c.get("config").max_ptes_none:
        result = "SCAN_EXCEED_NONE_PTE"
    elif counts["swap"] > MAX_PTES_SWAP:
        result = "SCAN_EXCEED_SWAP_PTE"
    elif locked:
        result = "SCAN_PAGE_LOCK"
    elif counts["writable"] == 0:
        result = "SCAN_PAGE_RO"
    elif counts["young"] == 0:
        result = "SCAN_LACK_REFERENCED_PAGE"
    else:
        result = "SCAN_SUCCEED"
    c["result"], c["referenced"] = result, counts["young"]
    c.say(f"khugepaged_scan_pmd: {counts['present']} present, {counts['none']} none, {counts['swap']} swap, "
          f"{counts['young']} young: {result}", kind="scan-result", code=result)


def _scan_pmd(collapse: Program) -> Program:
    """khugepaged_scan_pmd(mm, vma, address, hpage): 1 when it called collapse_huge_page
    (which released mmap_sem), else 0 with mmap_sem still held."""

    @line("out: if (result == SCAN_SUCCEED) { collapse_huge_page(mm, address, hpage, node, referenced); "
          "ret = 1; /* mmap_sem released */ } return ret;", "{me} hands the range to collapse_huge_page",
          label="out", on_return=lambda c, code: c.ret((1, code)))
    def collapse_it(c: Ctx) -> None:
        if c["result"] != "SCAN_SUCCEED":
            c.ret((0, c["result"]))
            return
        args = {"address": c["address"], "referenced": c["referenced"], "result": "SCAN_SUCCEED"}
        if "vma" in collapse.params:
            args["vma"] = c["vma"]
        c.call(collapse, **args)

    return Program("khugepaged_scan_pmd", KERNEL, collapse.variant, ("mm", "vma", "address", "hpage"),
                   (_find_pmd, _count, collapse_it), doc=__doc__ or "", callees=(collapse,))


@line("if (unlikely(!down_read_trylock(&mm->mmap_sem))) goto breakouterloop_mmap_sem;",
      "{me} tries to take mmap_sem (read) without waiting", label="khugepaged_scan_mm_slot", lock_op=True)
def _trylock(c: Ctx) -> None:
    c["pass"] = c.locals.get("pass", 0) + 1
    c["contended"] = not c.trylock(MMAP_SEM, READ)
    if c["contended"]:
        c["result"] = "skipped: mmap_sem contended"
        c.goto("breakouterloop_mmap_sem")


@line("if (khugepaged_test_exit(mm)) goto breakouterloop; vma = find_vma(mm, khugepaged_scan.address); "
      "if (!hugepage_vma_check(vma) || address < hstart || address + HPAGE_PMD_SIZE > hend) goto breakouterloop;",
      "{me} finds the vma at its scan cursor")
def _find_vma(c: Ctx) -> None:
    c["vma"] = None if c.get("mm").users == 0 else mm.find_vma(c, c["address"])
    vma = c["vma"] and c.get("slab").get(c["vma"].ref).vma
    if vma is None or vma.start > c["address"] or not mm.hugepage_vma_check(c, vma):
        c["result"] = "skipped: no collapsible vma at the cursor"
        c.goto("breakouterloop")
        return
    hstart, hend = hpage_range(vma)
    if c["address"] < hstart or c["address"] + HPAGE_PMD_SIZE > hend:
        c["result"] = "skipped: the range is not inside the vma"
        c.goto("breakouterloop")


def _scanned(c: Ctx, value: tuple[int, str]) -> None:
    ret, c["result"] = value
    if ret:
        c.goto("breakouterloop_mmap_sem")


@line("breakouterloop: up_read(&mm->mmap_sem);", "{me} drops mmap_sem (read)", label="breakouterloop",
      lock_op=True)
def _up_read(c: Ctx) -> None:
    c.release(MMAP_SEM, READ)


@line("breakouterloop_mmap_sem: if (++pass < passes) { khugepaged_wait_work(); goto khugepaged_scan_mm_slot; } "
      "return result;", "{me} ends its pass", label="breakouterloop_mmap_sem")
def _next_pass(c: Ctx) -> None:
    if c["contended"] and c["pass"] < c["passes"]:
        c.say(f"{c.me} sleeps scan_sleep_millisecs and starts pass {c['pass'] + 1}")
        c.goto("khugepaged_scan_mm_slot")
        return
    c.say(f"khugepaged's scan of this mm ends: {c['result']}", kind="result", code=str(c["result"]))
    c.ret(c["result"])


def do_scan(collapse: Program) -> Program:
    """khugepaged_do_scan's passes over one mm, handing a range to ``collapse``."""
    scan_pmd = _scan_pmd(collapse)
    scan = line("ret = khugepaged_scan_pmd(mm, vma, khugepaged_scan.address, hpage); "
                "if (ret) goto breakouterloop_mmap_sem; /* collapse released mmap_sem */",
                "{me} scans the range", on_return=_scanned)(lambda c: c.call(scan_pmd, vma=c["vma"],
                                                                            address=c["address"], hpage=None))
    return Program("khugepaged_do_scan", KERNEL, collapse.variant, ("address", "passes"),
                   (_trylock, _find_vma, scan, _up_read, _next_pass), doc=__doc__ or "", callees=(scan_pmd,))
