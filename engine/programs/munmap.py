"""munmap(2): vm_munmap and do_munmap (mm/mmap.c, v4.8).

do_munmap splits the VMAs that straddle the range (__split_vma allocates a *new* object
for the split-off part; the old object keeps the other part), detaches the VMAs inside,
zaps their ptes and frees page tables nobody shares, then frees the objects.

Departures: no vma_merge; VM_ACCOUNT, mlock, userfaultfd and uprobe bookkeeping left out;
the vmacache is not modelled (detach invalidates it, so find_vma never sees a stale entry).
"""

from __future__ import annotations

from engine.kernel import mm
from engine.program import Path, Program, Step
from engine.programs.syscall import KERNEL, locked
from engine.state import Ctx


def _first(c: Ctx) -> None:
    c["vma"] = mm.find_vma(c, c["start"])
    vma = c["vma"] and c.get("slab").get(c["vma"].ref).vma
    if vma is None or vma.start >= c["start"] + c["len"]:
        c.ret(0)


_SPLIT = "do_munmap → __split_vma → kmem_cache_alloc"


def _split_start(c: Ctx) -> None:
    mm.split_vma(c, c["start"], keep_low=True, stack=_SPLIT)


def _split_end(c: Ctx) -> None:
    mm.split_vma(c, c["start"] + c["len"], keep_low=False, stack=_SPLIT)


def _detach(c: Ctx) -> None:
    start, end = c["start"], c["start"] + c["len"]
    slab = c.get("slab")
    inside = tuple(i for i in c.get("mm").vmas
                   if start <= slab.get(i).vma.start and slab.get(i).vma.end <= end)
    for i in inside:
        mm.unlink_vma(c, i)
    c["detached"] = inside
    c.say(f"{c.me} detaches {len(inside)} vma(s) from the mm")


def _unmap(c: Ctx) -> None:
    mm.unmap_region(c, c["start"], c["start"] + c["len"])


def _remove(c: Ctx) -> None:
    for i in c["detached"]:
        mm.free_vma(c, i, "do_munmap → remove_vma_list → remove_vma → kmem_cache_free")
    c.ret(0)


DO_MUNMAP = Program("do_munmap", KERNEL, "common", ("mm", "start", "len"), (
    Step("vma = find_vma(mm, start); if (!vma || vma->vm_start >= end) return 0;", _first,
         "{me} finds the first vma of the range"),
    Step("if (start > vma->vm_start) __split_vma(mm, vma, start, 0);", _split_start,
         "{me} splits off the part of a vma below the range, if there is one"),
    Step("last = find_vma(mm, end); if (last && end > last->vm_start) __split_vma(mm, last, end, 1);",
         _split_end, "{me} splits off the part of a vma above the range, if there is one"),
    Step("detach_vmas_to_be_unmapped(mm, vma, prev, end);", _detach, "{me} unlinks the vmas of the range"),
    Step("unmap_region(mm, vma, prev, start, end);", _unmap,
         "{me} zaps the ptes and frees the page tables nobody else uses"),
    Step("remove_vma_list(mm, vma);", _remove, "{me} frees the vm_area_structs"),
), doc=__doc__ or "")


VM_MUNMAP = locked("vm_munmap", (
    Step("ret = do_munmap(mm, start, len);", lambda c: c.call(DO_MUNMAP, start=c["start"], len=c["len"]),
         "{me} unmaps the range", on_return=lambda c, v: None),
), ("start", "len"), __doc__ or "", callees=(DO_MUNMAP,))

PATHS = (Path("vm_munmap", VM_MUNMAP, task=True),)
