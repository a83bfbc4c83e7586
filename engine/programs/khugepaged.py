"""khugepaged's anonymous collapse: collapse_huge_page and what it calls (v4.8 era).

Models mm/khugepaged.c (mm/huge_memory.c before v4.8) from the top of
``collapse_huge_page``, entered holding mmap_sem for read as ``khugepaged_scan_pmd``
leaves it, through ``hugepage_vma_revalidate``, ``__collapse_huge_page_swapin``,
``do_swap_page`` and ``__lock_page_or_retry``.  One builder serves every variant; a
:class:`Code` says what a variant's code does differently (kernel-reference §1, §3.4-3.6).

Departures from the kernel, for every variant:
- the huge page allocation and memcg charge always succeed (the window they open is kept);
- ``__collapse_huge_page_isolate`` and ``__collapse_huge_page_copy`` are one step each:
  they run under mmap_sem (write), the anon_vma lock and the pte lock, where no modelled
  thread can see their middle; isolate does not keep the small pages locked afterwards;
- the swapin loop visits only the drawn swap ptes (the summary has none);
- shmem VMAs, NUMA node choice, mmu notifiers and TLB flushes are left out;
- ``hugepage_vma_revalidate`` returns 0 on success, as in v4.8 (numerically SCAN_FAIL).
v1 (Ebru Akagunduz, 23 May 2016, as Andrea reviewed it) also has no ``referenced`` test
in the swapin (it came with a later patch of the series), and its first revalidation is
inline after down_read, as in the patch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from engine import oracles
from engine.kernel import mm
from engine.kernel.pgtable import HUGE, NONE, PRESENT, SWAP, Pmd, Pte, PteTable
from engine.kernel.rwsem import READ, WRITE
from engine.kernel.vma import HPAGE_PMD_NR, HPAGE_PMD_SIZE, PAGE_SIZE, hpage_range
from engine.program import Program, Step
from engine.kernel.locks import MMAP_SEM, anon_vma_lock, page_lock, pmd_lock, pte_lock
from engine.state import Ctx

Fail = Callable[[Ctx, str], None]
VM_FAULT_RETRY, VM_FAULT_OK = "VM_FAULT_RETRY", 0
KERNEL = "v4.8"

CHECK_EXIT = "exit"
CHECK_VMA_NULL = "vma-null"
CHECK_RANGE = "address-range"
CHECK_VMA = "vma-check"
ALL_CHECKS = (CHECK_EXIT, CHECK_VMA_NULL, CHECK_RANGE, CHECK_VMA)

FIX_VMAP = ('hugepage_vma_revalidate() handing the vma it found back through **vmap '
            '("khugepaged: fix use-after-free in collapse_huge_page()", v4.8)')
FIX_PMD = ('mm_find_pmd(mm, address) != pmd after re-taking mmap_sem '
           '("khugepaged: recheck pmd after mmap_sem re-acquired", v4.8)')
FIX_VMA_CHECK = "hugepage_vma_check() in hugepage_vma_revalidate() after down_write (SCAN_VMA_CHECK)"
FIX_RANGE = "the hstart/hend test in hugepage_vma_revalidate() (SCAN_ADDRESS_RANGE)"
FIX_EXIT = "khugepaged_test_exit(mm) before find_vma (SCAN_ANY_PROCESS)"
FIX_REVALIDATE = ("hugepage_vma_revalidate() after every re-acquire of mmap_sem, down_write included "
                  "(Andrea's review; v2 onwards)")
FIX_NULL = "the find_vma NULL test in hugepage_vma_revalidate() (SCAN_VMA_NULL)"


@dataclass(frozen=True)
class Code:
    """What one variant's khugepaged code does.

    ``pointer_check``: v1, the swapin retry compares find_vma's result with vma_orig and
    nothing is revalidated after down_write; failures jump to ``out`` (up_write).
    ``returns_vma``: hugepage_vma_revalidate hands back the vma it found (v4.8 final).
    ``checks``: the tests hugepage_vma_revalidate makes; ``pmd_recheck``: both
    ``mm_find_pmd(mm, address) != pmd`` tests are there.
    """

    variant: str
    pointer_check: bool = False
    returns_vma: bool = True
    checks: tuple[str, ...] = ALL_CHECKS
    pmd_recheck: bool = True


def _scan_result(c: Ctx, function: str, code: str | int) -> None:
    text = "0 (the vma is fine)" if code == 0 else code
    c.say(f"{function} returns {text}", kind="scan-result", code=None if code == 0 else str(code))


# -- hugepage_vma_revalidate -----------------------------------------------------------
def _check_steps(code: Code, fail: Fail, caller: str, on_fail: Callable[[str], str]) -> list[Step]:
    """Andrea's checks, in order, as steps.  ``fail`` is how the code at hand gives up
    (hugepage_vma_revalidate returns the code; v1's inline copy jumps to ``out``) and
    ``on_fail`` writes that in C; ``code.checks`` says which checks the variant has."""

    def test_exit(c: Ctx) -> None:
        if c.get("mm").users == 0:
            fail(c, "SCAN_ANY_PROCESS")

    def find(c: Ctx) -> None:
        c["vma"] = mm.find_vma(c, c["address"], f"find_vma, called from {caller}", FIX_EXIT)
        if CHECK_VMA_NULL in code.checks and c["vma"] is None:
            fail(c, "SCAN_VMA_NULL")

    def address_range(c: Ctx) -> None:
        hstart, hend = hpage_range(mm.deref(c, c["vma"], "vm_start", caller, FIX_NULL))
        c["hstart"], c["hend"] = hstart, hend
        if c["address"] < hstart or c["address"] + HPAGE_PMD_SIZE > hend:
            fail(c, "SCAN_ADDRESS_RANGE")

    def vma_check(c: Ctx) -> None:
        if not mm.hugepage_vma_check(c, mm.deref(c, c["vma"], "vm_flags", "hugepage_vma_check", FIX_NULL)):
            fail(c, "SCAN_VMA_CHECK")

    vmap = "*vmap = " if code.returns_vma else ""
    null = f" if (!vma) {on_fail('SCAN_VMA_NULL')}" if CHECK_VMA_NULL in code.checks else ""
    steps = []
    if CHECK_EXIT in code.checks:
        steps.append(Step(f"if (unlikely(khugepaged_test_exit(mm))) {on_fail('SCAN_ANY_PROCESS')}", test_exit,
                          "{me} checks that the process is not exiting (mm_users != 0)"))
    steps.append(Step(f"{vmap}vma = find_vma(mm, address);{null}", find,
                      "{me} looks up the first vma ending above the address"))
    if CHECK_RANGE in code.checks:
        steps.append(Step("hstart = ALIGN(vma->vm_start, HPAGE_PMD_SIZE); hend = vma->vm_end & HPAGE_PMD_MASK; "
                          f"if (address < hstart || address + HPAGE_PMD_SIZE > hend) {on_fail('SCAN_ADDRESS_RANGE')}",
                          address_range, "{me} checks that the vma covers the whole 2 MiB range"))
    if CHECK_VMA in code.checks:
        steps.append(Step(f"if (!hugepage_vma_check(vma)) {on_fail('SCAN_VMA_CHECK')}", vma_check,
                          "{me} checks that the vma may hold a huge page (anonymous, THP allowed)"))
    return steps


def revalidate(code: Code) -> Program:
    """hugepage_vma_revalidate(mm, address[, vmap]): Andrea's four checks, in order."""

    def done(c: Ctx, result: str | int) -> None:
        _scan_result(c, "hugepage_vma_revalidate", result)
        c.ret((result, c.locals.get("vma")) if code.returns_vma else result)

    steps = _check_steps(code, done, "hugepage_vma_revalidate", lambda scan: f"return {scan};")
    steps.append(Step("return 0;", lambda c: done(c, 0)))
    params = ("mm", "address", "vmap") if code.returns_vma else ("mm", "address")
    return Program("hugepage_vma_revalidate", KERNEL, code.variant, params, tuple(steps),
                   doc="Andrea's revalidation after re-taking mmap_sem (kernel-reference §3.6).")


def _revalidated(c: Ctx, code: Code, value) -> str | int:
    """Take hugepage_vma_revalidate's return: the result, and the vma if it hands one back."""
    if code.returns_vma:
        value, c["vma"] = value
    return value


def _pmd_changed(c: Ctx) -> bool:
    """``mm_find_pmd(mm, address) != pmd``, saying so when it is."""
    now = mm.mm_find_pmd(c, c["address"])
    if now is not None and now.addr == c["pmd"].addr:
        return False
    c.say(f"mm_find_pmd returns {now or 'NULL'} != pmd {c['pmd']}: give up")
    return True


# -- __lock_page_or_retry and do_swap_page --------------------------------------------
def _lock_page_or_retry_slow() -> Program:
    def drop(c: Ctx) -> None:
        c.release(MMAP_SEM, READ)

    def wait(c: Ctx) -> None:
        c.wait_unlocked(page_lock(c["page"]))

    return Program("__lock_page_or_retry", KERNEL, "common", ("page", "mm", "flags"), (
        Step("if (flags & FAULT_FLAG_ALLOW_RETRY) { /* no RETRY_NOWAIT */ up_read(&mm->mmap_sem);", drop,
             "{me} cannot lock the page, so it drops mmap_sem (read) before sleeping", lock_op=True),
        Step("wait_on_page_locked(page);", wait, "{me} sleeps until the swap-in I/O unlocks the page",
             lock_op=True),
        Step("return 0; }", lambda c: c.ret(0), "{me} returns without the page lock and without mmap_sem"),
    ), doc="FAULT_FLAG_ALLOW_RETRY without RETRY_NOWAIT: mmap_sem is released (kernel-reference §5.3).")


LOCK_PAGE_OR_RETRY = _lock_page_or_retry_slow()


def do_swap_page() -> Program:
    """do_swap_page(fe, orig_pte) for one swap pte, with khugepaged's fault flags."""

    def lookup(c: Ctx) -> None:
        page = next((p for p in c.get("pages") if p.swap == c["entry"]), None)
        if page is None:
            data = ((c["fe_address"], dict(c.get("swap"))[c["entry"]]),)
            c["page"] = mm.add_page(c, data, swap=c["entry"])
        else:
            c["page"] = page.pfn

    def lock(c: Ctx) -> None:
        if not c.trylock(page_lock(c["page"]), WRITE):
            c.call(LOCK_PAGE_OR_RETRY, page=c["page"], flags="FAULT_FLAG_ALLOW_RETRY")

    def after_slow(c: Ctx, value: int) -> None:
        c.ret(VM_FAULT_RETRY)

    def map_pte(c: Ctx) -> None:
        table = mm.pte_offset_map(c, c["pmd"], c["fe_address"], "do_swap_page", FIX_PMD)
        c["same"] = table is not None and table.pte(c["fe_address"]) == Pte(SWAP, swap=c["entry"])
        c["table"] = table.pfn if table else None
        if not c["same"]:
            c.goto("out_nomap")

    def install(c: Ctx) -> None:
        mm.deref(c, c["vma"], "vm_page_prot", "do_swap_page", FIX_VMAP)
        table = mm.pte_table(c, c["table"])
        mm.set_pte(c, table, c["fe_address"], Pte(PRESENT, page=c["page"], writable=True, young=True))
        c.put(swap=tuple((s, d) for s, d in c.get("swap") if s != c["entry"]))

    def unlock(c: Ctx) -> None:
        c.release(page_lock(c["page"]), WRITE)
        c.ret(VM_FAULT_OK)

    return Program("do_swap_page", KERNEL, "common", ("fe", "orig_pte"), (
        Step("page = lookup_swap_cache(entry);", lookup, "{me} finds the swap cache page for the entry"),
        Step("if (!lock_page_or_retry(page, fe->vma->vm_mm, fe->flags)) return VM_FAULT_RETRY;", lock,
             "{me} tries to lock the swap cache page", on_return=after_slow, lock_op=True),
        Step("fe->pte = pte_offset_map_lock(mm, fe->pmd, fe->address, &fe->ptl); "
             "if (!pte_same(*fe->pte, orig_pte)) goto out_nomap;", map_pte,
             "{me} maps the pte again and checks it still holds the swap entry"),
        Step("set_pte_at(mm, fe->address, fe->pte, mk_pte(page, fe->vma->vm_page_prot)); swap_free(entry);",
             install, "{me} maps the page and frees the swap entry"),
        Step("unlock_page(page); pte_unmap_unlock(fe->pte, fe->ptl); return 0;", unlock,
             "{me} unlocks the page", lock_op=True),
        Step("out_nomap: pte_unmap_unlock(fe->pte, fe->ptl); unlock_page(page); return 0;", unlock,
             "{me} finds the pte changed and gives the page back", label="out_nomap", lock_op=True),
    ), doc="Swap-in of one pte; the page lock decides whether mmap_sem is dropped.")


DO_SWAP_PAGE = do_swap_page()


# -- __collapse_huge_page_swapin --------------------------------------------------------
def swapin(code: Code, revalidate_program: Program) -> Program:
    """__collapse_huge_page_swapin: swap in every swap pte of the range under mmap_sem read."""

    def cold(c: Ctx) -> None:
        if c["referenced"] < HPAGE_PMD_NR // 2:
            c.say(f"only {c['referenced']} of 512 ptes were referenced: not worth swapping in")
            c.ret(False)

    def map_first(c: Ctx) -> None:
        table = mm.pte_offset_map(c, c["pmd"], c["address"], "__collapse_huge_page_swapin", FIX_PMD)
        c["pte"] = table.pfn if table else None
        c["fe_address"] = c["address"]

    def next_swap(c: Ctx) -> None:
        table = mm.pte_table(c, c["pte"]) if c["pte"] is not None else PteTable(0)
        hits = [a for a, p in table.ptes if p.kind == SWAP and a >= c["fe_address"]
                and a < c["address"] + HPAGE_PMD_SIZE]
        if not hits:
            c.goto("done")
            return
        c["fe_address"] = hits[0]
        c["entry"] = table.pte(hits[0]).swap
        c.call(DO_SWAP_PAGE, vma=c["vma"], pmd=c["pmd"], fe_address=hits[0], entry=c["entry"])

    def after_swap(c: Ctx, ret: str | int) -> None:
        c["ret"] = ret
        if ret != VM_FAULT_RETRY:
            c.goto("remap")

    def retake(c: Ctx) -> None:
        c.acquire(MMAP_SEM, READ)

    def remember(c: Ctx) -> None:
        c["vma_orig"] = c["vma"]

    def pointer_check(c: Ctx) -> None:
        c["vma"] = mm.find_vma(c, c["address"], "find_vma, called from __collapse_huge_page_swapin", FIX_EXIT)
        same = c["vma"] is not None and c["vma"].addr == c["vma_orig"].addr
        c.say(f"find_vma returns {c['vma'] or 'NULL'}; vma {'==' if same else '!='} vma_orig "
              f"({c['vma_orig']}): the pointer check {'passes' if same else 'fails'}", kind="note")
        if not same:
            c.ret(False)

    def call_revalidate(c: Ctx) -> None:
        c.call(revalidate_program, address=c["address"])

    def after_revalidate(c: Ctx, value) -> None:
        if _revalidated(c, code, value) != 0:
            c.ret(False)

    def pmd_check(c: Ctx) -> None:
        if _pmd_changed(c):
            c.ret(False)

    def remap(c: Ctx) -> None:
        table = mm.pte_offset_map(c, c["pmd"], c["fe_address"], "__collapse_huge_page_swapin", FIX_PMD)
        c["pte"] = table.pfn if table else None
        c["fe_address"] += PAGE_SIZE
        c.goto("loop")

    steps: list[Step] = []
    if not code.pointer_check:
        steps.append(Step("if (referenced < HPAGE_PMD_NR/2) return false;", cold,
                          "{me} checks that enough ptes were referenced to justify swap-in"))
    else:
        steps.append(Step("struct vm_area_struct *vma_orig = vma;", remember,
                          "{me} remembers the vma pointer as vma_orig"))
    steps += [
        Step("fe.pte = pte_offset_map(pmd, address);", map_first, "{me} maps the pte table of the range"),
        Step("for (; fe.address < address + HPAGE_PMD_SIZE; fe.pte++, fe.address += PAGE_SIZE) "
             "if (is_swap_pte(*fe.pte)) ret = do_swap_page(&fe, *fe.pte);", next_swap,
             "{me} looks for the next swap pte and swaps it in", label="loop", on_return=after_swap),
        Step("if (ret & VM_FAULT_RETRY) { down_read(&mm->mmap_sem);", retake,
             "{me} re-takes mmap_sem (read) after do_swap_page dropped it", lock_op=True),
    ]
    if code.pointer_check:
        steps.append(Step("vma = find_vma(mm, address); if (vma != vma_orig) return false; }", pointer_check,
                          "{me} looks the vma up again and compares the pointer with vma_orig"))
    else:
        vmap = ", &fe.vma" if code.returns_vma else ""
        close = "" if code.pmd_recheck else " }"
        steps.append(Step(f"if (hugepage_vma_revalidate(mm, address{vmap})) return false;{close}", call_revalidate,
                          "{me} revalidates the vma", on_return=after_revalidate))
        if code.pmd_recheck:
            steps.append(Step("if (mm_find_pmd(mm, address) != pmd) return false; }", pmd_check,
                              "{me} checks that the pmd is still the one it mapped"))
    steps += [
        Step("fe.pte = pte_offset_map(pmd, fe.address);", remap,
             "{me} maps the pte table again (do_swap_page unmapped it)", label="remap"),
        Step("return true;", lambda c: c.ret(True), "{me} has swapped in the range", label="done"),
    ]
    params = ("mm", "vma", "address", "pmd") + (() if code.pointer_check else ("referenced",))
    return Program("__collapse_huge_page_swapin", KERNEL, code.variant, params, tuple(steps),
                   doc="Swap in the range's swap ptes under mmap_sem (read); do_swap_page may drop it.")


# -- collapse_huge_page -------------------------------------------------------------------
def collapse(code: Code) -> Program:
    """collapse_huge_page(mm, address, hpage, node, referenced) for one variant."""
    revalidate_program = revalidate(code)
    swapin_program = swapin(code, revalidate_program)

    def up_read(c: Ctx) -> None:
        c.release(MMAP_SEM, READ)

    def alloc(c: Ctx) -> None:
        c["new_page"] = "hpage"

    def down_read(c: Ctx) -> None:
        c.acquire(MMAP_SEM, READ)

    def down_write(c: Ctx) -> None:
        c.acquire(MMAP_SEM, WRITE)

    def call_revalidate(c: Ctx) -> None:
        c.call(revalidate_program, address=c["address"])

    def after_revalidate(label: str):
        def on_return(c: Ctx, value) -> None:
            c["result"] = _revalidated(c, code, value)
            if c["result"] != 0:
                c.goto(label)
        return on_return

    def find_pmd(c: Ctx) -> None:
        c["pmd"] = mm.mm_find_pmd(c, c["address"])
        if c["pmd"] is None:
            c["result"] = "SCAN_PMD_NULL"
            c.goto("out_up_read")

    def call_swapin(c: Ctx) -> None:
        args = dict(vma=c["vma"], address=c["address"], pmd=c["pmd"])
        if not code.pointer_check:
            args["referenced"] = c["referenced"]
        c.call(swapin_program, **args)

    def after_swapin(label: str):
        def on_return(c: Ctx, ok: bool) -> None:
            if not ok:
                c["result"] = "SCAN_FAIL"
                c.goto(label)
        return on_return

    def pmd_recheck(c: Ctx) -> None:
        if _pmd_changed(c):
            c["result"] = "SCAN_FAIL"
            c.goto("out")

    def take_anon_vma_lock(c: Ctx) -> None:
        vma = mm.deref(c, c["vma"], "anon_vma", "collapse_huge_page", _fix_for(code, "deref"))
        if vma.anon_vma is None:
            oracles.null_deref(c, "vma->anon_vma", "down_write, called from anon_vma_lock_write",
                               "collapse_huge_page", _fix_for(code, "anon"))
        c["anon_vma"] = vma.anon_vma
        c.acquire(anon_vma_lock(vma.anon_vma), WRITE)

    def map_ptes(c: Ctx) -> None:
        table = mm.pte_offset_map(c, c["pmd"], c["address"], "collapse_huge_page", _fix_for(code, "pmd"))
        c["pte"] = table.pfn if table else None

    def take_pmd_lock(c: Ctx) -> None:
        c.acquire(pmd_lock(c["pmd"].ref), WRITE)

    def flush(c: Ctx) -> None:
        mm.deref(c, c["vma"], "vm_mm", "pmdp_collapse_flush", _fix_for(code, "deref"))
        if not c.holds(MMAP_SEM, WRITE):
            oracles.lock_not_held(c, "mmap_sem (write)", "clears a pmd that maps a pte table",
                                  "down_write(&mm->mmap_sem) before pmdp_collapse_flush")
        entry = mm.read_pmd(c, c["pmd"], c["address"], "pmdp_collapse_flush", _fix_for(code, "pmd"))
        if entry.kind == HUGE:
            oracles.bug_on(c, "VM_BUG_ON(pmd_trans_huge(*pmdp))", "pmdp_collapse_flush",
                           f"{c.me} calls pmdp_collapse_flush on a pmd that is already huge",
                           _fix_for(code, "pmd"))
        c["_pmd"] = entry.target if entry.kind != NONE else None
        mm.set_pmd(c, c["pmd"], c["address"], Pmd())

    def pmd_unlock(c: Ctx) -> None:
        c.release(pmd_lock(c["pmd"].ref), WRITE)

    def take_pte_lock(c: Ctx) -> None:
        c.acquire(pte_lock(c["pte"]), WRITE)

    def isolate(c: Ctx) -> None:
        mm.deref(c, c["vma"], "vm_flags", "__collapse_huge_page_isolate", _fix_for(code, "deref"))
        c["isolated"] = _isolate(c)

    def pte_unlock(c: Ctx) -> None:
        c.release(pte_lock(c["pte"]), WRITE)

    def isolate_failed(c: Ctx) -> None:
        if c["isolated"]:
            return
        if c["_pmd"] is not None:
            mm.set_pmd(c, c["pmd"], c["address"], Pmd("table", c["_pmd"]))
        c.release(anon_vma_lock(c["anon_vma"]), WRITE)
        c["result"] = "SCAN_FAIL"
        c.goto("out")

    def anon_vma_unlock(c: Ctx) -> None:
        c.release(anon_vma_lock(c["anon_vma"]), WRITE)

    def copy(c: Ctx) -> None:
        mm.deref(c, c["vma"], "vm_page_prot", "__collapse_huge_page_copy", _fix_for(code, "deref"))
        table = mm.pte_table(c, c["_pmd"])
        pages = {p.pfn: p for p in c.get("pages")}
        swap = dict(c.get("swap"))
        before = {a: (pages[p.page].at(a) if p.kind == PRESENT else swap.get(p.swap) if p.kind == SWAP else None)
                  for a, p in table.ptes}
        data = tuple((a, pages[p.page].at(a)) for a, p in table.ptes if p.kind == PRESENT)
        oracles.check_copy(c, before, dict(data), "__collapse_huge_page_isolate refusing non-present ptes")
        for _, p in table.ptes:
            if p.kind == PRESENT:
                mm.drop_page(c, p.page)
        c["new_page"] = mm.add_page(c, data, huge=True)
        c.say(f"{c.me} copies {sum(1 for _ in data)} drawn page(s) and the rest into the huge page "
              f"at pfn {c['new_page']:#x}")

    def mk_huge(c: Ctx) -> None:
        mm.deref(c, c["vma"], "vm_page_prot", "collapse_huge_page", _fix_for(code, "deref"))

    def set_huge(c: Ctx) -> None:
        entry = mm.read_pmd(c, c["pmd"], c["address"], "collapse_huge_page", _fix_for(code, "pmd"))
        if entry.kind != NONE:
            oracles.bug_on(c, "BUG_ON(!pmd_none(*pmd))", "collapse_huge_page",
                           f"{c.me} finds the pmd no longer none when installing the huge page",
                           _fix_for(code, "pmd"))
        start, end = mm.span(c["address"])
        covering = [v for v in mm.vmas(c) if v.start < end and start < v.end]
        oracles.check_huge_install(c, start, covering, c.get("config").thp,
                                   FIX_RANGE if not _whole(covering, start, end) else FIX_VMA_CHECK)
        mm.set_pmd(c, c["pmd"], c["address"], Pmd(HUGE, c["new_page"]))

    def succeed(c: Ctx) -> None:
        c.release(pmd_lock(c["pmd"].ref), WRITE)
        c["result"] = "SCAN_SUCCEED"

    def up_write(c: Ctx) -> None:
        c.release(MMAP_SEM, WRITE)

    def finish(c: Ctx) -> None:
        c.say(f"collapse_huge_page returns {c['result']}", kind="result", code=str(c["result"]))
        c.ret(c["result"])

    def out_up_read(c: Ctx) -> None:
        c.release(MMAP_SEM, READ)
        c.goto("out_nolock")

    head = [
        Step("up_read(&mm->mmap_sem);", up_read,
             "{me} drops mmap_sem (read) before allocating the huge page", lock_op=True),
        Step("new_page = khugepaged_alloc_page(hpage, gfp, node);", alloc,
             "{me} allocates a 2 MiB page; direct compaction may sleep here a long time, holding no lock"),
        Step("down_read(&mm->mmap_sem);", down_read, "{me} takes mmap_sem (read) again", lock_op=True),
    ]
    if code.pointer_check:
        middle = _v1_first_checks(code) + [
            Step("if (!__collapse_huge_page_swapin(mm, vma, address, pmd)) { up_read(&mm->mmap_sem); goto out; }",
                 call_swapin, "{me} swaps in the range", on_return=after_swapin("v1_swapin_failed")),
            Step("up_read(&mm->mmap_sem);", up_read, "{me} drops mmap_sem (read)", lock_op=True),
            Step("down_write(&mm->mmap_sem);", down_write,
                 "{me} takes mmap_sem (write) to keep everyone off the page tables", lock_op=True),
        ]
    else:
        vmap = ", &vma" if code.returns_vma else ""
        middle = [
            Step(f"result = hugepage_vma_revalidate(mm, address{vmap}); if (result) goto out_up_read;",
                 call_revalidate, "{me} revalidates the vma after re-taking mmap_sem",
                 on_return=after_revalidate("out_up_read")),
            Step("pmd = mm_find_pmd(mm, address); if (!pmd) { result = SCAN_PMD_NULL; goto out_up_read; }",
                 find_pmd, "{me} finds the pmd for the address"),
            Step("if (!__collapse_huge_page_swapin(mm, vma, address, pmd, referenced)) goto out_up_read;",
                 call_swapin, "{me} swaps in the range", on_return=after_swapin("out_up_read")),
            Step("up_read(&mm->mmap_sem);", up_read, "{me} drops mmap_sem (read)", lock_op=True),
            Step("down_write(&mm->mmap_sem);", down_write,
                 "{me} takes mmap_sem (write) to keep everyone off the page tables", lock_op=True),
            Step(f"result = hugepage_vma_revalidate(mm, address{vmap}); if (result) goto out;",
                 call_revalidate, "{me} revalidates the vma again under mmap_sem (write)",
                 on_return=after_revalidate("out")),
        ]
        if code.pmd_recheck:
            middle.append(Step("if (mm_find_pmd(mm, address) != pmd) goto out;", pmd_recheck,
                               "{me} checks that the pmd is still the one it found"))
    tail = [
        Step("anon_vma_lock_write(vma->anon_vma);", take_anon_vma_lock,
             "{me} takes the anon_vma lock (write) to keep rmap walkers out", lock_op=True),
        Step("pte = pte_offset_map(pmd, address); pte_ptl = pte_lockptr(mm, pmd);", map_ptes,
             "{me} maps the pte table"),
        Step("pmd_ptl = pmd_lock(mm, pmd);", take_pmd_lock, "{me} takes the pmd lock", lock_op=True),
        Step("_pmd = pmdp_collapse_flush(vma, address, pmd);", flush,
             "{me} clears the pmd and flushes the TLB: gup_fast can no longer reach the ptes"),
        Step("spin_unlock(pmd_ptl);", pmd_unlock, "{me} drops the pmd lock", lock_op=True),
        Step("spin_lock(pte_ptl);", take_pte_lock, "{me} takes the pte lock", lock_op=True),
        Step("isolated = __collapse_huge_page_isolate(vma, address, pte);", isolate,
             "{me} isolates and locks every small page of the range"),
        Step("spin_unlock(pte_ptl);", pte_unlock, "{me} drops the pte lock", lock_op=True),
        Step("if (!isolated) { pmd_populate(mm, pmd, pmd_pgtable(_pmd)); "
             "anon_vma_unlock_write(vma->anon_vma); result = SCAN_FAIL; goto out; }", isolate_failed,
             "{me} checks whether isolation worked"),
        Step("anon_vma_unlock_write(vma->anon_vma);", anon_vma_unlock,
             "{me} drops the anon_vma lock: the pages are isolated and locked", lock_op=True),
        Step("__collapse_huge_page_copy(pte, new_page, vma, address, pte_ptl);", copy,
             "{me} copies the small pages into the huge page"),
        Step("_pmd = mk_huge_pmd(new_page, vma->vm_page_prot);", mk_huge, "{me} builds the huge pmd"),
        Step("spin_lock(pmd_ptl);", take_pmd_lock, "{me} takes the pmd lock", lock_op=True),
        Step("BUG_ON(!pmd_none(*pmd)); set_pmd_at(mm, address, pmd, _pmd);", set_huge,
             "{me} installs the huge pmd"),
        Step("spin_unlock(pmd_ptl); result = SCAN_SUCCEED;", succeed, "{me} drops the pmd lock: collapsed",
             lock_op=True),
        Step("out: up_write(&mm->mmap_sem);", up_write, "{me} drops mmap_sem (write)", label="out",
             lock_op=True),
        Step("out_nolock: return result;", finish, "{me} returns", label="out_nolock"),
    ]
    if code.pointer_check:
        tail.append(Step("/* swapin failed */ up_read(&mm->mmap_sem); goto out;",
                         lambda c: (c.release(MMAP_SEM, READ), c.goto("out")),
                         "{me} drops mmap_sem (read), then goes to out", label="v1_swapin_failed",
                         lock_op=True))
    else:
        tail.append(Step("out_up_read: up_read(&mm->mmap_sem); goto out_nolock;", out_up_read,
                         "{me} drops mmap_sem (read) and gives up", label="out_up_read", lock_op=True))
    params = ("mm", "address", "hpage", "node", "referenced")
    if not code.returns_vma:
        params = ("mm", "address", "hpage", "vma", "node", "referenced")
    return Program("collapse_huge_page", KERNEL, code.variant, params, tuple(head + middle + tail),
                   doc=__doc__ or "")


def _v1_first_checks(code: Code) -> list[Step]:
    """v1: the old down_write checks, now after down_read, failing to ``out`` (up_write)."""

    def fail(c: Ctx, result: str) -> None:
        c["result"] = result
        _scan_result(c, "collapse_huge_page", result)
        c.goto("out")

    def find_pmd(c: Ctx) -> None:
        c["pmd"] = mm.mm_find_pmd(c, c["address"])
        if c["pmd"] is None:
            fail(c, "SCAN_PMD_NULL")

    return _check_steps(code, fail, "collapse_huge_page", lambda scan: f"{{ result = {scan}; goto out; }}") + [
        Step("pmd = mm_find_pmd(mm, address); if (!pmd) { result = SCAN_PMD_NULL; goto out; }", find_pmd,
             "{me} finds the pmd for the address"),
    ]


def _isolate(c: Ctx) -> bool:
    """__collapse_huge_page_isolate over all 512 ptes: thresholds and page trylocks."""
    if c["pte"] is None:
        c.say("isolate reads garbage ptes (no pte table): fails")
        return False
    table = mm.pte_table(c, c["pte"])
    counts = table.counts()
    reason = None
    if counts["none"] > c.get("config").max_ptes_none:
        reason = f"{counts['none']} none ptes > max_ptes_none {c.get('config').max_ptes_none}"
    elif counts["swap"]:
        reason = f"{counts['swap']} pte(s) still swapped out"
    else:
        for _, pte in table.ptes:
            if pte.kind == PRESENT and c.state.lock(page_lock(pte.page)) is not None:
                reason = f"page {pte.page:#x} is locked (trylock_page fails)"
                break
        else:
            if counts["writable"] == 0:
                reason = "no writable pte"
            elif counts["young"] == 0:
                reason = "no referenced pte"
    c.say(f"__collapse_huge_page_isolate {'fails: ' + reason if reason else 'succeeds'}")
    return reason is None


def _whole(covering, start: int, end: int) -> bool:
    return any(v.start <= start and end <= v.end for v in covering)


def _fix_for(code: Code, what: str) -> str:
    """The check that would have caught a failure at this kind of line in this variant."""
    if what == "pmd":
        return FIX_PMD
    if what == "anon":
        return FIX_VMA_CHECK
    return FIX_REVALIDATE if code.pointer_check else FIX_VMAP
