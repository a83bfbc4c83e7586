"""collapse_huge_page (mm/khugepaged.c, v4.8): the head, each variant's middle, the atomic tail.

Entered holding mmap_sem for read, as khugepaged_scan_pmd leaves it.  The head drops it to
allocate the huge page; the middle re-takes it, revalidates (or, in v1, checks inline and
compares pointers), swaps in, and takes mmap_sem for write; the tail, the same in every
variant, does the collapse under mmap_sem (write), the anon_vma lock and the page-table
locks (the what-if ``v4.8-collapse-under-read`` keeps mmap_sem for read: whatif.py).  Which fix would have caught a failure in the tail depends on the variant's code.

Departures from the kernel, for every variant:
- the huge page allocation and memcg charge always succeed (the window they open is kept);
- ``__collapse_huge_page_isolate`` and ``__collapse_huge_page_copy`` are one step each:
  they run under mmap_sem (write), the anon_vma lock and the pte lock, where no modelled
  thread can see their middle; isolate does not keep the small pages locked afterwards;
- the swapin loop visits only the drawn swap ptes (the summary has none);
- shmem VMAs, NUMA node choice and mmu notifiers are left out, and of the TLB flushes only
  pmdp_collapse_flush's wait for CPUs with interrupts off (docs/model.md#gup-fast);
- ``hugepage_vma_revalidate`` returns 0 on success, as in v4.8 (numerically SCAN_FAIL).
v1 (Ebru Akagunduz, 23 May 2016, as Andrea reviewed it) also has no ``referenced`` test
in the swapin (it came with a later patch of the series), and its first revalidation is
inline after down_read, as in the patch.
"""

from __future__ import annotations

from engine import fixes, oracles
from engine.fixes import Fix
from engine.kernel import mm
from engine.kernel.locks import MMAP_SEM, anon_vma_lock, page_lock, pmd_lock, pte_lock
from engine.kernel.pgtable import HUGE, NONE, PRESENT, SWAP, TABLE, Pmd
from engine.kernel.rwsem import READ, WRITE
from engine.kernel.vma import Vma
from engine.program import Program, Step, Value, line, lock_step, unlock_step
from engine.programs.khugepaged import later
from engine.programs.khugepaged.code import KERNEL, Code
from engine.programs.khugepaged.revalidate import find_pmd, pmd_changed, revalidate, revalidated, v1_first_checks
from engine.programs.khugepaged.swapin import swapin
from engine.programs.khugepaged.whatif import KEEP_READ, OUT_READ
from engine.state import Ctx

_DROP_READ = unlock_step(MMAP_SEM, READ, "up_read(&mm->mmap_sem);", "{me} drops mmap_sem (read)")
_DOWN_WRITE = lock_step(MMAP_SEM, WRITE, "down_write(&mm->mmap_sem);",
                        "{me} takes mmap_sem (write) to keep everyone off the page tables")


@line("new_page = khugepaged_alloc_page(hpage, gfp, node);",
      "{me} allocates a 2 MiB page; direct compaction may sleep here a long time, holding no lock")
def _alloc(c: Ctx) -> None:
    c["new_page"] = "hpage"


_HEAD = (
    unlock_step(MMAP_SEM, READ, "up_read(&mm->mmap_sem);",
                "{me} drops mmap_sem (read) before allocating the huge page"),
    _alloc,
    lock_step(MMAP_SEM, READ, "down_read(&mm->mmap_sem);", "{me} takes mmap_sem (read) again"),
)


# -- the middle: v4.8's revalidations, or v1's checks and pointer compare ---------------------
def _call_swapin(code: Code, swapin_program: Program):
    def call(c: Ctx) -> None:
        args = dict(vma=c["vma"], address=c["address"], pmd=c["pmd"])
        if not code.pointer_check:
            args["referenced"] = c["referenced"]
        c.call(swapin_program, **args)
    return call


def _fail_to(label: str):
    """The on_return of a swapin call: give up with SCAN_FAIL at ``label`` if it failed."""
    def on_return(c: Ctx, ok: Value) -> None:
        if not ok:
            c["result"] = "SCAN_FAIL"
            c.goto(label)
    return on_return


def _revalidate_step(code: Code, revalidate_program: Program, fail_label: str, says: str) -> Step:
    vmap = ", &vma" if code.returns_vma else ""

    def on_return(c: Ctx, value: Value) -> None:
        c["result"] = revalidated(c, code, value)
        if c["result"] != 0:
            c.goto(fail_label)

    @line(f"result = hugepage_vma_revalidate(mm, address{vmap}); if (result) goto {fail_label};", says,
          on_return=on_return)
    def call(c: Ctx) -> None:
        c.call(revalidate_program, address=c["address"])

    return call


@line("pmd = mm_find_pmd(mm, address); if (!pmd) { result = SCAN_PMD_NULL; goto out_up_read; }",
      "{me} finds the pmd for the address")
def _find_pmd(c: Ctx) -> None:
    find_pmd(c, "out_up_read")


@line("if (mm_find_pmd(mm, address) != pmd) goto out;", "{me} checks that the pmd is still the one it found",
      shows=("pmd",))
def _pmd_recheck(c: Ctx) -> None:
    if pmd_changed(c):
        c["result"] = "SCAN_FAIL"
        c.goto("out")


def _v48_middle(code: Code, revalidate_program: Program, swapin_program: Program) -> list[Step]:
    middle = [
        _revalidate_step(code, revalidate_program, "out_up_read",
                         "{me} revalidates the vma after re-taking mmap_sem"),
        _find_pmd,
        Step("if (!__collapse_huge_page_swapin(mm, vma, address, pmd, referenced)) goto out_up_read;",
             _call_swapin(code, swapin_program), "{me} swaps in the range", on_return=_fail_to("out_up_read")),
        *((KEEP_READ,) if code.collapse_under_read else (_DROP_READ, _DOWN_WRITE)),
        _revalidate_step(code, revalidate_program, "out", "{me} revalidates the vma again under mmap_sem "
                         + ("(read)" if code.collapse_under_read else "(write)")),
    ]
    return middle + ([_pmd_recheck] if code.pmd_recheck else [])


def _v1_middle(code: Code, swapin_program: Program) -> list[Step]:
    return v1_first_checks(code) + [
        Step("if (!__collapse_huge_page_swapin(mm, vma, address, pmd)) { up_read(&mm->mmap_sem); goto out; }",
             _call_swapin(code, swapin_program), "{me} swaps in the range", on_return=_fail_to("v1_swapin_failed")),
        _DROP_READ,
        _DOWN_WRITE,
    ]


# -- the tail: the collapse itself, under mmap_sem (write) ----------------------------------------
def _clear_pmd_steps(stale: Fix, anon: Fix, flush_waits: bool = True) -> list[Step]:
    """From the anon_vma lock to pmdp_collapse_flush: ``stale`` is the fix that would have
    caught a use of the vma pointer after mmap_sem was dropped, in this variant, and
    ``anon`` the one that would have caught a vma with no anon_vma;
    ``flush_waits``: the flush's IPI waits for CPUs with interrupts off (docs/model.md#gup-fast)."""

    @line("anon_vma_lock_write(vma->anon_vma);", "{me} takes the anon_vma lock (write) to keep rmap walkers out",
          lock_op=True)
    def lock_anon_vma(c: Ctx) -> None:
        vma = mm.deref(c, c["vma"], "anon_vma", "collapse_huge_page", stale)
        if vma.anon_vma is None:
            oracles.null_deref(c, "vma->anon_vma", "down_write, called from anon_vma_lock_write",
                               "collapse_huge_page", anon)
        c["anon_vma"] = vma.anon_vma
        c.acquire(anon_vma_lock(vma.anon_vma), WRITE)

    @line("_pmd = pmdp_collapse_flush(vma, address, pmd);" + ("" if flush_waits else _NO_IPI),
          "{me} clears the pmd and flushes the TLB: gup_fast can no longer reach the ptes")
    def flush(c: Ctx) -> None:
        mm.deref(c, c["vma"], "vm_mm", "pmdp_collapse_flush", stale)
        if not c.holds(MMAP_SEM, WRITE):    # only the what-if; the harm is reported where it happens
            c.say(f"{c.me} clears a pmd that maps a pte table holding mmap_sem only for read: "
                  "a page fault can now find it none")
        entry = mm.read_pmd(c, c["pmd"], c["address"], "pmdp_collapse_flush", fixes.PMD_RECHECK)
        if entry.kind == HUGE:
            oracles.bug_on(c, "VM_BUG_ON(pmd_trans_huge(*pmdp))", "pmdp_collapse_flush",
                           f"{c.me} calls pmdp_collapse_flush on a pmd that is already huge", fixes.PMD_RECHECK,
                           file="mm/pgtable-generic.c", debug_vm=True)
        c["_pmd"] = entry.target if entry.kind != NONE else None
        mm.set_pmd(c, c["pmd"], c["address"], Pmd())
        if flush_waits:
            c.wait_for_ipis()

    return [lock_anon_vma, _map_ptes, _TAKE_PMD_LOCK, flush, _DROP_PMD_LOCK]


_NO_IPI = " /* what-if: the TLB flush sends no IPI, so it waits for no CPU */"


@line("pte = pte_offset_map(pmd, address); pte_ptl = pte_lockptr(mm, pmd);", "{me} maps the pte table")
def _map_ptes(c: Ctx) -> None:
    table = mm.pte_offset_map(c, c["pmd"], c["address"], "collapse_huge_page", fixes.PMD_RECHECK)
    c["pte"] = table.pfn if table else None


_TAKE_PMD_LOCK = Step("pmd_ptl = pmd_lock(mm, pmd);", lambda c: c.acquire(pmd_lock(c["pmd"].ref), WRITE),
                      "{me} takes the pmd lock", lock_op=True)
_DROP_PMD_LOCK = Step("spin_unlock(pmd_ptl);", lambda c: c.release(pmd_lock(c["pmd"].ref), WRITE),
                      "{me} drops the pmd lock", lock_op=True)


@line("if (!isolated) { BUG_ON(!pmd_none(*pmd)); pmd_populate(mm, pmd, pmd_pgtable(_pmd)); "
      "anon_vma_unlock_write(vma->anon_vma); result = SCAN_FAIL; goto out; }",
      "{me} checks whether isolation worked")
def _isolate_failed(c: Ctx) -> None:
    if c["isolated"]:
        return
    entry = mm.read_pmd(c, c["pmd"], c["address"], "collapse_huge_page", fixes.PMD_RECHECK)
    if entry.kind != NONE:
        oracles.bug_on(c, "BUG_ON(!pmd_none(*pmd))", "collapse_huge_page",
                       f"{c.me} finds the pmd no longer none when putting the pte table back", fixes.PMD_RECHECK)
    if c["_pmd"] is None:
        oracles.pgtable_corruption(c, c["address"], "collapse_huge_page", fixes.PMD_RECHECK)
    mm.set_pmd(c, c["pmd"], c["address"], Pmd("table", c["_pmd"]))
    c.release(anon_vma_lock(c["anon_vma"]), WRITE)
    c["result"] = "SCAN_FAIL"
    c.goto("out")


def _isolate_steps(stale: Fix) -> list[Step]:
    """Isolate the small pages under the pte lock; give up and put the table back if that fails."""

    @line("isolated = __collapse_huge_page_isolate(vma, address, pte);",
          "{me} isolates and locks every small page of the range")
    def isolate(c: Ctx) -> None:
        mm.deref(c, c["vma"], "vm_flags", "__collapse_huge_page_isolate", stale)
        c["isolated"] = _isolate(c)

    return [
        Step("spin_lock(pte_ptl);", lambda c: c.acquire(pte_lock(c["pte"]), WRITE), "{me} takes the pte lock",
             lock_op=True),
        isolate,
        Step("spin_unlock(pte_ptl);", lambda c: c.release(pte_lock(c["pte"]), WRITE), "{me} drops the pte lock",
             lock_op=True),
        _isolate_failed,
        Step("anon_vma_unlock_write(vma->anon_vma);", lambda c: c.release(anon_vma_lock(c["anon_vma"]), WRITE),
             "{me} drops the anon_vma lock: the pages are isolated and locked", lock_op=True),
    ]


def _install_steps(stale: Fix) -> list[Step]:
    """Copy into the huge page and install it under the pmd lock."""

    @line("__collapse_huge_page_copy(pte, new_page, vma, address, pte_ptl);",
          "{me} copies the small pages into the huge page")
    def copy(c: Ctx) -> None:
        mm.deref(c, c["vma"], "vm_page_prot", "__collapse_huge_page_copy", stale)
        _copy(c)

    @line("_pmd = mk_huge_pmd(new_page, vma->vm_page_prot);", "{me} builds the huge pmd")
    def mk_huge(c: Ctx) -> None:
        mm.deref(c, c["vma"], "vm_page_prot", "collapse_huge_page", stale)

    return [copy, mk_huge, Step("spin_lock(pmd_ptl);", _TAKE_PMD_LOCK.effect, "{me} takes the pmd lock",
                                lock_op=True), _set_huge, _succeed]


@line("BUG_ON(!pmd_none(*pmd)); set_pmd_at(mm, address, pmd, _pmd);", "{me} installs the huge pmd")
def _set_huge(c: Ctx) -> None:
    entry = mm.read_pmd(c, c["pmd"], c["address"], "collapse_huge_page", fixes.PMD_RECHECK)
    if entry.kind != NONE:
        oracles.bug_on(c, "BUG_ON(!pmd_none(*pmd))", "collapse_huge_page",
                       f"{c.me} finds the pmd no longer none when installing the huge page: it "
                       + (f"points to the pte table at pfn {entry.target:#x}" if entry.kind == TABLE else "is huge"),
                       fixes.PMD_RECHECK if c.holds(MMAP_SEM, WRITE) else fixes.WRITE_FOR_COLLAPSE)
    start, end = mm.span(c["address"])
    covering = [v for v in mm.vmas(c) if v.start < end and start < v.end]
    whole = _whole(covering, start, end)
    oracles.check_huge_install(c, start, covering, c.get("config").thp,
                               fixes.VMA_CHECK if whole else fixes.ADDRESS_RANGE)
    mm.set_pmd(c, c["pmd"], c["address"], Pmd(HUGE, c["new_page"]))


@line("spin_unlock(pmd_ptl); result = SCAN_SUCCEED;", "{me} drops the pmd lock: collapsed", lock_op=True)
def _succeed(c: Ctx) -> None:
    c.release(pmd_lock(c["pmd"].ref), WRITE)
    c["result"] = "SCAN_SUCCEED"


@line("out_nolock: return result;", "{me} returns", label="out_nolock")
def _finish(c: Ctx) -> None:
    c.say(f"collapse_huge_page returns {c['result']}", kind="result", code=str(c["result"]))
    c.ret(c["result"])


@line("out_up_read: up_read(&mm->mmap_sem); goto out_nolock;", "{me} drops mmap_sem (read) and gives up",
      label="out_up_read", lock_op=True)
def _out_up_read(c: Ctx) -> None:
    c.release(MMAP_SEM, READ)
    c.goto("out_nolock")


@line("/* swapin failed */ up_read(&mm->mmap_sem); goto out;", "{me} drops mmap_sem (read), then goes to out",
      label="v1_swapin_failed", lock_op=True)
def _v1_swapin_failed(c: Ctx) -> None:
    c.release(MMAP_SEM, READ)
    c.goto("out")


_OUT = unlock_step(MMAP_SEM, WRITE, "out: up_write(&mm->mmap_sem);", "{me} drops mmap_sem (write)", label="out")


def collapse(code: Code) -> Program:
    """collapse_huge_page(mm, address, hpage, node, referenced) for one variant."""
    revalidate_program = revalidate(code)
    swapin_program = swapin(code, revalidate_program)
    if code.pointer_check:
        middle, exits = _v1_middle(code, swapin_program), [_v1_swapin_failed]
    else:
        middle, exits = _v48_middle(code, revalidate_program, swapin_program), [_out_up_read]
    stale = code.stale_vma_fix
    out = OUT_READ if code.collapse_under_read else _OUT
    tail = (_clear_pmd_steps(stale, code.anon_fix, code.flush_waits) + _isolate_steps(stale) + _install_steps(stale)
            + [out, _finish] + exits)
    params = ("mm", "address", "hpage", "node", "referenced")
    if not code.returns_vma:
        params = ("mm", "address", "hpage", "vma", "node", "referenced")
    doc = (__doc__ or "") if code.kernel == KERNEL else (later.__doc__ or "")
    return Program("collapse_huge_page", code.kernel, code.variant, params, tuple(_HEAD) + tuple(middle) + tuple(tail),
                   doc=doc, callees=(revalidate_program, swapin_program))


def _isolate(c: Ctx) -> bool:
    """__collapse_huge_page_isolate over all 512 ptes: thresholds and page trylocks."""
    if c["pte"] is None:
        c.say("isolate reads garbage ptes (no pte table): fails")
        return False
    table = mm.pte_table(c, c["pte"])
    counts = table.counts()
    max_none = c.get("config").max_ptes_none
    reason = None
    if counts["none"] > max_none:
        reason = f"{counts['none']} none ptes > max_ptes_none {max_none}"
    elif counts["swap"]:
        reason = f"{counts['swap']} pte(s) still swapped out"
    else:
        locked = next((p.page for _, p in table.ptes
                       if p.kind == PRESENT and c.state.lock(page_lock(p.page)) is not None), None)
        pinned = mm.pinned_page(c, table)
        if locked is not None:
            reason = f"page {locked:#x} is locked (trylock_page fails)"
        elif pinned is not None:
            reason = f"page {pinned.pfn:#x} has page_count {1 + pinned.refs}, not 1 (SCAN_PAGE_COUNT)"
        elif counts["writable"] == 0:
            reason = "no writable pte"
        elif counts["young"] == 0:
            reason = "no referenced pte"
    c.say(f"__collapse_huge_page_isolate {'fails: ' + reason if reason else 'succeeds'}")
    return reason is None


def _copy(c: Ctx) -> None:
    """__collapse_huge_page_copy: every user-visible byte of the range into the huge page."""
    table = mm.pte_table(c, c["_pmd"])
    pages = {p.pfn: p for p in c.get("pages")}
    swap = dict(c.get("swap"))
    before = {a: (pages[p.page].at(a) if p.kind == PRESENT else swap.get(p.swap) if p.kind == SWAP else None)
              for a, p in table.ptes}
    data = tuple((a, pages[p.page].at(a)) for a, p in table.ptes if p.kind == PRESENT)
    oracles.check_copy(c, before, dict(data), fixes.ISOLATE_PRESENT)
    mm.release_copied(c, table)
    c["new_page"] = mm.add_page(c, data, huge=True)
    c.say(f"{c.me} copies {len(data)} drawn page(s) and the rest into the huge page at pfn {c['new_page']:#x}")


def _whole(covering: list[Vma], start: int, end: int) -> bool:
    return any(v.start <= start and end <= v.end for v in covering)
