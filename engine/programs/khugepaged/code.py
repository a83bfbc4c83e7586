"""What each variant's khugepaged code does differently, as data.

A :class:`Code` is the whole difference between two variants' khugepaged: which of
Andrea's checks hugepage_vma_revalidate makes, whether the two ``mm_find_pmd(mm, address)
!= pmd`` rechecks are there, whether the revalidation hands its vma back, and whether the
swapin retry is v1's pointer compare.  ``engine.variants.diff`` shows what that does to the
programs, line by line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from engine import fixes
from engine.fixes import Fix

KERNEL = "v4.8"
CHECK_EXIT = "exit-test"
CHECK_VMA_NULL = "vma-null"
CHECK_RANGE = "address-range"
CHECK_VMA = "vma-check"
CHECK_PMD = "pmd-recheck"
ALL_CHECKS = (CHECK_EXIT, CHECK_VMA_NULL, CHECK_RANGE, CHECK_VMA, CHECK_PMD)
"""Andrea's five checks, by the names of design.md's ablations, in the order a link writes them."""


@dataclass(frozen=True)
class Check:
    """One of the five checks: its id, the C it adds, and what prose calls it."""

    id: str
    code: str
    name: str


def ids_of(checks: Iterable[str]) -> tuple[str, ...]:
    """Checks in ALL_CHECKS order, the order a link writes them."""
    wanted = set(checks)
    return tuple(c for c in ALL_CHECKS if c in wanted)


def names(checks: Iterable[str]) -> str:
    """Prose for some checks, in order: "hugepage_vma_check and the pmd recheck"."""
    said = [CHECKS[c].name for c in ids_of(checks)]
    return said[0] if len(said) == 1 else f"{', '.join(said[:-1])} and {said[-1]}"


CHECKS: dict[str, Check] = {c.id: c for c in (
    Check(CHECK_EXIT, "khugepaged_test_exit(mm)", "the exit test"),
    Check(CHECK_VMA_NULL, "if (!vma)", "the find_vma NULL test"),
    Check(CHECK_RANGE, "address < hstart || address + HPAGE_PMD_SIZE > hend", "the address-range test"),
    Check(CHECK_VMA, "hugepage_vma_check(vma)", "hugepage_vma_check"),
    Check(CHECK_PMD, "mm_find_pmd(mm, address) != pmd", "the pmd recheck"),
)}


@dataclass(frozen=True)
class Code:
    """What one variant's khugepaged code does.

    ``pointer_check``: v1, the swapin retry compares find_vma's result with vma_orig and
    nothing is revalidated after down_write; failures jump to ``out`` (up_write).
    ``returns_vma``: hugepage_vma_revalidate hands back the vma it found (v4.8 final).
    ``checks``: which of the five checks the code makes, at every call site: the four
    tests of hugepage_vma_revalidate and the two ``mm_find_pmd(mm, address) != pmd`` tests.
    ``flush_waits``: pmdp_collapse_flush's TLB flush interrupts every other CPU and waits
    for each, so it waits for a CPU with interrupts off (x86 in v4.8, [I]); False is the
    what-if of a flush that sends no IPI, which GUP-fast cannot hold up.
    ``collapse_under_read``: a what-if no kernel ran: v4.8 keeps mmap_sem for read across
    the pmd conversion (no up_read + down_write before it; up_read at ``out``).
    ``kernel``: the kernel whose code this is (its programs say so, and it picks the
    variant's era and names); ``file_thp``: v5.4's hugepage_vma_check, which also accepts
    read-only file text (99cb0dbd47a1); ``anon_test``: v5.8's "Anon VMA expected" test in
    hugepage_vma_revalidate (594cced14ad3).  See engine/programs/khugepaged/later.py.
    """

    variant: str
    pointer_check: bool = False
    returns_vma: bool = True
    checks: frozenset[str] = frozenset(ALL_CHECKS)
    flush_waits: bool = True
    collapse_under_read: bool = False
    kernel: str = KERNEL
    file_thp: bool = False
    anon_test: bool = False

    @property
    def pmd_recheck(self) -> bool:
        return CHECK_PMD in self.checks

    @property
    def stale_vma_fix(self) -> Fix:
        """What would have caught a use of the vma pointer after mmap_sem was dropped."""
        return fixes.REVALIDATE if self.pointer_check else fixes.VMAP

    @property
    def anon_fix(self) -> Fix:
        """What would have caught anon_vma_lock_write(NULL): hugepage_vma_check while it
        rejected every file VMA, the explicit anon test once it accepts file text (v5.4)."""
        return fixes.ANON_VMA_EXPECTED if self.file_thp else fixes.VMA_CHECK
