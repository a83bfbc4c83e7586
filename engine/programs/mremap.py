"""mremap(2) (mm/mremap.c, v4.8): shrinking in place, and moving with MREMAP_FIXED.

Two registry paths: ``mremap`` shrinks (sys_mremap's ``old_len >= new_len`` case) and
``mremap_to`` moves (MREMAP_MAYMOVE | MREMAP_FIXED to ``new_addr``).  The move allocates the
new vma with copy_vma while the old one is still live, so the slab hands out another
object; move_page_tables moves the ptes into a pte table at the new address; do_munmap of
the old range then frees the old object (docs/model.md#mremap-move).
"""

from __future__ import annotations

from dataclasses import replace

from engine import fixes
from engine.errors import ScenarioError
from engine.kernel import mm
from engine.kernel.locks import pte_lock
from engine.kernel.pgtable import HUGE, NONE, TABLE
from engine.kernel.ptr import PMD, Ptr
from engine.kernel.rwsem import WRITE
from engine.kernel.vma import HPAGE_PMD_SIZE, PAGE_SIZE
from engine.program import Path, Program, Start, Step, Value, line
from engine.programs.munmap import DO_MUNMAP
from engine.programs.syscall import KERNEL, locked
from engine.state import Ctx

_SHRINK_DOC = """mremap(2) shrinking in place (mm/mremap.c, v4.8).

Shrinking unmaps the tail with do_munmap: __split_vma gives the tail a new object, which is
freed; the original object keeps [addr, addr + new_len), same address, same generation.

Departures: only the shrink case (grow and move are not modelled).
"""

MREMAP = locked("mremap", (
    Step("if (old_len >= new_len) ret = do_munmap(mm, addr + new_len, old_len - new_len);",
         lambda c: c.call(DO_MUNMAP, start=c["addr"] + c["new_len"], len=c["old_len"] - c["new_len"]),
         "{me} shrinks the mapping by unmapping its tail", on_return=lambda c, v: None),
), ("addr", "old_len", "new_len"), _SHRINK_DOC, callees=(DO_MUNMAP,))

EFAULT = -14
_MOVE_DOC = """mremap(addr, old_len, new_len, MREMAP_MAYMOVE | MREMAP_FIXED, new_addr): sys_mremap →
mremap_to → move_vma (mm/mremap.c, v4.8) [I].

Under mmap_sem (write): unmap whatever is at new_addr; find the vma (vma_to_resize);
copy_vma allocates the new vma while the old one is live; move_page_tables moves every pmd
extent (a huge pmd as it is, a pte table's ptes into a new pte table at the new address,
under both pte locks); do_munmap of the old range frees the old vma and the emptied tables.

Departures: old_len must equal new_len and addr, new_addr and the length must be 2 MiB
multiples (the loader says so), so every extent is one whole pte table or huge pmd, moved in
one move_ptes call (the kernel moves at most LATENCY_LIMIT, 64 pages, per call, all under
the same locks); no vma_merge, so copy_vma always allocates and need_rmap_locks is false;
get_unmapped_area, accounting, mlock, KSM, MMU notifiers and TLB flushes left out;
move_huge_pmd takes and drops both pmd locks inside its one line.
"""


# -- move_ptes: one extent's ptes, under both pte locks -----------------------------------------
def _table_of(c: Ctx, pmd: str, addr: str) -> int:
    return mm.read_pmd(c, c[pmd], c[addr], "move_ptes", fixes.NONE).target


@line("if (need_rmap_locks) take_rmap_locks(vma);",
      "{me} needs no rmap lock: copy_vma made a new vma, which rmap walks visit after the old one")
def _rmap_locks(c: Ctx) -> None:
    c.say("need_rmap_locks is false: the page table locks serialize each pte, and rmap traversal order "
          "guarantees a walker sees the old pte, the new one, or both")


@line("old_pte = pte_offset_map_lock(mm, old_pmd, old_addr, &old_ptl);",
      "{me} maps the old pte table and takes its pte lock", lock_op=True)
def _lock_old(c: Ctx) -> None:
    c["old_ptl"] = _table_of(c, "old_pmd", "old_addr")
    c.acquire(pte_lock(c["old_ptl"]), WRITE)


@line("new_pte = pte_offset_map(new_pmd, new_addr); new_ptl = pte_lockptr(mm, new_pmd); "
      "if (new_ptl != old_ptl) spin_lock_nested(new_ptl, SINGLE_DEPTH_NESTING);",
      "{me} maps the new pte table and takes its pte lock too", lock_op=True)
def _lock_new(c: Ctx) -> None:
    c["new_ptl"] = _table_of(c, "new_pmd", "new_addr")
    c.acquire(pte_lock(c["new_ptl"]), WRITE)


@line("for (; old_addr < old_end; old_pte++, old_addr += PAGE_SIZE, new_pte++, new_addr += PAGE_SIZE) "
      "if (!pte_none(*old_pte)) set_pte_at(mm, new_addr, new_pte, move_pte(ptep_get_and_clear(mm, old_addr, "
      "old_pte), ...));", "{me} moves every pte of the range to the new pte table")
def _move(c: Ctx) -> None:
    drawn = mm.move_pte_table(c, c["old_ptl"], c["new_ptl"], c["old_addr"], c["new_addr"])
    c.say(f"{c.me} moves the ptes of {c['old_addr']:#x} ({drawn} drawn, and the rest) to {c['new_addr']:#x}: "
          f"the old pte table at pfn {c['old_ptl']:#x} is now empty")


def _unlock(c: Ctx) -> None:
    c.release(pte_lock(c["new_ptl"]), WRITE)
    c.release(pte_lock(c["old_ptl"]), WRITE)
    c.ret(None)


MOVE_PTES = Program("move_ptes", KERNEL, "common",
                    ("vma", "old_pmd", "old_addr", "new_vma", "new_pmd", "new_addr", "need_rmap_locks"), (
    _rmap_locks, _lock_old, _lock_new, _move,
    Step("if (new_ptl != old_ptl) spin_unlock(new_ptl); pte_unmap_unlock(old_pte - 1, old_ptl); "
         "if (need_rmap_locks) drop_rmap_locks(vma);", _unlock, "{me} drops both pte locks", lock_op=True),
), doc="Move the ptes of one extent under the old and the new pte lock (mmap_sem held for write).")


# -- move_page_tables: extent by extent ------------------------------------------------------------
def _at(c: Ctx, which: str) -> int:
    return c[which] + c.locals.get("moved", 0)


def _next_extent(c: Ctx) -> None:
    c["moved"] = c.locals.get("moved", 0) + HPAGE_PMD_SIZE
    c.goto("loop")


@line("for (; old_addr < old_end; old_addr += extent, new_addr += extent) { "
      "old_pmd = get_old_pmd(mm, old_addr); if (!old_pmd) continue;",
      "{me} takes the next 2 MiB extent and looks up its old pmd", label="loop")
def _get_old_pmd(c: Ctx) -> None:
    if c.locals.get("moved", 0) >= c["len"]:
        c.goto("out")
        return
    table = mm.pmd_table_for(c, _at(c, "old_addr"))
    if table is None or table.entry(_at(c, "old_addr")).kind == NONE:
        c.say(f"nothing is mapped at {_at(c, 'old_addr'):#x}: the extent has nothing to move")
        _next_extent(c)
        return
    c["old_pmd"] = Ptr(PMD, table.entry_addr(_at(c, "old_addr")), table.pfn, 1)


@line("new_pmd = alloc_new_pmd(mm, vma, new_addr);", "{me} finds or allocates the pmd for the new address")
def _alloc_new_pmd(c: Ctx) -> None:
    table, _ = mm.fault_table(c, _at(c, "new_addr"))
    c["new_pmd"] = Ptr(PMD, table.entry_addr(_at(c, "new_addr")), table.pfn, 1)


@line("if (pmd_trans_huge(*old_pmd) && extent == HPAGE_PMD_SIZE && move_huge_pmd(vma, old_addr, new_addr, "
      "old_end, old_pmd, new_pmd)) continue;", "{me} moves a huge pmd as it is")
def _huge(c: Ctx) -> None:
    old, new = _at(c, "old_addr"), _at(c, "new_addr")
    if mm.read_pmd(c, c["old_pmd"], old, "move_page_tables", fixes.NONE).kind != HUGE:
        return
    mm.move_huge_pmd(c, c["old_pmd"], c["new_pmd"], old, new)
    c.say(f"{c.me} moves the huge pmd of {old:#x} to {new:#x} under both pmd locks")
    _next_extent(c)


@line("if (pte_alloc(new_vma->vm_mm, new_pmd, new_addr)) break;",
      "{me} allocates a pte table for the new address")
def _pte_alloc(c: Ctx) -> None:
    if mm.read_pmd(c, c["new_pmd"], _at(c, "new_addr"), "move_page_tables", fixes.NONE).kind != TABLE:
        mm.install_pte_table(c, _at(c, "new_addr"))


@line("move_ptes(vma, old_pmd, old_addr, old_addr + extent, new_vma, new_pmd, new_addr, need_rmap_locks); }",
      "{me} moves the ptes of the extent", on_return=lambda c, v: _next_extent(c))
def _call_move_ptes(c: Ctx) -> None:
    c.call(MOVE_PTES, vma=c["vma"], old_pmd=c["old_pmd"], old_addr=_at(c, "old_addr"), new_vma=c["new_vma"],
           new_pmd=c["new_pmd"], new_addr=_at(c, "new_addr"), need_rmap_locks=c["need_rmap_locks"])


MOVE_PAGE_TABLES = Program("move_page_tables", KERNEL, "common",
                           ("vma", "old_addr", "new_vma", "new_addr", "len", "need_rmap_locks"), (
    _get_old_pmd, _alloc_new_pmd, _huge, _pte_alloc, _call_move_ptes,
    Step("out: return len + old_addr - old_end; /* how much was moved */", lambda c: c.ret(c["len"]),
         "{me} has moved the page tables", label="out"),
), doc="Move the page tables of [old_addr, old_addr + len) to new_addr, one pmd extent at a time.",
    callees=(MOVE_PTES,))


# -- move_vma and mremap_to ------------------------------------------------------------------------
@line("new_pgoff = vma->vm_pgoff + ((old_addr - vma->vm_start) >> PAGE_SHIFT); "
      "new_vma = copy_vma(&vma, new_addr, new_len, new_pgoff, &need_rmap_locks);",
      "{me} allocates the new vma with copy_vma while the old one is still live")
def _copy_vma(c: Ctx) -> None:
    old = mm.deref(c, c["vma"], "vm_pgoff", "move_vma", fixes.MMAP_SEM_HELD)
    pgoff = old.pgoff + (c["old_addr"] - old.start) // PAGE_SIZE
    if old.is_anonymous and old.anon_vma is None:
        pgoff = c["new_addr"] // PAGE_SIZE      # copy_vma: an unfaulted anonymous vma follows its address
    new = replace(old, start=c["new_addr"], end=c["new_addr"] + c["new_len"], pgoff=pgoff)
    c["new_vma"] = mm.alloc_vma(c, new, "mremap → move_vma → copy_vma → kmem_cache_alloc")
    c["need_rmap_locks"] = False
    c.say(f"{c.me} gets object {c['new_vma']} for the new vma: the old one, {c['vma']}, is still allocated, "
          "so the slab cannot hand it out (anon_vma_clone links the new vma to the same anon_vma)")


MOVE_VMA = Program("move_vma", KERNEL, "common", ("vma", "old_addr", "old_len", "new_len", "new_addr"), (
    _copy_vma,
    Step("moved_len = move_page_tables(vma, old_addr, new_vma, new_addr, old_len, need_rmap_locks);",
         lambda c: c.call(MOVE_PAGE_TABLES, vma=c["vma"], old_addr=c["old_addr"], new_vma=c["new_vma"],
                          new_addr=c["new_addr"], len=c["old_len"], need_rmap_locks=c["need_rmap_locks"]),
         "{me} moves the page tables to the new address", on_return=lambda c, v: None),
    Step("do_munmap(mm, old_addr, old_len);",
         lambda c: c.call(DO_MUNMAP, start=c["old_addr"], len=c["old_len"]),
         "{me} unmaps the old range: the old vma is freed", on_return=lambda c, v: None),
    Step("return new_addr;", lambda c: c.ret(c["new_addr"]), "{me} returns the new address"),
), doc="Copy the vma, move its page tables, unmap the old range.", callees=(MOVE_PAGE_TABLES, DO_MUNMAP))


def _resized(c: Ctx, moved: Value) -> None:
    c["ret"] = moved


@line("vma = vma_to_resize(addr, old_len, new_len, &charged); if (IS_ERR(vma)) { ret = -EFAULT; goto out; } "
      "ret = move_vma(vma, addr, old_len, new_len, new_addr);",
      "{me} finds the vma to move and moves it", on_return=_resized)
def _vma_to_resize(c: Ctx) -> None:
    c["vma"] = mm.find_vma(c, c["addr"])
    vma = c["vma"] and c.get("slab").get(c["vma"].ref).vma
    if vma is None or vma.start > c["addr"] or c["old_len"] > vma.end - c["addr"]:
        c.say(f"no single vma maps [{c['addr']:#x}, {c['addr'] + c['old_len']:#x}): mremap returns -EFAULT")
        c["ret"] = EFAULT
        return
    c.call(MOVE_VMA, vma=c["vma"], old_addr=c["addr"], old_len=c["old_len"], new_len=c["new_len"],
           new_addr=c["new_addr"])


MREMAP_TO = locked("mremap_to", (
    Step("ret = do_munmap(mm, new_addr, new_len);  /* MREMAP_FIXED: whatever is there goes */",
         lambda c: c.call(DO_MUNMAP, start=c["new_addr"], len=c["new_len"]),
         "{me} unmaps whatever is mapped at the new address", on_return=lambda c, v: None),
    _vma_to_resize,
), ("addr", "old_len", "new_len", "new_addr"), _MOVE_DOC, callees=(DO_MUNMAP, MOVE_VMA))


def _move_args(args: dict[str, Value], start: Start, tid: str, program: Program) -> dict[str, Value]:
    """The loader's check of what the model's move supports: equal lengths, 2 MiB multiples,
    old and new ranges apart (the kernel's -EINVAL)."""
    missing = [k for k in ("addr", "old_len", "new_len", "new_addr") if not isinstance(args.get(k), int)]
    if missing:
        raise ScenarioError(f"thread {tid}: mremap_to needs integer {', '.join(missing)}")
    addr, length, new_addr = args["addr"], args["old_len"], args["new_addr"]
    if args["new_len"] != length or length <= 0 or any(v % HPAGE_PMD_SIZE for v in (addr, length, new_addr)):
        raise ScenarioError(f"thread {tid}: mremap_to moves without resizing: new_len must equal old_len, and "
                            "addr, new_addr and the length must be multiples of 2 MiB")
    if addr < new_addr + length and new_addr < addr + length:
        raise ScenarioError(f"thread {tid}: mremap_to's old and new ranges overlap (the kernel says -EINVAL)")
    return args


PATHS = (Path("mremap", MREMAP, task=True), Path("mremap_to", MREMAP_TO, setup=_move_args, task=True))
