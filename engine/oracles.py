"""The truth the kernel code cannot see, reported in the kernel's own words.

Each function here is called at the moment the modelled kernel would touch memory or
install a mapping; when the truth says the act is wrong it ends the run with a
:class:`engine.state.Violation` carrying the evidence: a KASAN report naming the object and
where it was allocated and freed, an oops naming the function, a BUG_ON, or a lockdep
warning, and in every case the check that would have caught it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.fixes import Fix
from engine.kernel.slab import VMA_CACHE, VMA_OBJECT_SIZE, SlabObject
from engine.kernel.vma import HPAGE_PMD_SIZE, VM_HUGEPAGE, VM_NOHUGEPAGE, Vma

if TYPE_CHECKING:
    from engine.state import Ctx

RULE = "=" * 66
VIOLATION_KINDS = ("use-after-free", "null-deref", "huge-pmd-outside-vma", "thp-in-ineligible-vma",
                   "lost-data", "rwsem-imbalance", "lock-not-held", "bug-on", "deadlock", "pgtable-corruption")
VIOLATION_OBJECTS = ("vm_area_struct", "page-table", "mm_struct")


def vma_use_after_free(c: Ctx, obj: SlabObject, field: str, where: str, check: Fix) -> None:
    """A read of a freed (or quarantined) vm_area_struct: KASAN's slab report."""
    alloc = obj.allocated.stack if obj.allocated else "?"
    alloc_by = f"task {obj.allocated.tid}" if obj.allocated and obj.allocated.tid != "-" else "the process, before the scenario"
    freed = obj.freed.stack if obj.freed else "?"
    freed_tid = obj.freed.tid if obj.freed else "?"
    report = "\n".join([
        RULE,
        f"BUG: KASAN: use-after-free in {where}",
        f"Read of size 8 at addr {obj.addr:#x} (vma->{field}) by task {c.me}/{c.tid}",
        "",
        f"Allocated by {alloc_by}: {alloc}",
        f"Freed by task {freed_tid}: {freed}",
        "",
        f"The buggy address belongs to the object at {obj.addr:#x}",
        f" which belongs to the cache {VMA_CACHE} of size {VMA_OBJECT_SIZE}",
        f" (object generation {obj.gen}, state {obj.state})",
        RULE,
    ])
    c.violate("use-after-free", VMA_CACHE,
              f"{c.me} reads vma->{field} of the freed vm_area_struct {obj.addr:#x} in {where}",
              report, check)


def page_table_use_after_free(c: Ctx, pfn: int, what: str, where: str, check: Fix) -> None:
    """A read through a freed page-table page: KASAN reports a freed page, no slab cache."""
    report = "\n".join([
        RULE,
        f"BUG: KASAN: use-after-free in {where}",
        f"Read of size 8 by task {c.me}/{c.tid} in the {what} at pfn {pfn:#x}",
        "",
        f"The buggy address belongs to the page: pfn {pfn:#x}",
        "page dumped because: kasan: bad access detected (page freed by free_pgtables)",
        RULE,
    ])
    c.violate("use-after-free", "page-table",
              f"{c.me} reads the freed {what} (pfn {pfn:#x}) in {where}", report, check)


def null_deref(c: Ctx, field: str, where: str, caller: str, check: Fix) -> None:
    """An oops on a NULL pointer, as the 2020 syzbot report for anon_vma_lock_write."""
    report = "\n".join([
        "BUG: unable to handle kernel NULL pointer dereference at 0000000000000008",
        f"IP: {where}",
        "Oops: 0000 [#1] SMP",
        f"CPU: 0 PID: 1 Comm: {c.me}",
        "Call Trace:",
        f" {where}",
        f" {caller}",
    ])
    c.violate("null-deref", None, f"{c.me} dereferences NULL {field} in {where}", report, check)


def bug_on(c: Ctx, condition: str, where: str, message: str, check: Fix, *,
           file: str = "mm/khugepaged.c", debug_vm: bool = False) -> None:
    """A BUG_ON in ``file``; a VM_BUG_ON (``debug_vm``) fires only on a CONFIG_DEBUG_VM kernel."""
    report = "\n".join([
        "------------[ cut here ]------------",
        f"kernel BUG at {file}: {condition}" + (" (CONFIG_DEBUG_VM)" if debug_vm else ""),
        "invalid opcode: 0000 [#1] SMP",
        f"CPU: 0 PID: 1 Comm: {c.me}",
        f"RIP: {where}",
    ])
    c.violate("bug-on", None, message, report, check)


def pgtable_corruption(c: Ctx, addr: int, where: str, check: Fix) -> None:
    """pmd_populate with the pte table of a pmd that was none: pmd_pgtable(none) is page 0,
    so the process's ptes for the range become whatever physical page 0 holds."""
    report = "\n".join([
        f"BUG: {where} puts back a pte table that does not exist: pmd_populate(mm, pmd, pmd_pgtable(_pmd))",
        f"with _pmd none maps physical page 0 as the page table of [{addr & ~0x1FFFFF:#x}, "
        f"{(addr & ~0x1FFFFF) + 0x200000:#x}).",
        "The process now reads and writes through whatever page 0 holds: page-table corruption.",
    ])
    c.violate("pgtable-corruption", None,
              f"{c.me} installs physical page 0 as a pte table at {addr:#x} after a failed isolate", report, check)


def check_huge_install(c: Ctx, addr: int, covering: list[Vma], thp: str, check: Fix) -> None:
    """A huge pmd may only map 2 MiB that lie inside one anonymous, THP-eligible VMA."""
    start, end = addr, addr + HPAGE_PMD_SIZE
    whole = [v for v in covering if v.start <= start and end <= v.end]
    if not whole:
        spans = ", ".join(v.describe() for v in covering) or "no vma at all"
        report = (f"BUG: huge pmd at {start:#x} maps [{start:#x}, {end:#x}) but the VMAs there are: "
                  f"{spans}.\nUser memory outside any mapping is now readable and writable.")
        c.violate("huge-pmd-outside-vma", None,
                  f"{c.me} installs a huge pmd over [{start:#x}, {end:#x}), which is not inside one VMA",
                  report, check)
    vma = whole[0]
    eligible = (vma.is_anonymous and vma.anon_vma is not None and not vma.has(VM_NOHUGEPAGE)
                and (thp == "always" or vma.has(VM_HUGEPAGE)))
    if not eligible:
        why = ("it maps a file" if not vma.is_anonymous else
               "it has VM_NOHUGEPAGE" if vma.has(VM_NOHUGEPAGE) else
               "it has no anon_vma" if vma.anon_vma is None else "THP is madvise-only and it lacks VM_HUGEPAGE")
        report = (f"BUG: transparent huge page installed in {vma.describe()} at {start:#x}: {why}.")
        c.violate("thp-in-ineligible-vma", None,
                  f"{c.me} installs a transparent huge page in {vma.describe()}, but {why}", report, check)


def check_copy(c: Ctx, before: dict[int, str | None], after: dict[int, str | None], check: Fix) -> None:
    """Every user-visible byte in the range must survive a collapse unchanged."""
    lost = [a for a in sorted(before) if before[a] is not None and before[a] != after.get(a)]
    if lost:
        a = lost[0]
        report = (f"BUG: data lost at {a:#x}: the user saw {before[a]!r} before the collapse and "
                  f"sees {after.get(a)!r} after it ({len(lost)} page(s) affected).")
        c.violate("lost-data", None, f"{c.me}'s collapse loses the contents of {a:#x}", report, check)


def lost_pinned_write(c: Ctx, pfn: int, addr: int, data: str, check: Fix) -> None:
    """A write through a reference (a GUP pin) to a page khugepaged already copied into its
    huge page and unmapped: the write lands in memory the process never reads again."""
    seen = c.state.read_user(addr)
    report = (f"BUG: data lost at {addr:#x}: {c.me} writes {data!r} through its pin on page {pfn:#x}, but "
              f"khugepaged already copied that page into a huge page and unmapped it.\nThe process reads "
              f"{seen!r} at {addr:#x} and will never see the write (a stale GUP pin).")
    c.violate("lost-data", None, f"{c.me}'s write to {addr:#x} through its pin is lost: the page was collapsed",
              report, check)


def lock_not_held(c: Ctx, lock: str, action: str, check: Fix) -> None:
    report = "\n".join([
        "WARNING: suspicious lock usage",
        f"{c.me}/{c.tid} {action} without holding {lock}.",
    ])
    c.violate("lock-not-held", None, f"{c.me} {action} without holding {lock}", report, check)


def pte_through_changed_pmd(c: Ctx, addr: int, kind: str, where: str, check: Fix) -> None:
    """A fault writes its pte through a pmd that stopped pointing to a pte table after the
    fault looked at it (only possible when khugepaged converts the pmd without mmap_sem
    write): pte_offset_map_lock of a none pmd maps physical page 0 as the pte table, of a
    huge pmd the huge page itself, and set_pte_at writes into that page."""
    into = ("physical page 0 (pmd_page of a none pmd)" if kind == "none" else
            "the huge page (a huge pmd read as a pte table), over the process's data")
    report = "\n".join([
        f"BUG: {where} at {addr:#x}: the pmd pointed to a pte table when the fault checked it and "
        f"is {kind} at pte_offset_map_lock(mm, pmd, address, &ptl).",
        f"set_pte_at writes the new pte into {into}: page-table corruption.",
    ])
    c.violate("pgtable-corruption", None,
              f"{c.me} writes its pte at {addr:#x} through a pmd that became {kind} under it, into {into}",
              report, check)
