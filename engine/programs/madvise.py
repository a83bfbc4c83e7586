"""madvise(MADV_NOHUGEPAGE) (mm/madvise.c, hugepage_madvise in v4.8).

Changes vm_flags of the same VMA object under mmap_sem (write): VM_NOHUGEPAGE set,
VM_HUGEPAGE cleared.  The mm stays registered with khugepaged, which must notice.

Departures: only whole-VMA ranges (no split_vma, no vma_merge).
"""

from __future__ import annotations

from engine.kernel import mm
from engine.kernel.vma import VM_HUGEPAGE, VM_NOHUGEPAGE
from engine.program import Path, Step
from engine.programs.syscall import locked
from engine.state import Ctx


def _find(c: Ctx) -> None:
    c["vma"] = mm.find_vma(c, c["start"])


def _flags(c: Ctx) -> None:
    index = c["vma"].ref
    vma = c.get("slab").get(index).vma
    mm.write_vma(c, index, vma.with_flags(add=(VM_NOHUGEPAGE,), drop=(VM_HUGEPAGE,)))
    c.say(f"{c.me} marks {vma.describe()} VM_NOHUGEPAGE (same object {c['vma']})")


MADVISE = locked("madvise", (
    Step("vma = find_vma_prev(mm, start, &prev);", _find, "{me} finds the vma"),
    Step("*vm_flags &= ~VM_HUGEPAGE; *vm_flags |= VM_NOHUGEPAGE; vma->vm_flags = new_flags;", _flags,
         "{me} forbids huge pages in the vma (hugepage_madvise)"),
), ("start", "len"), __doc__ or "")

PATHS = (Path("madvise", MADVISE),)
