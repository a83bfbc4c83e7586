"""Which locks exist: one constructor per lock the modelled paths take.

A :class:`LockId` names one lock instance (``str()`` is the name the UI and the kernel log
show), says how it behaves (``kind``: a sleeping rwsem, a spinlock, the PG_locked page
bit, or ``irq``: interrupts disabled on one thread's CPU) and which lock class it belongs
to (``cls``, as lockdep groups instances), so views never parse a name back.
"""

from __future__ import annotations

from dataclasses import dataclass

RWSEM, SPINLOCK, PAGE, IRQ = "rwsem", "spinlock", "page", "irq"


@dataclass(frozen=True, slots=True)
class LockId:
    name: str
    kind: str
    cls: str

    def __str__(self) -> str:
        return self.name


MMAP_SEM = LockId("mmap_sem", RWSEM, "mmap_sem")


def anon_vma_lock(anon_vma: int) -> LockId:
    """anon_vma->root->rwsem of the anon_vma with this id."""
    return LockId(f"anon_vma {anon_vma}", RWSEM, "anon_vma")


def pmd_lock(table_pfn: int) -> LockId:
    """The split pmd lock of the pmd table page at ``table_pfn`` (pmd_lockptr)."""
    return LockId(f"pmd_lock {table_pfn:#x}", SPINLOCK, "ptl")


def pte_lock(table_pfn: int | None) -> LockId:
    """The split pte lock of the pte table page at ``table_pfn`` (pte_lockptr); a pte that
    maps no table (None) locks the lock of page 0, as the kernel's garbage pointer would."""
    return LockId(f"pte_lock {table_pfn or 0:#x}", SPINLOCK, "ptl")


def page_lock(pfn: int) -> LockId:
    """PG_locked of the page at ``pfn`` (lock_page, trylock_page, wait_on_page_locked)."""
    return LockId(f"page {pfn:#x} (PG_locked)", PAGE, "page")


def irqs_off(tid: str) -> LockId:
    """Interrupts disabled on the CPU thread ``tid`` runs on (local_irq_save): not a lock,
    but it behaves like one for a TLB-flush IPI, which cannot complete on that CPU until
    interrupts are enabled again.  Only ``tid`` takes it, and never waits to
    (docs/model.md#gup-fast)."""
    return LockId(f"interrupts off (CPU of {tid})", IRQ, "irq")
