"""The checks that would have caught a violation, as values.

Every report ends with the check (or the later fix) that would have stopped it.  A
:class:`Fix` is one of the constants below, so code names a check by value and the text
the learner reads is written once.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Fix:
    id: str
    text: str

    def __str__(self) -> str:
        return self.text


VMAP = Fix("vmap", 'hugepage_vma_revalidate() handing the vma it found back through **vmap '
                   '("khugepaged: fix use-after-free in collapse_huge_page()", v4.8)')
PMD_RECHECK = Fix("pmd-recheck", 'mm_find_pmd(mm, address) != pmd after re-taking mmap_sem '
                                 '("khugepaged: recheck pmd after mmap_sem re-acquired", v4.8)')
VMA_CHECK = Fix("vma-check", "hugepage_vma_check() in hugepage_vma_revalidate() after down_write (SCAN_VMA_CHECK)")
ANON_VMA_EXPECTED = Fix("anon-vma-expected", 'the "Anon VMA expected" test in hugepage_vma_revalidate(): '
                                             "!vma->anon_vma || vma->vm_ops -> SCAN_VMA_CHECK "
                                             '("khugepaged: fix null-pointer dereference due to race", 594cced14ad3, v5.8)')
ADDRESS_RANGE = Fix("address-range", "the hstart/hend test in hugepage_vma_revalidate() (SCAN_ADDRESS_RANGE)")
EXIT_TEST = Fix("exit-test", "khugepaged_test_exit(mm) before find_vma (SCAN_ANY_PROCESS)")
VMA_NULL = Fix("vma-null", "the find_vma NULL test in hugepage_vma_revalidate() (SCAN_VMA_NULL)")
REVALIDATE = Fix("revalidate", "hugepage_vma_revalidate() after every re-acquire of mmap_sem, down_write included "
                               "(Andrea's review; v2 onwards)")
WRITE_FOR_COLLAPSE = Fix("write-for-collapse", "down_write(&mm->mmap_sem) before pmdp_collapse_flush")
IPI_WAIT = Fix("ipi-wait", "the TLB-flush IPI of pmdp_collapse_flush waiting for every CPU, so none can be inside "
                           "GUP-fast with interrupts off (x86, v4.8); without the IPI, GUP-fast rechecking the pmd "
                           'after pinning ("mm: gup: fix the fast GUP race against THP collapse", 2022)')
ISOLATE_PRESENT = Fix("isolate-present", "__collapse_huge_page_isolate refusing non-present ptes")
UNLOCK_BALANCE = Fix("unlock-balance", 'every unlock must match how the lock was taken (fixed by "mm, thp: fix '
                                       'locking inconsistency in collapse_huge_page")')
NO_RECURSION = Fix("no-recursion", "lockdep: never take a lock the thread already holds")
LOCK_ORDER = Fix("lock-order", "lock ordering: every thread must take these locks in one order")
MMAP_SEM_HELD = Fix("mmap-sem-held", "mmap_sem held across the walk")
MMAP_SEM_FAULT = Fix("mmap-sem-fault", "mmap_sem (read) held across the fault")
THP_ENABLED = Fix("thp-enabled", "transparent_hugepage_enabled(vma)")
NONE = Fix("none", "")
