"""Scenarios: TOML files validated with pydantic, and the initial State they describe.

A scenario is an initial address space (VMAs, pte tables, swap), two to five threads each
running one kernel path, options, a note tying it to the seed mail, the kernel-reference
facts marked [I] that it rests on, and per variant the expected outcome in the litmus
style: an empty table for ``safe``, or one witness schedule per reachable violation kind.

Errors name the file, the field and, where it can be found, the line.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from engine.errors import ScenarioError
from engine.kernel.pgtable import PRESENT, SWAP, Page, Pmd, PmdTable, Pte, PteSummary, PteTable, TABLE
from engine.kernel.rwsem import Lock
from engine.kernel.slab import Site, alloc, new_slab
from engine.kernel.vma import HPAGE_PMD_NR, HPAGE_PMD_SIZE, PAGE_SIZE, Vma, pud_base
from engine.kernel.locks import MMAP_SEM, page_lock
from engine.kernel.ptr import Ptr
from engine.program import Program
from engine.programs.exit import MMPUT
from engine.programs.fault import FAULT
from engine.programs.madvise import MADVISE
from engine.programs.mmap import MMAP_REGION
from engine.programs.mremap import MREMAP
from engine.programs.munmap import VM_MUNMAP
from engine.programs.scan import SCAN_MM_SLOT
from engine.programs.swapio import END_SWAP_BIO_READ
from engine.schedule import THREAD_IDS, RunRef
from engine.state import Config, Frame, Mm, State, Thread
from engine.variants import VARIANT_IDS, VARIANTS, variant as get_variant

CATALOG = Path(__file__).parent / "scenarios"
VIOLATION_KINDS = ("use-after-free", "null-deref", "huge-pmd-outside-vma", "thp-in-ineligible-vma",
                   "lost-data", "rwsem-imbalance", "lock-not-held", "bug-on", "deadlock")
COMMON_PROGRAMS: dict[str, Program] = {p.function: p for p in (
    VM_MUNMAP, MMAP_REGION, MREMAP, MADVISE, MMPUT, FAULT, END_SWAP_BIO_READ, SCAN_MM_SLOT)}
PROGRAM_NAMES = ("collapse_huge_page",) + tuple(COMMON_PROGRAMS)
USER_PFN_BASE = 0x12A000
TABLE_PFN_BASE = 0x3B100


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VmaSpec(_Strict):
    start: int
    end: int
    flags: list[Literal["VM_READ", "VM_WRITE", "VM_SHARED", "VM_HUGEPAGE", "VM_NOHUGEPAGE"]] = ["VM_READ", "VM_WRITE"]
    anon_vma: bool = True
    file: str | None = None

    @model_validator(mode="after")
    def _bounds(self) -> VmaSpec:
        if self.start % PAGE_SIZE or self.end % PAGE_SIZE or self.start >= self.end:
            raise ValueError(f"start {self.start:#x} and end {self.end:#x} must be page-aligned with start < end")
        return self


class PteSpec(_Strict):
    address: int
    kind: Literal["present", "swap"]
    data: str
    writable: bool = True
    young: bool = True
    io: str | None = Field(None, description="swap: the thread whose read holds the swap cache page locked")


class TableSpec(_Strict):
    address: int
    present: int = 0
    young: int = 0
    writable: int = 0
    ptes: list[PteSpec] = []

    @model_validator(mode="after")
    def _counts(self) -> TableSpec:
        if self.address % HPAGE_PMD_SIZE:
            raise ValueError(f"address {self.address:#x} must be 2 MiB-aligned")
        if self.present + len(self.ptes) > HPAGE_PMD_NR or not (self.young <= self.present and self.writable <= self.present):
            raise ValueError("present + drawn ptes must be <= 512, and young, writable <= present")
        for p in self.ptes:
            if not self.address <= p.address < self.address + HPAGE_PMD_SIZE or p.address % PAGE_SIZE:
                raise ValueError(f"pte {p.address:#x} is not a page of the table's 2 MiB range")
        return self


class ThreadSpec(_Strict):
    id: str
    name: str
    program: str
    args: dict[str, int | str | bool | list[str] | None] = {}

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if len(v) != 1 or v not in THREAD_IDS:
            raise ValueError(f"thread id {v!r} must be one letter: K (khugepaged) or A to H")
        return v

    @field_validator("program")
    @classmethod
    def _program(cls, v: str) -> str:
        if v not in PROGRAM_NAMES:
            raise ValueError(f"unknown program {v!r}; programs: {', '.join(PROGRAM_NAMES)}")
        return v


class OptionsSpec(_Strict):
    thp: Literal["always", "madvise"] = "always"
    quarantine: bool = False
    fault_huge: bool = True
    max_ptes_none: int = Field(511, ge=0, le=511)
    free_objects: int = Field(2, ge=0, le=16)


class ScenarioSpec(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$")
    version: int = Field(ge=1)
    title: str
    question: str
    kernel: Literal["v4.8"]
    seed: str
    case: str = ""
    note: str
    assumptions: list[str] = []
    options: OptionsSpec = OptionsSpec()
    vmas: list[VmaSpec]
    tables: list[TableSpec] = []
    threads: list[ThreadSpec] = Field(min_length=2, max_length=5)
    expect: dict[str, dict[str, str]]

    @model_validator(mode="after")
    def _consistent(self) -> ScenarioSpec:
        ids = [t.id for t in self.threads]
        if len(set(ids)) != len(ids):
            raise ValueError(f"thread ids must be unique, got {', '.join(ids)}")
        missing = [v for v in VARIANT_IDS if v not in self.expect]
        unknown = [v for v in self.expect if v not in VARIANTS]
        if unknown or missing:
            raise ValueError(f"expect must name every variant exactly: unknown {unknown}, missing {missing}")
        for vid, outcomes in self.expect.items():
            for kind in outcomes:
                if kind.split(":")[0] not in VIOLATION_KINDS:
                    raise ValueError(f"expect.{vid}: {kind!r} is not a violation kind ({', '.join(VIOLATION_KINDS)})")
        vmas = sorted(self.vmas, key=lambda v: v.start)
        for a, b in zip(vmas, vmas[1:]):
            if a.end > b.start:
                raise ValueError(f"vmas [{a.start:#x}, {a.end:#x}) and [{b.start:#x}, {b.end:#x}) overlap")
        return self


@dataclass(frozen=True)
class Scenario:
    """A validated scenario and where it came from."""

    spec: ScenarioSpec
    path: Path
    digest: str                       # short content hash of the file and the programs

    @property
    def id(self) -> str:
        return self.spec.id

    def initial(self, variant_id: str) -> State:
        return build_initial(self.spec, variant_id)

    def ref(self, variant_id: str, schedule: tuple[str, ...] = ()) -> RunRef:
        """This scenario's run of ``schedule`` under ``variant_id``, as a value."""
        return RunRef(self.id, self.digest, variant_id, tuple(schedule))


def load(path: Path) -> Scenario:
    """Read and validate one scenario file."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ScenarioError(f"{path}: cannot read the file ({e.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: the file is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"{path}: invalid TOML: {e}") from None
    try:
        spec = ScenarioSpec.model_validate(data)
    except ValidationError as e:
        raise ScenarioError(_explain(path, raw.decode("utf-8"), e)) from None
    return Scenario(spec, path, _digest(raw))


def load_dir(folder: Path) -> dict[str, Scenario]:
    """Every ``*.toml`` in a folder, by id; a duplicate id is an error naming both files."""
    out: dict[str, Scenario] = {}
    for path in sorted(folder.glob("*.toml")):
        s = load(path)
        if s.id in out:
            raise ScenarioError(f"{path}: id {s.id!r} is already used by {out[s.id].path}")
        out[s.id] = s
    return out


def catalog() -> dict[str, Scenario]:
    return load_dir(CATALOG)


def _digest(raw: bytes) -> str:
    h = hashlib.blake2b(raw, digest_size=5)
    for vid in VARIANT_IDS:
        h.update(_program_text(VARIANTS[vid].collapse).encode())
    for p in COMMON_PROGRAMS.values():
        h.update(_program_text(p).encode())
    return h.hexdigest()


def _program_text(p: Program) -> str:
    return repr(p) + "\n" + "\n".join(s.line for s in p.steps)


def _explain(path: Path, text: str, e: ValidationError) -> str:
    lines = []
    for err in e.errors():
        loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
        where = _line_of(text, err["loc"])
        at = f" (line {where})" if where else ""
        lines.append(f"{path}: {loc}{at}: {err['msg']}")
    return "\n".join(lines)


def _line_of(text: str, loc: tuple) -> int | None:
    """Best effort: the line of the last named key, after the n-th [[table]] it sits in."""
    rows = text.splitlines()
    start = 0
    for i, part in enumerate(loc):
        if isinstance(part, int) and i > 0 and isinstance(loc[i - 1], str):
            heads = [n for n, r in enumerate(rows) if r.strip() == f"[[{loc[i - 1]}]]"]
            if part < len(heads):
                start = heads[part]
    keys = [p for p in loc if isinstance(p, str)]
    if not keys:
        return None
    pattern = re.compile(rf"^\s*\"?{re.escape(keys[-1])}\"?\s*=")
    for n in range(start, len(rows)):
        if pattern.match(rows[n]):
            return n + 1
    return start + 1 if start else None


# -- the initial state -------------------------------------------------------------------
def build_initial(spec: ScenarioSpec, variant_id: str) -> State:
    var = get_variant(variant_id)
    opts = spec.options
    config = Config(kernel=spec.kernel, thp=opts.thp, quarantine=opts.quarantine,
                    max_ptes_none=opts.max_ptes_none, fault_huge=opts.fault_huge)
    slab = new_slab(len(spec.vmas) + opts.free_objects, opts.quarantine)
    indices = []
    for n, v in enumerate(sorted(spec.vmas, key=lambda v: v.start)):
        vma = Vma(v.start, v.end, tuple(sorted(v.flags)), n + 1 if v.anon_vma else None, v.file,
                  "ext4_file_vm_ops" if v.file else None)
        slab, index = alloc(slab, vma, Site("-", "mmap_region → kmem_cache_zalloc"))
        indices.append(index)
    next_pfn = USER_PFN_BASE
    pages: list[Page] = []
    swap: list[tuple[int, str]] = []
    locks: list[Lock] = []
    io_pages: dict[str, int] = {}
    pte_tables: list[PteTable] = []
    pmd_tables: dict[int, PmdTable] = {}
    table_pfn = TABLE_PFN_BASE
    for t in spec.tables:
        ptes = []
        for p in t.ptes:
            if p.kind == PRESENT:
                pages.append(Page(next_pfn, ((p.address, p.data),)))
                ptes.append((p.address, Pte(PRESENT, page=next_pfn, writable=p.writable, young=p.young)))
            else:
                slot = len(swap) + 1
                swap.append((slot, p.data))
                ptes.append((p.address, Pte(SWAP, swap=slot)))
                if p.io:
                    pages.append(Page(next_pfn, ((p.address, ""),), swap=slot))
                    locks.append(Lock(page_lock(next_pfn), writer=p.io))
                    io_pages[p.io] = next_pfn
            next_pfn += 1
        base = pud_base(t.address)
        if base not in pmd_tables:
            pmd_tables[base] = PmdTable(table_pfn, base)
            table_pfn += 1
        pte_tables.append(PteTable(table_pfn, tuple(sorted(ptes)), PteSummary(t.present, t.young, t.writable)))
        pmd_tables[base] = pmd_tables[base].set(t.address, Pmd(TABLE, table_pfn))
        table_pfn += 1
    threads = []
    k_holds = False
    for t in sorted(spec.threads, key=lambda t: t.id):
        program = var.collapse if t.program == "collapse_huge_page" else COMMON_PROGRAMS[t.program]
        args = {k: (tuple(v) if isinstance(v, list) else v) for k, v in t.args.items()}
        if t.program == "collapse_huge_page":
            k_holds = True
            args.setdefault("result", "SCAN_SUCCEED")
            if "vma" in program.params:
                args["vma"] = _vma_at(slab, indices, args["address"])
        if t.program == "end_swap_bio_read":
            args["page"] = io_pages[t.id]
        if t.program == "mmap_region":
            args.setdefault("file", None)
            args.setdefault("pgoff", 0)
            args.setdefault("flags", ("VM_READ", "VM_WRITE"))
        threads.append(Thread(t.id, t.name, (Frame(program, 0, tuple(sorted(args.items()))),)))
    if k_holds:
        k = next(t for t in threads if t.frames[0].program.function == "collapse_huge_page")
        locks.append(Lock(MMAP_SEM, readers=(k.tid,)))
    mm = Mm(users=1, count=2, vmas=tuple(sorted(indices, key=lambda i: slab.get(i).vma.start)))
    return State(config, mm, slab, tuple(sorted(pmd_tables.values(), key=lambda t: t.pfn)),
                 tuple(pte_tables), tuple(pages), tuple(swap), tuple(sorted(locks, key=lambda l: l.name)),
                 tuple(threads), next_pfn=max(table_pfn, next_pfn) + 0x100)


def _vma_at(slab, indices: list[int], addr: int) -> Ptr:
    for i in indices:
        obj = slab.get(i)
        if obj.vma.start <= addr < obj.vma.end:
            return Ptr("vm_area_struct", obj.addr, i, obj.gen)
    raise ScenarioError(f"khugepaged's address {addr:#x} is not inside any vma")
