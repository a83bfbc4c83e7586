"""Reading /proc/PID/maps: m_start, show_map, m_stop (fs/proc/task_mmu.c, v4.8).

Another process reads the maps file: it takes a reference on the mm (mm_users, so an
exiting process cannot tear the address space down under it), walks the VMA list under
mmap_sem (read), then drops mmap_sem and its reference; the last mmput runs exit_mmap.

Departures: the seq_file's restarts are left out, so the whole list is shown in one step
(the walk holds mmap_sem, so no modelled thread can see its middle).
"""

from __future__ import annotations

from dataclasses import replace

from engine import fixes, oracles
from engine.kernel.locks import MMAP_SEM
from engine.kernel.rwsem import READ
from engine.kernel.slab import ALLOCATED
from engine.program import Path, Program, Step, line, lock_step, unlock_step
from engine.programs.exit import MMPUT
from engine.state import Ctx


@line("mm = priv->mm; if (!mm || !atomic_inc_not_zero(&mm->mm_users)) return NULL;",
      "{me} takes a reference on the mm unless it is already exiting")
def _get_mm(c: Ctx) -> None:
    users = c.get("mm").users
    if users == 0:
        c.say(f"{c.me} finds mm_users 0: the process is exiting, nothing to show")
        c.ret(0)
        return
    c.put(mm=replace(c.get("mm"), users=users + 1))
    c.say(f"mm_users rises to {users + 1}")


@line("for (vma = mm->mmap; vma; vma = vma->vm_next) show_map_vma(m, vma);", "{me} prints every vma")
def _show(c: Ctx) -> None:
    slab = c.get("slab")
    for index in c.get("mm").vmas:
        obj = slab.get(index)
        if obj.state != ALLOCATED:
            oracles.vma_use_after_free(c, obj, "vm_next", "show_map", fixes.MMAP_SEM_HELD)
    c.say(f"{c.me} shows {len(c.get('mm').vmas)} vma(s)")


PROC_MAPS = Program("show_maps", "v4.8", "common", ("pid",), (
    _get_mm,
    lock_step(MMAP_SEM, READ, "down_read(&mm->mmap_sem);", "{me} takes mmap_sem (read)"),
    _show,
    unlock_step(MMAP_SEM, READ, "m_stop: up_read(&mm->mmap_sem);", "{me} drops mmap_sem (read)"),
    Step("mmput(mm); return 0;", lambda c: c.call(MMPUT), "{me} drops its reference to the mm",
         on_return=lambda c, value: c.ret(0)),
), doc=__doc__ or "", callees=(MMPUT,))

PATHS = (Path("show_maps", PROC_MAPS),)
