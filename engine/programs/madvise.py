"""madvise(MADV_NOHUGEPAGE): sys_madvise → madvise_vma → madvise_behavior → hugepage_madvise
(mm/madvise.c, mm/huge_memory.c, v4.8).

Under mmap_sem (write), for every VMA the range [start, start + len) overlaps: split_vma at
start and at the end when the range covers only part of it (the old object keeps the part
in the range; a new object gets each part outside), then set VM_NOHUGEPAGE and clear
VM_HUGEPAGE on the part in the range.  A hole in the range is skipped, and the call then
returns -ENOMEM after doing the mapped parts.  The mm stays registered with khugepaged,
which must notice the new flags.

Departures: the walk over the VMAs is one step (it runs under mmap_sem for write, so no
modelled thread can see its middle); no vma_merge; start and len are taken as page-aligned.
"""

from __future__ import annotations

from engine.kernel import mm
from engine.kernel.vma import VM_HUGEPAGE, VM_NOHUGEPAGE
from engine.program import Path, line
from engine.programs.syscall import locked
from engine.state import Ctx

ENOMEM = -12
_SPLIT = "madvise → split_vma → __split_vma → kmem_cache_alloc"


@line("vma = find_vma_prev(mm, start, &prev);", "{me} finds the vma")
def _find(c: Ctx) -> None:
    c["vma"] = mm.find_vma(c, c["start"])


@line("for (each vma in [start, end)) { if (start > vma->vm_start) split_vma(mm, vma, start, 1); "
      "if (end < vma->vm_end) split_vma(mm, vma, end, 0); vma->vm_flags = (vma->vm_flags & ~VM_HUGEPAGE) "
      "| VM_NOHUGEPAGE; }  /* a hole: unmapped_error = -ENOMEM */",
      "{me} forbids huge pages in every vma of the range (hugepage_madvise)")
def _flags(c: Ctx) -> None:
    start, end = c["start"], c["start"] + c["len"]
    pos, result = start, 0
    while pos < end:
        found = mm.find_vma(c, pos)
        if found is None or c.get("slab").get(found.ref).vma.start >= end:
            result = ENOMEM
            break
        index = found.ref
        vma = c.get("slab").get(index).vma
        if vma.start > pos:
            result = ENOMEM
        if vma.start < start:
            mm.split_vma(c, start, keep_low=False, stack=_SPLIT)
        if vma.end > end:
            mm.split_vma(c, end, keep_low=True, stack=_SPLIT)
        vma = c.get("slab").get(index).vma
        mm.write_vma(c, index, vma.with_flags(add=(VM_NOHUGEPAGE,), drop=(VM_HUGEPAGE,)))
        c.say(f"{c.me} marks {vma.describe()} VM_NOHUGEPAGE (object {mm.vma_ptr(c, index)})")
        pos = vma.end
    if result:
        c.say(f"{c.me} finds part of the range unmapped: madvise returns -ENOMEM")
    c["ret"] = result


MADVISE = locked("madvise", (_find, _flags), ("start", "len"), __doc__ or "")

PATHS = (Path("madvise", MADVISE, task=True),)
