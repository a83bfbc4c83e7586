"""Which code each variant runs (design.md, "Variants").

Only khugepaged's code differs between variants; every other path is the same v4.8 code.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import VariantError
from engine.program import Program
from engine.programs import khugepaged as K
from engine.programs.khugepaged import ALL_CHECKS, Code


@dataclass(frozen=True)
class Variant:
    id: str
    title: str
    summary: str
    code: Code
    collapse: Program
    removed: str | None = None        # for an ablation: the check it removes

    @property
    def is_ablation(self) -> bool:
        return self.removed is not None


def _without(check: str) -> tuple[str, ...]:
    return tuple(c for c in ALL_CHECKS if c != check)


_DEFS: tuple[tuple[str, str, str, Code, str | None], ...] = (
    ("v1-pointer-check", "v1: the pointer check",
     "Ebru Akagunduz's v1 (23 May 2016) as Andrea reviewed it: after the swapin retry, find_vma and "
     "vma != vma_orig; nothing revalidated after down_write; failures unlock a read-held mmap_sem "
     "with up_write.",
     Code("v1-pointer-check", pointer_check=True, returns_vma=False, pmd_recheck=False), None),
    ("v4.8-rc-stale-vma", "v4.8-rc3: stale vma pointer",
     "The full revalidation, but collapse_huge_page keeps using the vma pointer it had before "
     "dropping mmap_sem (the August 2016 KASAN report).",
     Code("v4.8-rc-stale-vma", returns_vma=False), None),
    ("v4.8", "v4.8 as released",
     "hugepage_vma_revalidate after every re-acquire, handing back the vma it found, and both "
     "mm_find_pmd(mm, address) != pmd rechecks.", Code("v4.8"), None),
    ("v4.8-no-exit-test", "v4.8 without khugepaged_test_exit",
     "v4.8 with the exit test removed from hugepage_vma_revalidate.",
     Code("v4.8-no-exit-test", checks=_without(K.CHECK_EXIT)), "khugepaged_test_exit(mm)"),
    ("v4.8-no-vma-null", "v4.8 without the find_vma NULL test",
     "v4.8 with the `if (!vma) return SCAN_VMA_NULL` test removed.",
     Code("v4.8-no-vma-null", checks=_without(K.CHECK_VMA_NULL)), "if (!vma)"),
    ("v4.8-no-address-range", "v4.8 without the hstart/hend test",
     "v4.8 with the SCAN_ADDRESS_RANGE test removed.",
     Code("v4.8-no-address-range", checks=_without(K.CHECK_RANGE)), "address < hstart || address + HPAGE_PMD_SIZE > hend"),
    ("v4.8-no-vma-check", "v4.8 without hugepage_vma_check",
     "v4.8 with hugepage_vma_check removed from hugepage_vma_revalidate.",
     Code("v4.8-no-vma-check", checks=_without(K.CHECK_VMA)), "hugepage_vma_check(vma)"),
    ("v4.8-no-pmd-recheck", "v4.8 without the pmd rechecks",
     "v4.8 with both mm_find_pmd(mm, address) != pmd tests removed.",
     Code("v4.8-no-pmd-recheck", pmd_recheck=False), "mm_find_pmd(mm, address) != pmd"),
)

VARIANTS: dict[str, Variant] = {
    vid: Variant(vid, title, summary, code, K.collapse(code), removed)
    for vid, title, summary, code, removed in _DEFS
}
VARIANT_IDS: tuple[str, ...] = tuple(VARIANTS)
ABLATIONS: tuple[str, ...] = tuple(v for v in VARIANT_IDS if VARIANTS[v].is_ablation)


def variant(vid: str) -> Variant:
    try:
        return VARIANTS[vid]
    except KeyError:
        raise VariantError(f"unknown variant {vid!r}; known variants: {', '.join(VARIANT_IDS)}") from None
