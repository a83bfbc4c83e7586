"""__collapse_huge_page_swapin, do_swap_page and __lock_page_or_retry (mm/khugepaged.c,
mm/memory.c, mm/filemap.c, v4.8).

khugepaged swaps in the range's swap ptes holding mmap_sem for read.  do_swap_page runs with
FAULT_FLAG_ALLOW_RETRY alone: when it cannot lock the swap cache page (the readahead I/O
still holds it), __lock_page_or_retry drops mmap_sem and sleeps until the page is unlocked,
and the fault returns VM_FAULT_RETRY.  The swapin then re-takes mmap_sem and must
revalidate: v1 compares find_vma's answer with vma_orig, v4.8 calls
hugepage_vma_revalidate and rechecks the pmd.

Departures: the loop visits only the drawn swap ptes (the summary has none); v1 has no
``referenced`` test (it came with a later patch of the series).
"""

from __future__ import annotations

from engine import fixes
from engine.kernel import mm
from engine.kernel.locks import MMAP_SEM, page_lock
from engine.kernel.pgtable import PRESENT, SWAP, Pte, PteTable
from engine.kernel.ptr import compared
from engine.kernel.rwsem import READ, WRITE
from engine.kernel.vma import HPAGE_PMD_NR, HPAGE_PMD_SIZE, PAGE_SIZE
from engine.program import Program, Step, Value, line, lock_step, unlock_step
from engine.programs.khugepaged.code import KERNEL, Code
from engine.programs.khugepaged.revalidate import pmd_changed, revalidated
from engine.state import Ctx

VM_FAULT_RETRY, VM_FAULT_OK = "VM_FAULT_RETRY", 0


@line("wait_on_page_locked(page);", "{me} sleeps until the swap-in I/O unlocks the page", lock_op=True)
def _wait_on_page(c: Ctx) -> None:
    c.wait_unlocked(page_lock(c["page"]))


LOCK_PAGE_OR_RETRY = Program("__lock_page_or_retry", KERNEL, "common", ("page", "mm", "flags"), (
    unlock_step(MMAP_SEM, READ, "if (flags & FAULT_FLAG_ALLOW_RETRY) { /* no RETRY_NOWAIT */ up_read(&mm->mmap_sem);",
                "{me} cannot lock the page, so it drops mmap_sem (read) before sleeping"),
    _wait_on_page,
    Step("return 0; }", lambda c: c.ret(0), "{me} returns without the page lock and without mmap_sem"),
), doc="FAULT_FLAG_ALLOW_RETRY without RETRY_NOWAIT: mmap_sem is released (docs/model.md#do-swap-page).")


@line("page = lookup_swap_cache(entry);", "{me} finds the swap cache page for the entry")
def _lookup(c: Ctx) -> None:
    page = next((p for p in c.get("pages") if p.swap == c["entry"]), None)
    if page is None:
        data = ((c["fe_address"], dict(c.get("swap"))[c["entry"]]),)
        c["page"] = mm.add_page(c, data, swap=c["entry"])
    else:
        c["page"] = page.pfn


@line("if (!lock_page_or_retry(page, fe->vma->vm_mm, fe->flags)) return VM_FAULT_RETRY;",
      "{me} tries to lock the swap cache page", on_return=lambda c, value: c.ret(VM_FAULT_RETRY), lock_op=True)
def _lock(c: Ctx) -> None:
    if not c.trylock(page_lock(c["page"]), WRITE):
        c.call(LOCK_PAGE_OR_RETRY, page=c["page"], flags="FAULT_FLAG_ALLOW_RETRY")


@line("fe->pte = pte_offset_map_lock(mm, fe->pmd, fe->address, &fe->ptl); "
      "if (!pte_same(*fe->pte, orig_pte)) goto out_nomap;",
      "{me} maps the pte again and checks it still holds the swap entry")
def _map_pte(c: Ctx) -> None:
    table = mm.pte_offset_map(c, c["pmd"], c["fe_address"], "do_swap_page", fixes.PMD_RECHECK)
    c["same"] = table is not None and table.pte(c["fe_address"]) == Pte(SWAP, swap=c["entry"])
    c["table"] = table.pfn if table else None
    if not c["same"]:
        c.goto("out_nomap")


@line("set_pte_at(mm, fe->address, fe->pte, mk_pte(page, fe->vma->vm_page_prot)); swap_free(entry);",
      "{me} maps the page and frees the swap entry")
def _install(c: Ctx) -> None:
    mm.deref(c, c["vma"], "vm_page_prot", "do_swap_page", fixes.VMAP)
    table = mm.pte_table(c, c["table"])
    mm.set_pte(c, table, c["fe_address"], Pte(PRESENT, page=c["page"], writable=True, young=True))
    c.put(swap=tuple((s, d) for s, d in c.get("swap") if s != c["entry"]))


def _unlock(c: Ctx) -> None:
    c.release(page_lock(c["page"]), WRITE)
    c.ret(VM_FAULT_OK)


DO_SWAP_PAGE = Program("do_swap_page", KERNEL, "common", ("fe", "orig_pte"), (
    _lookup, _lock, _map_pte, _install,
    Step("unlock_page(page); pte_unmap_unlock(fe->pte, fe->ptl); return 0;", _unlock,
         "{me} unlocks the page", lock_op=True),
    Step("out_nomap: pte_unmap_unlock(fe->pte, fe->ptl); unlock_page(page); return 0;", _unlock,
         "{me} finds the pte changed and gives the page back", label="out_nomap", lock_op=True),
), doc="Swap-in of one pte; the page lock decides whether mmap_sem is dropped.", callees=(LOCK_PAGE_OR_RETRY,))


# -- __collapse_huge_page_swapin: the loop, the same in every variant --------------------------
@line("if (referenced < HPAGE_PMD_NR/2) return false;",
      "{me} checks that enough ptes were referenced to justify swap-in")
def _cold(c: Ctx) -> None:
    if c["referenced"] < HPAGE_PMD_NR // 2:
        c.say(f"only {c['referenced']} of 512 ptes were referenced: not worth swapping in")
        c.ret(False)


@line("struct vm_area_struct *vma_orig = vma;", "{me} remembers the vma pointer as vma_orig")
def _remember(c: Ctx) -> None:
    c["vma_orig"] = c["vma"]


@line("fe.pte = pte_offset_map(pmd, address);", "{me} maps the pte table of the range")
def _map_first(c: Ctx) -> None:
    table = mm.pte_offset_map(c, c["pmd"], c["address"], "__collapse_huge_page_swapin", fixes.PMD_RECHECK)
    c["pte"] = table.pfn if table else None
    c["fe_address"] = c["address"]


def _after_swap(c: Ctx, ret: Value) -> None:
    c["ret"] = ret
    if ret != VM_FAULT_RETRY:
        c.goto("remap")


@line("for (; fe.address < address + HPAGE_PMD_SIZE; fe.pte++, fe.address += PAGE_SIZE) "
      "if (is_swap_pte(*fe.pte)) ret = do_swap_page(&fe, *fe.pte);",
      "{me} looks for the next swap pte and swaps it in", label="loop", on_return=_after_swap)
def _next_swap(c: Ctx) -> None:
    table = mm.pte_table(c, c["pte"]) if c["pte"] is not None else PteTable(0)
    hits = [a for a, p in table.ptes if p.kind == SWAP and a >= c["fe_address"]
            and a < c["address"] + HPAGE_PMD_SIZE]
    if not hits:
        c.goto("done")
        return
    c["fe_address"] = hits[0]
    c["entry"] = table.pte(hits[0]).swap
    c.call(DO_SWAP_PAGE, vma=c["vma"], pmd=c["pmd"], fe_address=hits[0], entry=c["entry"])


_RETAKE = lock_step(MMAP_SEM, READ, "if (ret & VM_FAULT_RETRY) { down_read(&mm->mmap_sem);",
                    "{me} re-takes mmap_sem (read) after do_swap_page dropped it")


@line("fe.pte = pte_offset_map(pmd, fe.address);", "{me} maps the pte table again (do_swap_page unmapped it)",
      label="remap")
def _remap(c: Ctx) -> None:
    table = mm.pte_offset_map(c, c["pmd"], c["fe_address"], "__collapse_huge_page_swapin", fixes.PMD_RECHECK)
    c["pte"] = table.pfn if table else None
    c["fe_address"] += PAGE_SIZE
    c.goto("loop")


_DONE = Step("return true;", lambda c: c.ret(True), "{me} has swapped in the range", label="done")


# -- what the variants do after re-taking mmap_sem -----------------------------------------------
@line("vma = find_vma(mm, address); if (vma != vma_orig) return false; }",
      "{me} looks the vma up again and compares the pointer with vma_orig", shows=("vma", "vma_orig"))
def _pointer_check(c: Ctx) -> None:
    c["vma"] = mm.find_vma(c, c["address"], "find_vma, called from __collapse_huge_page_swapin", fixes.EXIT_TEST)
    same, text, fooled = compared("vma", c["vma"], "vma_orig", c["vma_orig"])
    c.say(f"{text}: the pointer check {'passes' if same else 'fails'}" + (f", {fooled}" if fooled else ""))
    if not same:
        c.ret(False)


@line("if (mm_find_pmd(mm, address) != pmd) return false; }", "{me} checks that the pmd is still the one it mapped",
      shows=("pmd",))
def _pmd_check(c: Ctx) -> None:
    if pmd_changed(c):
        c.ret(False)


def _revalidate_step(code: Code, revalidate_program: Program) -> Step:
    vmap = ", &fe.vma" if code.returns_vma else ""
    close = "" if code.pmd_recheck else " }"

    def after(c: Ctx, value: Value) -> None:
        if revalidated(c, code, value) != 0:
            c.ret(False)

    @line(f"if (hugepage_vma_revalidate(mm, address{vmap})) return false;{close}", "{me} revalidates the vma",
          on_return=after)
    def call(c: Ctx) -> None:
        c.call(revalidate_program, address=c["address"])

    return call


def swapin(code: Code, revalidate_program: Program) -> Program:
    """__collapse_huge_page_swapin: swap in every swap pte of the range under mmap_sem read."""
    if code.pointer_check:
        first, after_retake = (_remember,), (_pointer_check,)
    else:
        first = (_cold,)
        after_retake = (_revalidate_step(code, revalidate_program),) + ((_pmd_check,) if code.pmd_recheck else ())
    steps = first + (_map_first, _next_swap, _RETAKE) + after_retake + (_remap, _DONE)
    params = ("mm", "vma", "address", "pmd") + (() if code.pointer_check else ("referenced",))
    return Program("__collapse_huge_page_swapin", code.kernel, code.variant, params, steps,
                   doc="Swap in the range's swap ptes under mmap_sem (read); do_swap_page may drop it.",
                   callees=(DO_SWAP_PAGE, revalidate_program))
