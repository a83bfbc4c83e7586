"""What each variant's khugepaged code does differently, as data.

A :class:`Code` is the whole difference between two variants' khugepaged: which of
Andrea's checks hugepage_vma_revalidate makes, whether the two ``mm_find_pmd(mm, address)
!= pmd`` rechecks are there, whether the revalidation hands its vma back, and whether the
swapin retry is v1's pointer compare.  ``engine.variants.diff`` shows what that does to the
programs, line by line.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine import fixes
from engine.fixes import Fix

KERNEL = "v4.8"
CHECK_EXIT = "exit"
CHECK_VMA_NULL = "vma-null"
CHECK_RANGE = "address-range"
CHECK_VMA = "vma-check"
ALL_CHECKS = (CHECK_EXIT, CHECK_VMA_NULL, CHECK_RANGE, CHECK_VMA)


@dataclass(frozen=True)
class Code:
    """What one variant's khugepaged code does.

    ``pointer_check``: v1, the swapin retry compares find_vma's result with vma_orig and
    nothing is revalidated after down_write; failures jump to ``out`` (up_write).
    ``returns_vma``: hugepage_vma_revalidate hands back the vma it found (v4.8 final).
    ``checks``: the tests hugepage_vma_revalidate makes; ``pmd_recheck``: both
    ``mm_find_pmd(mm, address) != pmd`` tests are there.
    """

    variant: str
    pointer_check: bool = False
    returns_vma: bool = True
    checks: tuple[str, ...] = ALL_CHECKS
    pmd_recheck: bool = True

    @property
    def stale_vma_fix(self) -> Fix:
        """What would have caught a use of the vma pointer after mmap_sem was dropped."""
        return fixes.REVALIDATE if self.pointer_check else fixes.VMAP
