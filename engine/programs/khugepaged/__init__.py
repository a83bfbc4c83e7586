"""khugepaged's anonymous collapse: collapse_huge_page and what it calls (v4.8 era).

One module per kernel function: ``collapse`` (collapse_huge_page), ``revalidate``
(hugepage_vma_revalidate), ``swapin`` (__collapse_huge_page_swapin, do_swap_page,
__lock_page_or_retry); ``code`` holds what a variant's code does differently.  Each
module's docstring lists its departures from the kernel (docs/model.md#collapse-huge-page).
"""

from engine.programs.khugepaged.code import (ALL_CHECKS, CHECK_EXIT, CHECK_RANGE, CHECK_VMA, CHECK_VMA_NULL,
                                             Code)
from engine.programs.khugepaged.collapse import collapse

__all__ = ["ALL_CHECKS", "CHECK_EXIT", "CHECK_RANGE", "CHECK_VMA", "CHECK_VMA_NULL", "Code", "collapse"]
