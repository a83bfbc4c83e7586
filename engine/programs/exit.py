"""Process exit: do_group_exit → exit_mm → mmput → __mmput → khugepaged_exit → exit_mmap
(kernel/exit.c, kernel/fork.c, mm/mmap.c, v4.8).

mm_users counts the users of the address space: every thread of the process (a scenario's
threads that run system calls or faults) and whoever took mmget (a /proc reader).  The
exiting thread (the ``mmput`` path) calls exit_group, which tells the process's other threads
to die, and drops its own reference.  A thread told to die finishes the system call it is in
and then, on its way out, drops its reference with mmput [I: the exact exit_group order].  Only
the last mmput runs __mmput.  __khugepaged_exit finds the mm_slot is the one
khugepaged is scanning, so instead of freeing it, it takes and drops mmap_sem for write: a
barrier that waits for khugepaged to leave any mmap_sem critical section; khugepaged tests
mm_users under mmap_sem and so must see the exit afterwards.  exit_mmap then zaps and frees
everything holding no mmap lock, and (4.x) leaves mm->mmap pointing at the freed VMAs.
The mm_struct survives: khugepaged's mm_slot holds mm_count.

Departures: the mm_slot is always khugepaged's current one (the interesting case); the
khugepaged_mm_lock section is one step; a scenario with no thread of the process counts one
user, the process's own unmodelled thread.
"""

from __future__ import annotations

from dataclasses import replace

from engine.kernel import mm
from engine.kernel.rwsem import WRITE
from engine.program import Path, Program, Step
from engine.kernel.locks import MMAP_SEM
from engine.state import DONE, Ctx


def _dec(c: Ctx) -> None:
    users = c.get("mm").users - 1
    c.put(mm=replace(c.get("mm"), users=users))
    _dropped(c, users)


def _exit_group(c: Ctx) -> None:
    """The other threads die: one in a system call finishes it first (it runs its on_exit
    mmput then); one already back in user space dies at once and drops its reference here."""
    idle = [t.tid for t in c.state.threads if t.tid != c.tid and t.status == DONE and t.on_exit is not None]
    users = c.get("mm").users - 1 - len(idle)
    c.put(mm=replace(c.get("mm"), users=users, exiting=True))
    if idle:
        c.say(f"{', '.join(idle)} {'is' if len(idle) == 1 else 'are'} in user space and exit at once")
    _dropped(c, users)


def _dropped(c: Ctx, users: int) -> None:
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


_MMPUT_REST = (
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
)

MMPUT = Program("mmput", "v4.8", "common", ("mm",), (
    Step("if (!atomic_dec_and_test(&mm->mm_users)) return;", _dec, "{me} drops its reference to the mm"),
) + _MMPUT_REST, doc=__doc__ or "")

DO_GROUP_EXIT = Program("do_group_exit", "v4.8", "common", ("mm",), (
    Step("zap_other_threads(current); /* exit_mm: */ if (!atomic_dec_and_test(&mm->mm_users)) return;",
         _exit_group, "{me} tells the other threads to exit and drops its reference to the mm"),
) + _MMPUT_REST, doc=__doc__ or "")

PATHS = (Path("mmput", DO_GROUP_EXIT, task=True, exits=True),)
