"""collapse_huge_page in v5.4 and v5.8 (mm/khugepaged.c): v4.8's code, a wider
hugepage_vma_check, and in v5.8 the test that closes what that opened.

v5.4 [V: commit 99cb0dbd47a1, "mm,thp: add read-only THP support for (non-shmem) FS",
Song Liu, 2019]: ``hugepage_vma_check`` accepts, besides the anonymous cases, a file VMA
(``vm_file``) mapped with ``VM_DENYWRITE`` (an executable's text) when the kernel has
CONFIG_READ_ONLY_THP_FOR_FS, provided its file offset is 2 MiB-aligned with ``vm_start``;
that branch comes before the anonymous tests and returns from the function.  The anonymous
collapse had borrowed "it is anonymous" from that function: from v5.4 a file VMA can pass
every check of ``hugepage_vma_revalidate``, and ``collapse_huge_page`` goes on to
``anon_vma_lock_write(vma->anon_vma)`` with a NULL anon_vma (syzbot, July 2020).
v5.8 [V: commit 594cced14ad3, "khugepaged: fix null-pointer dereference due to race",
Fixes: 99cb0dbd47a1]: ``hugepage_vma_revalidate`` tests what the anonymous collapse needs
itself, "Anon VMA expected": ``!vma->anon_vma || vma->vm_ops`` gives SCAN_VMA_CHECK.  v5.8
also renamed mmap_sem to mmap_lock, and its calls (da1c55f1b272 and the series around it)
[V]; the v5.8 programs are v4.8's renamed (engine.eras.retag).

In the model the check is a function of its own (three lines), so the learner sees which
branch accepted the VMA; v4.8's one-line hugepage_vma_check is unchanged.  Everything else
runs the v4.8 code.  What else changed between 4.8 and 5.8 and is left out:
- the v4.8 departures (engine/programs/khugepaged/collapse.py) all still apply;
- hugepage_vma_check's shmem half of the file branch (``shmem_file(vma->vm_file) ||``),
  MMF_DISABLE_THP, temporary stacks and VM_NO_KHUGEPAGED are not modelled, as in v4.8 [I
  for the exact v5.4 text, which we did not read; the branch order is the commit's];
- ``mmget_still_valid(mm)`` after the write lock in collapse_huge_page, added for core
  dumps by 59ea6d06cfa9 (v5.1 [I]): no core dump is modelled;
- the memcg charge (mem_cgroup_try_charge, then mem_cgroup_charge in v5.8 [I]) and the
  mmu_notifier_range API (v5.0 [I]): both are left out of the model anyway;
- the swap-in's ``fe`` became ``struct vm_fault vmf`` (v4.10 [I]); our lines keep ``fe``;
  from about v5.6 the fault path may retry more than once (Peter Xu [I]); khugepaged's
  swap-in still passes FAULT_FLAG_ALLOW_RETRY and sees VM_FAULT_RETRY with mmap_sem
  dropped [I];
- v5.8's isolate also takes swap-cache and PTE-mapped compound pages and has
  ``max_ptes_shared`` (Kirill Shutemov's 2020 series [I]); isolate keeps v4.8's tests;
- the v5.3 rwsem (hand-off bit, S12) [V]: the model keeps 4.x's FIFO rules, whose two
  rules that matter here (a waiter blocks new readers and trylocks) are the same;
- munmap(2) may downgrade mmap_sem to read for the zap from v4.20 [I]; mmap(MAP_FIXED)'s
  own unmapping does not, and munmap(2) is modelled as in v4.8;
- the file collapse itself (khugepaged_scan_file, collapse_file, retract_page_tables) is
  not modelled: K is an anonymous collapse that was already under way.
"""

from __future__ import annotations

from collections.abc import Callable

from engine import fixes
from engine.kernel import mm
from engine.kernel.vma import HPAGE_PMD_NR, PAGE_SIZE, VM_DENYWRITE, Vma
from engine.program import Program, Step, line
from engine.programs.khugepaged.code import Code
from engine.state import Ctx


def _vma(c: Ctx, field: str) -> Vma:
    return mm.deref(c, c["vma"], field, "hugepage_vma_check", fixes.VMA_NULL)


@line("if ((!(vm_flags & VM_HUGEPAGE) && !khugepaged_always()) || (vm_flags & VM_NOHUGEPAGE)) return false;",
      "{me} checks that huge pages are allowed in the vma")
def _thp_allowed(c: Ctx) -> None:
    if not mm.is_thp_allowed(c, _vma(c, "vm_flags")):
        c.ret(False)


@line("if (IS_ENABLED(CONFIG_READ_ONLY_THP_FOR_FS) && vma->vm_file && (vm_flags & VM_DENYWRITE)) "
      "return IS_ALIGNED((vma->vm_start >> PAGE_SHIFT) - vma->vm_pgoff, HPAGE_PMD_NR);",
      "{me} accepts read-only file text whose file offset is 2 MiB-aligned with vm_start")
def _file_text(c: Ctx) -> None:
    vma = _vma(c, "vm_file")
    if vma.file is None or not vma.has(VM_DENYWRITE):
        return
    aligned = (vma.start // PAGE_SIZE - vma.pgoff) % HPAGE_PMD_NR == 0
    c.say(f"{vma.describe()} is read-only file text (VM_DENYWRITE): hugepage_vma_check returns "
          f"{'true, before any anonymous test' if aligned else 'false: the file offset is not 2 MiB-aligned'}")
    c.ret(aligned)


@line("if (!vma->anon_vma || vma->vm_ops) return false; return true;",
      "{me} checks that the vma is anonymous, with an anon_vma")
def _anon(c: Ctx) -> None:
    vma = _vma(c, "anon_vma")
    c.ret(vma.anon_vma is not None and vma.vm_ops is None)


def hugepage_vma_check(code: Code) -> Program:
    """hugepage_vma_check(vma, vm_flags) from v5.4: may this VMA have huge pages?"""
    return Program("hugepage_vma_check", code.kernel, code.variant, ("vma", "vm_flags"),
                   (_thp_allowed, _file_text, _anon), doc=__doc__ or "")


def call_check(check: Program, fail: Callable[[Ctx, str], None], on_fail: Callable[[str], str]) -> Step:
    """The revalidation's line that calls ``check``: a false answer fails with SCAN_VMA_CHECK."""

    def answered(c: Ctx, ok: object) -> None:
        if not ok:
            fail(c, "SCAN_VMA_CHECK")

    @line(f"if (!hugepage_vma_check(vma, vma->vm_flags)) {on_fail('SCAN_VMA_CHECK')}",
          "{me} asks hugepage_vma_check whether the vma may have huge pages", on_return=answered)
    def call(c: Ctx) -> None:
        c.call(check, vma=c["vma"])

    return call


def anon_test(fail: Callable[[Ctx, str], None], caller: str, on_fail: Callable[[str], str]) -> Step:
    """v5.8's "Anon VMA expected" test, right after hugepage_vma_check."""

    @line(f"/* Anon VMA expected */ if (!vma->anon_vma || vma->vm_ops) {on_fail('SCAN_VMA_CHECK')}",
          "{me} checks that the vma is anonymous, as the anonymous collapse needs")
    def anon_expected(c: Ctx) -> None:
        vma = mm.deref(c, c["vma"], "anon_vma", caller, fixes.VMA_NULL)
        if vma.anon_vma is None or vma.vm_ops is not None:
            c.say(f"{vma.describe()} has {'no anon_vma' if vma.anon_vma is None else 'vm_ops'}: "
                  "not the anonymous vma the collapse needs")
            fail(c, "SCAN_VMA_CHECK")

    return anon_expected
