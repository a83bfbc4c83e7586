"""The initial State a scenario describes: its address space, its locks, its threads.

The address space comes from the scenario's VMAs (allocated in the slab in address order)
and pte tables (drawn ptes plus a summary of the rest); each thread starts in the first
call of its sequence, its arguments completed by the registry path's setup, holding the
locks the path says it enters with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from engine.errors import MISFITS, ScenarioError, misfit
from engine.kernel.locks import LockId, page_lock
from engine.kernel.pgtable import HUGE, PRESENT, TABLE, Page, Pmd, PmdTable, Pte, PteSummary, PteTable, SWAP
from engine.kernel.ptr import VM_AREA_STRUCT, Ptr
from engine.kernel.rwsem import Lock, take
from engine.kernel.slab import Site, Slab, alloc, new_slab
from engine.kernel.vma import Vma, pud_base
from engine.program import Value
from engine.programs import PATHS
from engine.state import Config, Frame, Mm, State, Thread
from engine.variants import Variant, in_era

if TYPE_CHECKING:
    from engine.scenario import CallSpec, HugePmdSpec, PteSpec, ScenarioSpec, TableSpec

USER_PFN_BASE = 0x12A000
TABLE_PFN_BASE = 0x3B100


@dataclass
class _Space:
    """The address space while it is being laid out; it answers paths' setup (Start)."""

    slab: Slab
    vmas: list[int]
    next_pfn: int = USER_PFN_BASE
    table_pfn: int = TABLE_PFN_BASE
    pages: list[Page] = field(default_factory=list)
    swap: list[tuple[int, str]] = field(default_factory=list)
    locks: dict[LockId, Lock] = field(default_factory=dict)
    io_pages: dict[str, int] = field(default_factory=dict)
    pte_tables: list[PteTable] = field(default_factory=list)
    pmd_tables: dict[int, PmdTable] = field(default_factory=dict)

    def vma_at(self, addr: int) -> Ptr:
        for i in self.vmas:
            obj = self.slab.get(i)
            if obj.vma.start <= addr < obj.vma.end:
                return Ptr(VM_AREA_STRUCT, obj.addr, i, obj.gen)
        raise ScenarioError(f"khugepaged's address {addr:#x} is not inside any vma")

    def io_page(self, tid: str) -> int:
        if tid not in self.io_pages:
            raise ScenarioError(f"thread {tid} completes a swap-in read, but no swap pte names it "
                                f"(give a swap pte io = \"{tid}\")")
        return self.io_pages[tid]

    def huge_page(self, addr: int) -> tuple[int, int]:
        table = self.pmd_tables.get(pud_base(addr))
        entry = table.entry(addr) if table else Pmd()
        if entry.kind != HUGE:
            raise ScenarioError(f"no huge pmd maps {addr:#x} (declare one in huge_pmds)")
        vma = self.slab.get(self.vma_at(addr).ref).vma
        if vma.anon_vma is None:
            raise ScenarioError(f"the huge page at {addr:#x} lies in a vma without an anon_vma")
        return entry.target, vma.anon_vma

    def _pmd_table(self, addr: int) -> PmdTable:
        base = pud_base(addr)
        if base not in self.pmd_tables:
            self.pmd_tables[base] = PmdTable(self.table_pfn, base)
            self.table_pfn += 1
        return self.pmd_tables[base]

    def add_huge(self, h: HugePmdSpec) -> None:
        """A THP mapped by a huge pmd, as do_huge_pmd_anonymous_page leaves it."""
        pfn, self.next_pfn = self.next_pfn, self.next_pfn + 1
        self.pages.append(Page(pfn, ((h.address, h.data),), huge=True))
        self.pmd_tables[pud_base(h.address)] = self._pmd_table(h.address).set(h.address, Pmd(HUGE, pfn))

    def add_table(self, t: TableSpec) -> None:
        ptes = [(p.address, self._pte(p)) for p in t.ptes]
        base = pud_base(t.address)
        self._pmd_table(t.address)
        self.pte_tables.append(PteTable(self.table_pfn, tuple(sorted(ptes)),
                                        PteSummary(t.present, t.young, t.writable)))
        self.pmd_tables[base] = self.pmd_tables[base].set(t.address, Pmd(TABLE, self.table_pfn))
        self.table_pfn += 1

    def _pte(self, p: PteSpec) -> Pte:
        pfn, self.next_pfn = self.next_pfn, self.next_pfn + 1
        if p.kind == PRESENT:
            self.pages.append(Page(pfn, ((p.address, p.data),)))
            return Pte(PRESENT, page=pfn, writable=p.writable, young=p.young)
        slot = len(self.swap) + 1
        self.swap.append((slot, p.data))
        if p.io:
            self.pages.append(Page(pfn, ((p.address, ""),), swap=slot))
            self.locks[page_lock(pfn)] = Lock(page_lock(pfn), writer=p.io)
            self.io_pages[p.io] = pfn
        return Pte(SWAP, swap=slot)

    def hold(self, lock: LockId, mode: str, tid: str) -> None:
        self.locks[lock] = take(self.locks.get(lock) or Lock(lock), tid, mode)


def _vmas(spec: ScenarioSpec, slab_order: tuple[int, ...]) -> _Space:
    slab = new_slab(len(spec.vmas) + spec.options.free_objects, spec.options.quarantine, slab_order)
    indices = []
    for n, v in enumerate(sorted(spec.vmas, key=lambda v: v.start)):
        vma = Vma(v.start, v.end, tuple(sorted(v.flags)), n + 1 if v.anon_vma else None, v.file,
                  "ext4_file_vm_ops" if v.file else None)
        slab, index = alloc(slab, vma, Site("-", "mmap_region → kmem_cache_zalloc"))
        indices.append(index)
    return _Space(slab, sorted(indices, key=lambda i: slab.get(i).vma.start))


def _frame(call: CallSpec, var: Variant, space: _Space, tid: str) -> Frame:
    """The first frame of one call: the variant's program, the args its path's setup completes."""
    path = PATHS[call.program]
    program = var.program(call.program)
    args: dict[str, Value] = {k: (tuple(v) if isinstance(v, list) else v) for k, v in call.args.items()}
    if path.setup is not None:
        try:
            args = path.setup(args, space, tid, program)
        except MISFITS as e:
            raise misfit(f"thread {tid} ({call.program})", e) from None
    return Frame(program, 0, tuple(sorted(args.items())))


def build_initial(spec: ScenarioSpec, variant_id: str, slab_order: tuple[int, ...] = ()) -> State:
    """The state before step 1 of ``spec`` under ``variant_id``, which must be a variant of
    the scenario's era (a VariantError otherwise); the state runs that variant's kernel.
    ``slab_order`` is the order the slab first hands its objects out in (by index if empty)."""
    var = in_era(variant_id, spec.kernel)
    opts = spec.options
    config = Config(kernel=var.kernel, thp=opts.thp, quarantine=opts.quarantine,
                    max_ptes_none=opts.max_ptes_none, fault_huge=opts.fault_huge_succeeds)
    space = _vmas(spec, slab_order)
    for t in spec.tables:
        space.add_table(t)
    for h in spec.huge_pmds:
        space.add_huge(h)
    threads = []
    for t in sorted(spec.threads, key=lambda t: t.id):
        frames = tuple(_frame(call, var, space, t.id) for call in t.sequence)
        for lock, mode in PATHS[t.sequence[0].program].holds:
            space.hold(lock, mode, t.id)
        paths = [PATHS[call.program] for call in t.sequence]
        on_exit = Frame(var.exit_mm, 0) if any(p.task for p in paths) and not paths[-1].exits else None
        threads.append(Thread(t.id, t.name, frames[:1], calls=frames[1:], on_exit=on_exit))
    tasks = sum(1 for t in spec.threads if any(PATHS[call.program].task for call in t.sequence))
    mm = Mm(users=max(1, tasks), count=2, vmas=tuple(space.vmas))
    return State(config, mm, space.slab, tuple(sorted(space.pmd_tables.values(), key=lambda t: t.pfn)),
                 tuple(space.pte_tables), tuple(space.pages), tuple(space.swap),
                 tuple(sorted(space.locks.values(), key=lambda lk: lk.name)),
                 tuple(threads), next_pfn=max(space.table_pfn, space.next_pfn) + 0x100,
                 next_anon_vma=len(spec.vmas) + 1)   # the initial VMAs' anon_vmas are 1..n
