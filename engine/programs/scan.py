"""khugepaged_scan_mm_slot's entry (mm/khugepaged.c, v4.8): down_read_trylock on mmap_sem.

khugepaged never sleeps on a contended mmap_sem: if the trylock fails (a writer holds it,
or anyone is queued) it skips this mm.  Used by the rwsem scenario.

Departures: the scan itself (the VMA walk and khugepaged_scan_pmd) is one step.
"""

from __future__ import annotations

from engine.kernel.rwsem import READ
from engine.program import Path, Program, Step
from engine.kernel.locks import MMAP_SEM
from engine.state import Ctx


def _trylock(c: Ctx) -> None:
    if not c.trylock(MMAP_SEM, READ):
        c["result"] = "skipped: mmap_sem contended"
        c.goto("breakouterloop_mmap_sem")


def _scan(c: Ctx) -> None:
    c["result"] = "scanned"


def _up(c: Ctx) -> None:
    c.release(MMAP_SEM, READ)
    c.ret(c["result"])


SCAN_MM_SLOT = Program("khugepaged_scan_mm_slot", "v4.8", "common", ("pages",), (
    Step("if (unlikely(!down_read_trylock(&mm->mmap_sem))) goto breakouterloop_mmap_sem;", _trylock,
         "{me} tries to take mmap_sem (read) without waiting", lock_op=True),
    Step("vma = find_vma(mm, khugepaged_scan.address); /* ... khugepaged_scan_pmd() */", _scan,
         "{me} scans the mm"),
    Step("up_read(&mm->mmap_sem);", _up, "{me} drops mmap_sem (read)", lock_op=True),
    Step("breakouterloop_mmap_sem: return progress;", lambda c: c.ret(c["result"]),
         "{me} skips this mm", label="breakouterloop_mmap_sem"),
), doc=__doc__ or "")

PATHS = (Path("khugepaged_scan_mm_slot", SCAN_MM_SLOT),)
