"""Which code each variant runs (design.md, "Variants"), and how two variants differ.

A variant replaces registry paths with its own programs; today only khugepaged's
collapse_huge_page differs, described by a :class:`engine.programs.khugepaged.Code`.
:func:`diff` says, program by program and line by line, what one variant changes in
another's code: the diff between v1 and v4.8 is the lesson.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from engine.errors import VariantError
from engine.program import Program
from engine.programs import PATHS
from engine.programs import khugepaged as K
from engine.programs.khugepaged import ALL_CHECKS, Code

BASELINE = "v4.8"


@dataclass(frozen=True)
class Variant:
    id: str
    title: str
    summary: str
    code: Code
    removed: str | None = None        # for an ablation: the check it removes
    programs: Mapping[str, Program] = field(default_factory=dict)   # registry path -> its code here

    @property
    def is_ablation(self) -> bool:
        return self.removed is not None

    def program(self, path: str) -> Program:
        """The program this variant runs for registry path ``path``."""
        return self.programs.get(path) or PATHS[path].program


@dataclass(frozen=True)
class Change:
    """One hunk of a diff: lines of program ``function`` in the first variant (``old``)
    replaced by lines in the second (``new``); one side is empty for an addition or removal."""

    function: str
    old: tuple[str, ...]
    new: tuple[str, ...]

    @property
    def kind(self) -> str:
        return "added" if not self.old else "removed" if not self.new else "replaced"


def _programs(v: Variant) -> dict[str, Program]:
    return {p.function: p for path in PATHS for p in v.program(path).closure()}


def diff(a: str, b: str) -> tuple[Change, ...]:
    """What variant ``b`` changes in variant ``a``'s code, hunk by hunk, in program order."""
    mine, theirs = _programs(variant(a)), _programs(variant(b))
    changes: list[Change] = []
    for function in list(mine) + [f for f in theirs if f not in mine]:
        old = tuple(s.line for s in mine[function].steps) if function in mine else ()
        new = tuple(s.line for s in theirs[function].steps) if function in theirs else ()
        matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
        changes += [Change(function, old[i1:i2], new[j1:j2])
                    for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal"]
    return tuple(changes)


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
    (BASELINE, "v4.8 as released",
     "hugepage_vma_revalidate after every re-acquire, handing back the vma it found, and both "
     "mm_find_pmd(mm, address) != pmd rechecks.", Code(BASELINE), None),
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


def _variant(vid: str, title: str, summary: str, code: Code, removed: str | None) -> Variant:
    programs = {} if vid == BASELINE else {"collapse_huge_page": K.collapse(code)}
    return Variant(vid, title, summary, code, removed, MappingProxyType(programs))


VARIANTS: dict[str, Variant] = {d[0]: _variant(*d) for d in _DEFS}
VARIANT_IDS: tuple[str, ...] = tuple(VARIANTS)
ABLATIONS: tuple[str, ...] = tuple(v for v in VARIANT_IDS if VARIANTS[v].is_ablation)


def variant(vid: str) -> Variant:
    try:
        return VARIANTS[vid]
    except KeyError:
        raise VariantError(f"unknown variant {vid!r}; known variants: {', '.join(VARIANT_IDS)}") from None
