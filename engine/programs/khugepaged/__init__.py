"""khugepaged's anonymous collapse: collapse_huge_page and what it calls (v4.8 era; v5.4
and v5.8 in ``later``).

One module per kernel function: ``collapse`` (collapse_huge_page), ``revalidate``
(hugepage_vma_revalidate), ``swapin`` (__collapse_huge_page_swapin, do_swap_page,
__lock_page_or_retry), ``later`` (v5.4's hugepage_vma_check and v5.8's anon test); ``code``
holds what a variant's code does differently.  Each
module's docstring lists its departures from the kernel (docs/model.md#collapse-huge-page).
"""

from engine.programs.khugepaged.code import (ALL_CHECKS, CHECK_EXIT, CHECK_PMD, CHECK_RANGE, CHECK_VMA,
                                             CHECK_VMA_NULL, CHECKS, Check, Code, ids_of, names)
from engine.kernel.locks import MMAP_SEM
from engine.kernel.rwsem import READ
from engine.program import Path, Program, Start, Value
from engine.programs.khugepaged.collapse import collapse
from engine.programs.khugepaged.scan import do_scan

__all__ = ["ALL_CHECKS", "CHECKS", "CHECK_EXIT", "CHECK_PMD", "CHECK_RANGE", "CHECK_VMA", "CHECK_VMA_NULL", "Check",
           "Code", "PATHS", "collapse", "do_scan", "ids_of", "names"]


def _setup(args: dict[str, Value], start: Start, tid: str, program: Program) -> dict[str, Value]:
    """khugepaged_scan_pmd found the range worth collapsing; a variant whose
    collapse_huge_page takes the vma as an argument gets the one at the address."""
    args = {"result": "SCAN_SUCCEED", **args}
    if "vma" in program.params:
        args["vma"] = start.vma_at(args["address"])
    return args


def _passes(args: dict[str, Value], start: Start, tid: str, program: Program) -> dict[str, Value]:
    """Two passes unless the scenario says: the skipped mm gets one more try."""
    return {"passes": 2, **args}


_COLLAPSE = collapse(Code("v4.8"))
PATHS = (Path("collapse_huge_page", _COLLAPSE, setup=_setup, holds=((MMAP_SEM, READ),)),
         Path("khugepaged_do_scan", do_scan(_COLLAPSE), setup=_passes))
