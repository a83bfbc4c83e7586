"""Which code each variant runs (design.md, "Variants"), and how two variants differ.

A variant replaces registry paths with its own programs; only khugepaged's
collapse_huge_page differs in its code, described by a :class:`engine.programs.khugepaged.Code`.
A later kernel's variant (``Code.kernel``: v5.4, v5.8) also runs every other path as a
copy in its kernel's names (engine.eras.retag).  Each variant belongs to an era
(engine.eras), the era of its kernel: a variant whose Code names no kernel is v4.8's.
Besides the named variants, every subset of v4.8's five checks is a variant,
``v4.8[checks=vma-check,pmd-recheck]``: :func:`variant` accepts the checks in any order and
answers under the canonical id (a named one where it exists: all five is ``v4.8``, four are
the ``v4.8-no-*`` ablations).
:func:`diff` says, program by program and line by line, what one variant changes in
another's code: the diff between v1 and v4.8 is the lesson.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from engine.eras import ERAS, FIRST_ERA, era_of_kernel, retag
from engine.errors import VariantError
from engine.program import Program
from engine.programs import EXIT_MM, PATHS
from engine.programs import khugepaged as K
from engine.programs.khugepaged import ALL_CHECKS, CHECKS, Check, Code, ids_of, names
from engine.programs.khugepaged.code import KERNEL

BASELINE = "v4.8"


@dataclass(frozen=True)
class Variant:
    id: str
    title: str
    summary: str
    code: Code
    checks: frozenset[str] | None = None   # v4.8 making only these checks; None for v1 and v4.8-rc
    programs: Mapping[str, Program] = field(default_factory=dict)   # registry path -> its code here
    exit_mm: Program = EXIT_MM             # what a thread of the process runs when the process exits

    @property
    def kernel(self) -> str:
        """The kernel whose code this variant runs (its programs' ``kernel``)."""
        return self.code.kernel

    @property
    def era(self) -> str:
        """The era of the scenarios that can run it (engine.eras): that of its kernel."""
        return era_of_kernel(self.kernel).id

    @property
    def removed(self) -> tuple[Check, ...]:
        """The checks of v4.8 this variant does not make, in ALL_CHECKS order."""
        return () if self.checks is None else tuple(CHECKS[c] for c in ids_of(set(ALL_CHECKS) - self.checks))

    @property
    def is_ablation(self) -> bool:
        """One of the five named variants that remove one check from v4.8."""
        return len(self.removed) == 1

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


def _without(check: str) -> frozenset[str]:
    return frozenset(ALL_CHECKS) - {check}


_DEFS: tuple[tuple[str, str, str, Code], ...] = (
    ("v1-pointer-check", "v1: the pointer check",
     "Ebru Akagunduz's v1 (23 May 2016) as Andrea reviewed it: after the swapin retry, find_vma and "
     "vma != vma_orig; nothing revalidated after down_write; failures unlock a read-held mmap_sem "
     "with up_write.",
     Code("v1-pointer-check", pointer_check=True, returns_vma=False, checks=_without(K.CHECK_PMD))),
    ("v4.8-rc-stale-vma", "v4.8-rc3: stale vma pointer",
     "The full revalidation, but collapse_huge_page keeps using the vma pointer it had before "
     "dropping mmap_sem (the August 2016 KASAN report).",
     Code("v4.8-rc-stale-vma", returns_vma=False)),
    (BASELINE, "v4.8 as released",
     "hugepage_vma_revalidate after every re-acquire, handing back the vma it found, and both "
     "mm_find_pmd(mm, address) != pmd rechecks.", Code(BASELINE)),
    ("v4.8-no-exit-test", "v4.8 without khugepaged_test_exit",
     "v4.8 with the exit test removed from hugepage_vma_revalidate.",
     Code("v4.8-no-exit-test", checks=_without(K.CHECK_EXIT))),
    ("v4.8-no-vma-null", "v4.8 without the find_vma NULL test",
     "v4.8 with the `if (!vma) return SCAN_VMA_NULL` test removed.",
     Code("v4.8-no-vma-null", checks=_without(K.CHECK_VMA_NULL))),
    ("v4.8-no-address-range", "v4.8 without the hstart/hend test",
     "v4.8 with the SCAN_ADDRESS_RANGE test removed.",
     Code("v4.8-no-address-range", checks=_without(K.CHECK_RANGE))),
    ("v4.8-no-vma-check", "v4.8 without hugepage_vma_check",
     "v4.8 with hugepage_vma_check removed from hugepage_vma_revalidate.",
     Code("v4.8-no-vma-check", checks=_without(K.CHECK_VMA))),
    ("v4.8-no-pmd-recheck", "v4.8 without the pmd rechecks",
     "v4.8 with both mm_find_pmd(mm, address) != pmd tests removed.",
     Code("v4.8-no-pmd-recheck", checks=_without(K.CHECK_PMD))),
    ("v4.8-collapse-under-read", "What-if: v4.8 converting the pmd under mmap_sem read",
     "Not a kernel that existed: v4.8 with the up_read + down_write before the pmd conversion replaced by "
     "keeping mmap_sem for read (and up_read at out). A page fault, which needs only read, can then fill "
     "the pmd pmdp_collapse_flush cleared, and khugepaged hits BUG_ON(!pmd_none(*pmd)).",
     Code("v4.8-collapse-under-read", collapse_under_read=True)),
    ("v4.8-flush-no-wait", "What if: a TLB flush that waits for no CPU",
     "v4.8 whose pmdp_collapse_flush sends no IPI, so it does not wait for a CPU with interrupts off, as on "
     "architectures that flush the TLB without one [I]: GUP-fast can pin a page after isolate counted its "
     "references, and a write through that pin is lost (the race 70cbc3cc78a99 fixed in 2022).",
     Code("v4.8-flush-no-wait", flush_waits=False)),
)


def _khugepaged(collapse: Program) -> dict[str, Program]:
    """The registry paths that run a variant's collapse_huge_page: itself, and the scan
    that hands it a range."""
    return {"collapse_huge_page": collapse, "khugepaged_do_scan": K.do_scan(collapse)}


_LATER: tuple[tuple[str, str, str, Code], ...] = (
    ("v5.4", "v5.4: hugepage_vma_check accepts file text",
     "v4.8's code, with 99cb0dbd47a1's hugepage_vma_check: a read-only file VMA (VM_DENYWRITE, "
     "CONFIG_READ_ONLY_THP_FOR_FS) with a 2 MiB-aligned file offset passes, before the anonymous tests.",
     Code("v5.4", kernel="v5.4", file_thp=True)),
    ("v5.8", "v5.8: Anon VMA expected",
     "v5.4 plus 594cced14ad3's test in hugepage_vma_revalidate, !vma->anon_vma || vma->vm_ops -> "
     "SCAN_VMA_CHECK; mmap_sem is now mmap_lock (da1c55f1b272).",
     Code("v5.8", kernel="v5.8", file_thp=True, anon_test=True)),
)
"""The later eras' variants (engine.eras); every one in _DEFS is of the v4.8 era."""


def _variant(vid: str, title: str, summary: str, code: Code) -> Variant:
    if code.kernel != KERNEL:
        return _later(vid, title, summary, code)
    programs = {} if vid == BASELINE else _khugepaged(K.collapse(code))
    is_v48 = code == replace(Code(code.variant), checks=code.checks)     # v4.8's code, but for its checks
    return Variant(vid, title, summary, code, code.checks if is_v48 else None, MappingProxyType(programs))


def _later(vid: str, title: str, summary: str, code: Code) -> Variant:
    """A later kernel's variant: its khugepaged code, and every other path v4.8's model of
    it, each a copy in that kernel's names (engine.eras.retag), callees included."""
    done: dict[tuple[str, str], Program] = {}
    own = _khugepaged(K.collapse(code))
    programs = {path: retag(own.get(path) or PATHS[path].program, vid, code.kernel, done) for path in PATHS}
    return Variant(vid, title, summary, code, None, MappingProxyType(programs), retag(EXIT_MM, vid, code.kernel, done))


VARIANTS: dict[str, Variant] = {d[0]: _variant(*d) for d in _DEFS + _LATER}
VARIANT_IDS: tuple[str, ...] = tuple(VARIANTS)
ABLATIONS: tuple[str, ...] = tuple(v for v in VARIANT_IDS if VARIANTS[v].is_ablation)
_NAMED_SETS: dict[frozenset[str], Variant] = {v.checks: v for v in VARIANTS.values() if v.checks is not None}
_CHECKS_ID = re.compile(rf"{re.escape(BASELINE)}\[checks=([^\]]*)\]")
CHECK_SETS: tuple[frozenset[str], ...] = tuple(
    frozenset(c for n, c in enumerate(ALL_CHECKS) if mask >> n & 1)
    for mask in sorted(range(2 ** len(ALL_CHECKS)), key=lambda m: (bin(m).count("1"), m)))
"""Every subset of the five checks, smallest first."""


@functools.cache
def _subset(kept: tuple[str, ...]) -> Variant:
    vid = f"{BASELINE}[checks={','.join(kept)}]"
    gone = ids_of(set(ALL_CHECKS) - set(kept))
    title = f"v4.8 without {names(gone)}" if kept else "v4.8 without any of the five checks"
    summary = (f"v4.8 with {names(gone)} removed at every call site; it keeps "
               f"{names(kept) if kept else 'none of them'}.")
    return _variant(vid, title, summary, Code(vid, checks=frozenset(kept)))


def with_checks(checks: Iterable[str]) -> Variant:
    """v4.8 making only ``checks`` (ids from ALL_CHECKS), each removed at every call site:
    v4.8 itself for all five, a named ablation for four, ``v4.8[checks=...]`` otherwise."""
    kept = frozenset(checks)
    unknown = sorted(kept - set(ALL_CHECKS))
    if unknown:
        raise VariantError(f"unknown check {unknown[0]!r}; the checks are {', '.join(ALL_CHECKS)}")
    return _NAMED_SETS.get(kept) or _subset(ids_of(kept))


def every_variant(era: str | None = None) -> tuple[Variant, ...]:
    """The named variants, then every check set that is not one of them; of ``era`` only,
    if given (the check sets are v4.8's)."""
    sets = tuple(v for v in map(with_checks, CHECK_SETS) if v.id not in VARIANTS)
    return tuple(v for v in tuple(VARIANTS.values()) + sets if era is None or v.era == era)


def era_variants(era: str) -> tuple[str, ...]:
    """The named variants of ``era``, in the order menus list them."""
    return tuple(vid for vid, v in VARIANTS.items() if v.era == era)


def _listing(era: str) -> str:
    sets = f", or {BASELINE}[checks=...] with any of {', '.join(ALL_CHECKS)}" if era == FIRST_ERA else ""
    return f"{', '.join(era_variants(era))}{sets}"


def in_era(vid: str, era: str) -> Variant:
    """The variant ``vid`` names, which must be one of ``era``'s: a scenario of that era
    runs, lists and declares no other.  A VariantError names the era's variants."""
    if vid not in VARIANTS and _CHECKS_ID.fullmatch(vid.strip()) is None:
        raise VariantError(f"unknown variant {vid!r}; the {era} era's variants are {_listing(era)}")
    v = variant(vid)
    if v.era != era:
        raise VariantError(f"variant {v.id!r} is of the {v.era} era ({ERAS[v.era].title}); a {era} scenario "
                           f"runs only the {era} era's variants: {_listing(era)}")
    return v


def variant(vid: str) -> Variant:
    """The variant ``vid`` names: a named one, or ``v4.8[checks=a,b]`` (any order, "" for none),
    which comes back under its canonical id."""
    if vid in VARIANTS:
        return VARIANTS[vid]
    match = _CHECKS_ID.fullmatch(vid.strip())
    if match is None:
        raise VariantError(f"unknown variant {vid!r}; known variants: {', '.join(VARIANT_IDS)}, or "
                           f"{BASELINE}[checks=...] with any of {', '.join(ALL_CHECKS)}")
    try:
        return with_checks(c.strip() for c in match.group(1).split(",") if c.strip())
    except VariantError as e:
        raise VariantError(f"in {vid!r}: {e}") from None
