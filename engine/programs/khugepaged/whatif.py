"""The lines of what-if code: khugepaged as no kernel ran it, to show why the kernel does not.

``v4.8-collapse-under-read`` (Code.collapse_under_read) is v4.8 with the ``up_read`` +
``down_write`` before the pmd conversion replaced by one line that keeps mmap_sem for read,
and the ``up_write`` at ``out`` an ``up_read`` to match (docs/model.md#v4-8-collapse-under-read).
Under it a page fault, which needs mmap_sem only for read, may find the pmd that
pmdp_collapse_flush cleared and fill it with a new pte table; khugepaged's
``BUG_ON(!pmd_none(*pmd))`` before set_pmd_at then fires.
"""

from __future__ import annotations

from engine.kernel.locks import MMAP_SEM
from engine.kernel.rwsem import READ
from engine.program import Step, unlock_step

KEEP_READ = Step("/* what-if: keep mmap_sem for read across the conversion */", lambda c: None,
                 "{me} keeps mmap_sem for read: page faults can still run (what-if, not a real kernel)")
OUT_READ = unlock_step(MMAP_SEM, READ, "out: up_read(&mm->mmap_sem);", "{me} drops mmap_sem (read)", label="out")
