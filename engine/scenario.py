"""Scenarios: TOML files validated with pydantic (docs/authoring.md explains every field).

A scenario is an initial address space (VMAs, pte tables, swap), two to five threads each
running one kernel path or a sequence of calls, options, a note tying it to the seed mail,
the docs/model.md facts marked [I] that it rests on, and per variant the expected outcome in the litmus
style: an empty table for ``safe``, or one witness schedule per reachable violation kind.

Errors name the file, the field and, where it can be found, the line.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator,
                      model_validator)

from engine import seeds
from engine.eras import ERAS, Era
from engine.errors import Mistake, ScenarioError
from engine.files import explain_errors, load_folder, mistakes, parse_toml, read_toml
from engine.initial import build_initial
from engine.kernel.vma import HPAGE_PMD_NR, HPAGE_PMD_SIZE, PAGE_SIZE, VM_FLAGS
from engine.oracles import VIOLATION_KINDS
from engine.programs import PATHS
from engine.schedule import THREAD_IDS, RunRef
from engine.state import State
from engine.variants import VARIANTS, Variant, era_variants, every_variant, in_era, variant

CATALOG = Path(__file__).parent / "scenarios"
MAX_CALLS = 8
MAX_FILE_BYTES = 64 * 1024      # the catalog's largest file is under 3 KiB
Text = Annotated[str, Field(max_length=200)]
Prose = Annotated[str, Field(max_length=4000)]
USER_PFN_BASE = 0x12A000
TABLE_PFN_BASE = 0x3B100


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VmaSpec(_Strict):
    start: int
    end: int
    flags: list[Literal[VM_FLAGS]] = ["VM_READ", "VM_WRITE"]
    anon_vma: bool = True
    file: Text | None = None

    @model_validator(mode="after")
    def _bounds(self) -> VmaSpec:
        if self.start % PAGE_SIZE or self.end % PAGE_SIZE or self.start >= self.end:
            raise ValueError(f"start {self.start:#x} and end {self.end:#x} must be page-aligned with start < end")
        return self


class PteSpec(_Strict):
    address: int
    kind: Literal["present", "swap"]
    data: Annotated[str, Field(max_length=64)]
    writable: bool = True
    young: bool = True
    io: str | None = Field(None, description="swap: the thread whose read holds the swap cache page locked")


class TableSpec(_Strict):
    address: int
    present: int = 0
    young: int = 0
    writable: int = 0
    ptes: list[PteSpec] = Field([], max_length=16)

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


class HugePmdSpec(_Strict):
    """A huge pmd at step 0: a THP of the VMA's anon_vma mapping the 2 MiB at ``address``."""

    address: int
    data: Annotated[str, Field(max_length=64)] = ""

    @model_validator(mode="after")
    def _aligned(self) -> HugePmdSpec:
        if self.address % HPAGE_PMD_SIZE:
            raise ValueError(f"address {self.address:#x} must be 2 MiB-aligned")
        return self


Args = Annotated[dict[str, int | Text | bool | Annotated[list[Text], Field(max_length=8)] | None], Field(max_length=16)]


def _known_program(v: str) -> str:
    if v not in PATHS:
        raise ValueError(f"unknown program {v!r}; programs: {', '.join(PATHS)}")
    return v


class CallSpec(_Strict):
    """One system call (or kernel path) a thread makes."""

    program: str
    args: Args = {}

    _program = field_validator("program")(_known_program)


class ThreadSpec(_Strict):
    """A thread runs ``program`` with ``args``, or ``calls`` one after another."""

    id: str
    name: Annotated[str, Field(max_length=60)]
    program: str | None = None
    args: Args = {}
    calls: list[CallSpec] = Field([], max_length=MAX_CALLS)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if len(v) != 1 or v not in THREAD_IDS:
            raise ValueError(f"thread id {v!r} must be one letter: K (khugepaged), A to H, or S (split_huge_page)")
        return v

    @field_validator("program")
    @classmethod
    def _program(cls, v: str | None) -> str | None:
        return v if v is None else _known_program(v)

    @model_validator(mode="after")
    def _one_form(self) -> ThreadSpec:
        if (self.program is None) == (not self.calls):
            raise ValueError(f"thread {self.id}: give either program (with args) or calls, not both or neither")
        if self.calls and self.args:
            raise ValueError(f"thread {self.id}: with calls, each call has its own args")
        return self

    @property
    def sequence(self) -> tuple[CallSpec, ...]:
        """The calls this thread makes, in order."""
        return tuple(self.calls) or (CallSpec(program=self.program, args=self.args),)


class OptionsSpec(_Strict):
    thp: Literal["always", "madvise"] = "always"
    quarantine: bool = False
    fault_huge: Literal["succeeds", "fails"] | bool = Field(
        "succeeds", description='the huge page allocation at fault time: "succeeds" or "fails" (true or false too)')
    max_ptes_none: int = Field(511, ge=0, le=511)
    free_objects: int = Field(2, ge=0, le=16)

    @property
    def fault_huge_succeeds(self) -> bool:
        return self.fault_huge in (True, "succeeds")


class ScenarioSpec(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$")
    version: int = Field(ge=1)
    title: Annotated[str, Field(max_length=120)]
    question: Annotated[str, Field(max_length=400)]
    kernel: Literal[tuple(ERAS)]        # the era (engine.eras): which variants the file may run and declare
    seed: Annotated[str, Field(max_length=600)]
    case: Annotated[str, Field(max_length=16)] = ""
    note: Prose
    assumptions: list[Annotated[str, Field(max_length=600)]] = Field([], max_length=12)
    options: OptionsSpec = OptionsSpec()
    vmas: list[VmaSpec] = Field(max_length=8)
    tables: list[TableSpec] = Field([], max_length=8)
    huge_pmds: list[HugePmdSpec] = Field([], max_length=8)
    threads: list[ThreadSpec] = Field(min_length=2, max_length=5)
    expect: dict[str, dict[str, str]] = {}

    @field_validator("expect")
    @classmethod
    def _of_the_era(cls, expect: dict[str, dict[str, str]], info: ValidationInfo) -> dict[str, dict[str, str]]:
        era = info.data.get("kernel")
        if era is None:         # the kernel field itself is wrong, and says so
            return expect
        ours = era_variants(era)
        unknown = [v for v in expect if v not in VARIANTS]
        if unknown:
            raise ValueError(f"expect names unknown variants {unknown}; the {era} era's variants are {', '.join(ours)}")
        other = [v for v in expect if v not in ours]
        if other:
            raise ValueError(f"expect names {', '.join(f'{v} (the {VARIANTS[v].era} era)' for v in other)}, but "
                             f"kernel = {era!r}: a {era} scenario declares only its era's variants, "
                             f"{', '.join(ours)}")
        return expect

    @model_validator(mode="after")
    def _consistent(self) -> ScenarioSpec:
        ids = [t.id for t in self.threads]
        if len(set(ids)) != len(ids):
            raise ValueError(f"thread ids must be unique, got {', '.join(ids)}")
        for vid, outcomes in self.expect.items():
            for kind in outcomes:
                if kind.split(":")[0] not in VIOLATION_KINDS:
                    raise ValueError(f"expect.{vid}: {kind!r} is not a violation kind ({', '.join(VIOLATION_KINDS)})")
        vmas = sorted(self.vmas, key=lambda v: v.start)
        for a, b in zip(vmas, vmas[1:]):
            if a.end > b.start:
                raise ValueError(f"vmas [{a.start:#x}, {a.end:#x}) and [{b.start:#x}, {b.end:#x}) overlap")
        self._huge_pmds_fit()
        return self

    def _huge_pmds_fit(self) -> None:
        """Each huge pmd maps 2 MiB of one VMA, and no pte table is drawn for the same 2 MiB."""
        tables = {t.address for t in self.tables}
        for h in self.huge_pmds:
            if h.address in tables or sum(x.address == h.address for x in self.huge_pmds) > 1:
                raise ValueError(f"the pmd at {h.address:#x} is declared twice (a pmd is a pte table or huge)")
            if not any(v.start <= h.address and h.address + HPAGE_PMD_SIZE <= v.end for v in self.vmas):
                raise ValueError(f"the huge pmd at {h.address:#x} must map 2 MiB inside one vma")


@dataclass(frozen=True)
class Scenario:
    """A validated scenario and where it came from."""

    spec: ScenarioSpec
    path: Path
    digest: str                       # short content hash of the file and every variant's programs
    file_hash: str = ""               # the file's own hash, which link digests start from
    seed: int = 0                     # the seeded instance (engine.seeds): 0 is the file as written
    origin: str = ""                  # a seeded instance's: the digest of seed 0, whose verdicts it shares
    source: str = ""                  # a scenario that came in a link: the link's token of its text ("" for a file)

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def era(self) -> Era:
        """Its era, which its ``kernel`` names: the variants it runs."""
        return ERAS[self.spec.kernel]

    @property
    def variant_ids(self) -> tuple[str, ...]:
        """The named variants of its era, in menu order (a v4.8 scenario also runs check sets)."""
        return era_variants(self.spec.kernel)

    def variant(self, variant_id: str) -> Variant:
        """The variant ``variant_id`` names, if it is of this scenario's era; a VariantError
        naming the era's variants otherwise."""
        return in_era(variant_id, self.spec.kernel)

    @functools.cached_property
    def paths(self) -> tuple[str, ...]:
        """The registry paths its threads run, sorted (every link's digest reads them)."""
        return _paths(self.spec)

    def initial(self, variant_id: str) -> State:
        size = len(self.spec.vmas) + self.spec.options.free_objects
        return build_initial(self.spec, variant_id, seeds.slab_order(self.seed, size))

    @property
    def behaviour(self) -> str:
        """The digest of what its schedules do: seeded instances share seed 0's (engine.seeds)."""
        return self.origin or self.digest

    def seeded(self, seed: int) -> Scenario:
        """Instance ``seed`` of this scenario (engine.seeds): other addresses, another slab
        order, the same behaviour; its own digest, so no cache mixes two instances."""
        seeds.check_seed(seed)
        if seed == self.seed:
            return self
        if self.seed:
            raise ScenarioError(f"{self.id} is already instance {self.seed}; seed the scenario as loaded")
        spec = seeds.shifted(self.spec, seeds.offset(seed))
        digest = hashlib.blake2b(f"{self.digest}:seed={seed}".encode(), digest_size=5).hexdigest()
        return dataclasses.replace(self, spec=spec, digest=digest, seed=seed, origin=self.digest)

    def ref(self, variant_id: str, schedule: tuple[str, ...] = ()) -> RunRef:
        """This scenario's run of ``schedule`` under ``variant_id``, as a value."""
        return RunRef(self.id, self.link_digest(variant_id), variant_id, tuple(schedule), self.seed, self.source)

    def link_digest(self, *variant_ids: str) -> str:
        """What a link to these variants carries: the file and the programs they run, so a
        new variant, or a change to another variant's code, leaves the link current."""
        return _link_digest(self.file_hash, self.paths, tuple(sorted(set(variant_ids))))


def load(path: Path) -> Scenario:
    """Read and validate one scenario file."""
    data, raw = read_toml(path, MAX_FILE_BYTES, "a scenario", ScenarioError)
    return _validated(path, data, raw)


def loads(text: str, name: str) -> Scenario:
    """Validate a scenario given as TOML text (an editor's, a link's) exactly as :func:`load`
    validates a file; ``name`` stands for the file in the messages.  The errors' ``mistakes``
    say where, one by one."""
    raw = text.encode("utf-8")
    return _validated(Path(name), parse_toml(raw, Path(name), MAX_FILE_BYTES, "a scenario", ScenarioError), raw)


def _validated(path: Path, data: dict, raw: bytes) -> Scenario:
    try:
        spec = ScenarioSpec.model_validate(data)
    except ValidationError as e:
        text = raw.decode("utf-8")
        raise ScenarioError(explain_errors(path, text, e), mistakes=mistakes(text, e)) from None
    try:
        for v in every_variant(spec.kernel):      # what only the whole address space tells, on every kernel
            build_initial(spec, v.id)
    except ScenarioError as e:
        raise ScenarioError(f"{path}: {e}", mistakes=(Mistake(0, (), str(e)),)) from None
    return Scenario(spec, path, _digest(raw, _paths(spec), tuple(v.id for v in every_variant(spec.kernel))),
                    hashlib.blake2b(raw, digest_size=8).hexdigest())


def load_dir(folder: Path) -> dict[str, Scenario]:
    """Every ``*.toml`` in a folder, by id; a duplicate id is an error naming both files."""
    return load_folder(folder, load, ScenarioError)


def catalog() -> dict[str, Scenario]:
    return load_dir(CATALOG)


def _paths(spec: ScenarioSpec) -> tuple[str, ...]:
    return tuple(sorted({call.program for t in spec.threads for call in t.sequence}))


@functools.lru_cache(maxsize=4096)
def _link_digest(file_hash: str, paths: tuple[str, ...], variant_ids: tuple[str, ...]) -> str:
    return _digest(file_hash.encode(), paths, variant_ids)


def _digest(raw: bytes, paths: tuple[str, ...], variant_ids: tuple[str, ...]) -> str:
    """The file and every program its threads can run under these variants, callees included."""
    h = hashlib.blake2b(raw, digest_size=5)
    seen: set[tuple[str, str]] = set()
    for path in paths:
        for v in map(variant, variant_ids):
            for p in v.program(path).closure() + v.exit_mm.closure():
                if p.key not in seen:
                    seen.add(p.key)
                    h.update(p.text.encode())
    return h.hexdigest()
