"""Process exit: mmput → __mmput → khugepaged_exit → exit_mmap (kernel/fork.c, mm/mmap.c, v4.8).

The last mmput drops mm_users to 0.  __khugepaged_exit finds the mm_slot is the one
khugepaged is scanning, so instead of freeing it, it takes and drops mmap_sem for write: a
barrier that waits for khugepaged to leave any mmap_sem critical section; khugepaged tests
mm_users under mmap_sem and so must see the exit afterwards.  exit_mmap then zaps and frees
everything holding no mmap lock, and (4.x) leaves mm->mmap pointing at the freed VMAs.
The mm_struct survives: khugepaged's mm_slot holds mm_count.

Departures: the mm_slot is always khugepaged's current one (the interesting case); the
khugepaged_mm_lock section is one step.
"""

from __future__ import annotations

from dataclasses import replace

from engine.kernel import mm
from engine.kernel.rwsem import WRITE
from engine.program import Path, Program, Step
from engine.kernel.locks import MMAP_SEM
from engine.state import Ctx


def _dec(c: Ctx) -> None:
    users = c.get("mm").users - 1
    c.put(mm=replace(c.get("mm"), users=users))
    c.say(f"mm_users drops to {users}")
    if users:
        c.ret(0)


def _exit_zap(c: Ctx) -> None:
    mm.unmap_region(c, 0, 1 << 47, everything=True)


def _remove_all(c: Ctx) -> None:
    for index in c.get("mm").vmas:
        if c.get("slab").get(index).state == "allocated":
            mm.free_vma(c, index, "exit_mmap → remove_vma → kmem_cache_free")


def _mmdrop(c: Ctx) -> None:
    c.put(mm=replace(c.get("mm"), count=c.get("mm").count - 1))
    c.ret(0)


MMPUT = Program("mmput", "v4.8", "common", ("mm",), (
    Step("if (!atomic_dec_and_test(&mm->mm_users)) return;", _dec, "{me} drops its reference to the mm"),
    Step("spin_lock(&khugepaged_mm_lock); free = mm_slot != khugepaged_scan.mm_slot; "
         "spin_unlock(&khugepaged_mm_lock);", lambda c: c.__setitem__("free", 0),
         "{me} finds khugepaged is scanning this mm, so it cannot free the mm_slot"),
    Step("if (!free) down_write(&mm->mmap_sem);", lambda c: c.acquire(MMAP_SEM, WRITE),
         "{me} takes mmap_sem (write) as a barrier against khugepaged", lock_op=True),
    Step("up_write(&mm->mmap_sem);", lambda c: c.release(MMAP_SEM, WRITE),
         "{me} drops mmap_sem at once: the barrier is passed", lock_op=True),
    Step("exit_mmap(mm): unmap_vmas(&tlb, vma, 0, -1); free_pgtables(&tlb, vma, FIRST_USER_ADDRESS, USER_PGTABLES_CEILING);",
         _exit_zap, "{me} zaps every mapping and frees the page tables, holding no mmap_sem"),
    Step("while (vma) vma = remove_vma(vma);  /* mm->mmap still points at them */", _remove_all,
         "{me} frees every vm_area_struct"),
    Step("mmdrop(mm);", _mmdrop, "{me} drops mm_count; khugepaged's mm_slot keeps the mm_struct alive"),
), doc=__doc__ or "")

PATHS = (Path("mmput", MMPUT),)
