"""State -> view models: plain strings, lists and SVG geometry for the templates.

Templates only loop and branch over what is built here.  ``replay_json`` is also the
output of ``mmlock show --json``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import engine
from app.links import compare_href, player_href, run_to_href
from engine import Run, Scenario, State
from engine.kernel.pgtable import HUGE, NONE, PRESENT, SWAP, TABLE
from engine.kernel.slab import ALLOCATED
from engine.kernel.vma import HPAGE_PMD_SIZE, Vma
from engine.kernel.locks import MMAP_SEM, LockId
from engine.kernel.ptr import Ptr

CHIP_COLOURS = 8

GLOSSARY = {
    "mmap_sem": "mm->mmap_sem: the read/write semaphore that protects the VMA list of a process. "
                "Readers share it; a writer (munmap, mmap) holds it alone. FIFO queue: a queued writer "
                "blocks new readers. Called mmap_lock since Linux 5.8.",
    "anon_vma": "anon_vma: the reverse-map root of an anonymous VMA; its rwsem keeps rmap walkers "
                "(page migration, reclaim) out. A file VMA has none: vma->anon_vma is NULL.",
    "pmd": "pmd: page middle directory entry. One entry maps 2 MiB: none, a pointer to a pte table "
           "(512 ptes of 4 KiB), or one huge page.",
    "pte": "pte: page table entry for one 4 KiB page: present (maps a page), swap (the data is in swap) "
           "or none.",
    "hstart": "hstart/hend: the 2 MiB-aligned part of the VMA, computed by hugepage_vma_revalidate. "
              "The range [address, address + 2 MiB) must lie inside [hstart, hend).",
    "gen": "generation: how many times this slab object has been allocated. The same address with a "
           "new generation is a different vm_area_struct that reuses freed memory.",
    "slab": "the vm_area_struct slab cache: fixed-size objects at stable addresses. SLUB hands back "
            "the most recently freed object first (LIFO).",
    "freelist": "the slab freelist: free objects, next allocation first.",
    "spinlock": "a split page-table spinlock (pmd_lock, pte_lockptr): held for short critical sections.",
    "page": "PG_locked: the page lock. Swap-in I/O holds it until the read completes.",
}


# -- small formatting -----------------------------------------------------------------------
def hexaddr(value: int) -> str:
    return f"{value:#x}"


def size_text(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n} bytes"


def value_text(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return hexaddr(value) if value > 4096 else str(value)
    if isinstance(value, tuple):
        return " | ".join(value_text(v) for v in value) or "(none)"
    return str(value)


def chip_colour(addr: int) -> str:
    digest = hashlib.blake2b(str(addr).encode(), digest_size=2).digest()
    return f"c{int.from_bytes(digest, 'big') % CHIP_COLOURS}"


def vma_text(vma: Vma) -> str:
    kind = f"file {vma.file}" if vma.file else "anon"
    return f"[{hexaddr(vma.start)}, {hexaddr(vma.end)}) {kind}"


GLOSSARY_OF_LOCK_CLASS = {"mmap_sem": "mmap_sem", "anon_vma": "anon_vma", "ptl": "spinlock", "page": "page"}


def glossary_key(lock: LockId) -> str:
    return GLOSSARY_OF_LOCK_CLASS[lock.cls]


# -- view models ------------------------------------------------------------------------------
@dataclass
class Chip:
    text: str
    colour: str
    note: str = ""
    stale: bool = False


@dataclass
class Local:
    name: str
    text: str = ""
    chip: Chip | None = None


@dataclass
class CodeLine:
    number: int
    text: str
    current: bool
    lock_op: bool
    label: str | None


@dataclass
class FrameView:
    function: str
    line: str
    locals: list[Local]
    code: list[CodeLine] = field(default_factory=list)
    doc: str = ""


@dataclass
class Control:
    tid: str
    name: str
    key: str
    enabled: bool
    href: str
    lock_href: str
    block_href: str
    reason: str


@dataclass
class ThreadView:
    tid: str
    name: str
    status: str
    status_text: str
    frames: list[FrameView]
    changed: bool
    ran_last: bool


@dataclass
class LockView:
    name: str
    kind: str
    glossary: str
    holders: str
    queue: list[str]
    changed: bool


@dataclass
class Panel:
    changed: bool = False


def pointer_chip(state: State, ptr: Ptr) -> Chip:
    note = ""
    stale = False
    if ptr.kind == "vm_area_struct":
        obj = state.slab.get(ptr.ref)
        if obj.state != ALLOCATED:
            note, stale = f"taken at gen {ptr.gen}; the object is now {obj.state}", True
        elif obj.gen != ptr.gen:
            note, stale = f"taken at gen {ptr.gen}; the object is now gen {obj.gen}, {vma_text(obj.vma)}", True
        else:
            note = f"gen {obj.gen}, {vma_text(obj.vma)}"
    elif ptr.kind == "pmd":
        table = next((t for t in state.pmd_tables if t.pfn == ptr.ref), None)
        if table is None or not table.live:
            note, stale = f"entry of pmd table pfn {hexaddr(ptr.ref)}, which has been freed", True
        else:
            note = f"entry of the pmd table at pfn {hexaddr(ptr.ref)}"
    return Chip(hexaddr(ptr.addr), chip_colour(ptr.addr), note, stale)


def local_view(state: State, name: str, value: object) -> Local:
    if isinstance(value, Ptr):
        return Local(name, chip=pointer_chip(state, value))
    return Local(name, value_text(value))


def waiting_text(state: State, tid: str) -> str:
    return f"waiting for {engine.waiting_for(state, tid)}"


def thread_views(state: State, prev: State | None, last_tid: str | None) -> list[ThreadView]:
    out = []
    for t in state.threads:
        frames = []
        for depth, f in enumerate(t.frames):
            top = depth == len(t.frames) - 1
            code = [CodeLine(n + 1, s.line, n == f.pc, s.lock_op, s.label)
                    for n, s in enumerate(f.program.steps)] if top else []
            frames.append(FrameView(f.program.function, f.line,
                                    [local_view(state, k, v) for k, v in f.locals], code, f.program.doc))
        if t.status == "done":
            status_text = f"done: returned {value_text(t.result)}"
        elif t.status == "blocked":
            status_text = waiting_text(state, t.tid)
        elif state.violation is not None:
            status_text = "stopped: the kernel crashed" if state.violation.thread == t.tid else "stopped"
        else:
            status_text = f"runnable: next runs line {t.top.pc + 1} of {t.top.program.function}"
        changed = prev is not None and prev.thread(t.tid) != t
        out.append(ThreadView(t.tid, t.name, t.status, status_text, list(reversed(frames)), changed,
                              t.tid == last_tid))
    return out


def controls(scenario: Scenario, variant_id: str, run: Run) -> list[Control]:
    state = run.final
    can = engine.enabled(state)
    out = []
    for t in state.threads:
        ok = t.tid in can
        if ok:
            reason = f"run one line of {t.name}"
        elif state.violation is not None:
            reason = "the run has ended"
        elif t.status == "done":
            reason = "finished"
        else:
            reason = waiting_text(state, t.tid)
        lock_href = block_href = ""
        if ok:
            lock_href = run_to_href(scenario, variant_id, run.schedule, "lock", t.tid)
            block_href = run_to_href(scenario, variant_id, run.schedule, "block", t.tid)
        out.append(Control(t.tid, t.name, t.tid.lower(), ok,
                           player_href(scenario, variant_id, run.schedule + (t.tid,)) if ok else "",
                           lock_href, block_href, reason))
    return out


def lock_views(state: State, prev: State | None) -> list[LockView]:
    before = {lk.id: lk for lk in prev.locks} if prev is not None else {}
    out = []
    ids = [lk.id for lk in state.locks]
    if MMAP_SEM not in ids:
        ids.insert(0, MMAP_SEM)
    for lid in ids:
        lk = state.lock(lid)
        if lk is None:
            out.append(LockView(lid.name, lid.kind, glossary_key(lid), "free", [], MMAP_SEM in before))
            continue
        holders = ", ".join(f"{h} ({lk.holds(h)})" for h in lk.holders()) or "free"
        queue = [f"{tid} ({mode})" for tid, mode in lk.queue]
        out.append(LockView(lid.name, lk.kind, glossary_key(lid), holders, queue, before.get(lid) != lk))
    for lid in before:
        if lid not in ids:
            out.append(LockView(lid.name, lid.kind, glossary_key(lid), "free (released in the last step)",
                                [], True))
    return out


# -- address space --------------------------------------------------------------------------
@dataclass
class VmaCard:
    range: str
    size: str
    kind: str
    flags: str
    anon_vma: str
    obj_addr: str
    colour: str
    gen: int
    was: str
    changed: bool


@dataclass
class Box:
    x: float
    width: float
    kind: str
    label: str
    sub: str
    title: str


@dataclass
class Marker:
    x: float
    width: float
    label: str
    title: str


@dataclass
class Tick:
    x: float
    label: str


@dataclass
class AddressSpace:
    cards: list[VmaCard]
    boxes: list[Box]
    markers: list[Marker]
    ticks: list[Tick]
    width: int
    desc: str
    changed: bool


def _previous_contents(run: Run, index: int, gen: int) -> str:
    for st in reversed(run.states):
        obj = st.slab.get(index) if index < len(st.slab.objects) else None
        if obj is not None and obj.gen == gen - 1 and obj.vma is not None:
            return vma_text(obj.vma)
    return ""


def _targets(state: State) -> list[tuple[int, int, str]]:
    out = []
    for t in state.threads:
        for f in t.frames:
            if f.program.function == "collapse_huge_page":
                address = f.get("address")
                if isinstance(address, int):
                    out.append((address, address + HPAGE_PMD_SIZE, f"{t.tid}: collapse range"))
    return out


def address_space(run: Run) -> AddressSpace:
    state = run.final
    prev = run.states[-2] if len(run.states) > 1 else None
    live = [state.slab.get(i) for i in state.mm.vmas if state.slab.get(i).state == ALLOCATED]
    live.sort(key=lambda o: o.vma.start)
    targets = _targets(state)
    cards = []
    for obj in live:
        v = obj.vma
        before = prev.slab.get(obj.index) if prev is not None and obj.index < len(prev.slab.objects) else None
        cards.append(VmaCard(
            vma_text(v).split(")")[0] + ")", size_text(v.end - v.start),
            f"file {v.file}" if v.file else "anonymous", " ".join(v.flags),
            f"anon_vma {v.anon_vma}" if v.anon_vma is not None else "anon_vma NULL",
            hexaddr(obj.addr), chip_colour(obj.addr), obj.gen,
            _previous_contents(run, obj.index, obj.gen) if obj.gen > 1 else "",
            before != obj))
    points = sorted({p for o in live for p in (o.vma.start, o.vma.end)} | {p for a, b, _ in targets for p in (a, b)})
    segments = list(zip(points, points[1:]))

    def covered(a: int, b: int) -> object | None:
        return next((o for o in live if o.vma.start <= a and b <= o.vma.end), None)

    def weight(a: int, b: int) -> float:
        if covered(a, b) is not None or any(s <= a and b <= e for s, e, _ in targets):
            return 3.0
        return 1.0

    width, margin = 1000, 10
    total = sum(weight(a, b) for a, b in segments) or 1.0
    xs: dict[int, float] = {}
    x = float(margin)
    for a, b in segments:
        xs.setdefault(a, x)
        x += weight(a, b) / total * (width - 2 * margin)
        xs[b] = x
    boxes = []
    for a, b in segments:
        obj = covered(a, b)
        if obj is None:
            if weight(a, b) > 1:
                boxes.append(Box(xs[a], xs[b] - xs[a], "hole", "unmapped", "",
                                 f"[{hexaddr(a)}, {hexaddr(b)}) is not mapped"))
            else:
                boxes.append(Box(xs[a], xs[b] - xs[a], "gap", "…", size_text(b - a),
                                 f"{size_text(b - a)} not shown"))
    for obj in live:
        v = obj.vma
        x0, x1 = xs[v.start], xs[v.end]
        kind = "file" if v.file else "anon"
        boxes.append(Box(x0, x1 - x0, kind, "file" if v.file else "anon", f"gen {obj.gen}",
                         f"{vma_text(v)}, object {hexaddr(obj.addr)} gen {obj.gen}"))
    markers = [Marker(xs[a], xs[b] - xs[a], label, f"{label}: [{hexaddr(a)}, {hexaddr(b)})")
               for a, b, label in targets]
    ticks = []
    last_x = -1000.0
    for p in points:
        if xs[p] - last_x >= 250:
            ticks.append(Tick(xs[p], hexaddr(p)))
            last_x = xs[p]
    desc = "; ".join(f"{c.range} {c.kind}, object {c.obj_addr} gen {c.gen}" for c in cards) or "no VMAs"
    changed = prev is not None and (prev.mm != state.mm or prev.slab != state.slab)
    return AddressSpace(cards, boxes, markers, ticks, width, desc, changed)


# -- slab ---------------------------------------------------------------------------------------
@dataclass
class SlabRow:
    addr: str
    colour: str
    state: str
    gen: int
    contents: str
    allocated: str
    freed: str
    freelist: str
    changed: bool


def slab_rows(state: State, prev: State | None) -> tuple[list[SlabRow], str]:
    order = {index: n for n, index in enumerate(state.slab.freelist)}
    rows = []
    for obj in state.slab.objects:
        before = prev.slab.get(obj.index) if prev is not None and obj.index < len(prev.slab.objects) else None
        pos = order.get(obj.index)
        rows.append(SlabRow(
            hexaddr(obj.addr), chip_colour(obj.addr), obj.state, obj.gen,
            (vma_text(obj.vma) + (" (stale contents)" if obj.state != ALLOCATED else "")) if obj.vma else "never used",
            _site(obj.allocated),
            _site(obj.freed),
            ("next allocation" if pos == 0 else f"{_ordinal(pos + 1)} in line") if pos is not None else "",
            prev is not None and before != obj))
    freelist = ", ".join(hexaddr(state.slab.get(i).addr) for i in state.slab.freelist) or "empty"
    return rows, freelist


def _site(site) -> str:
    """Who allocated or freed an object; tid "-" marks objects older than the scenario."""
    if site is None:
        return ""
    who = "the process, before the scenario" if site.tid == "-" else site.tid
    return f"{who}: {site.stack}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# -- page tables --------------------------------------------------------------------------------
@dataclass
class PteRow:
    addr: str
    kind: str
    target: str
    flags: str
    contents: str


@dataclass
class PmdRow:
    addr: str
    kind: str
    target: str
    ptes: list[PteRow]
    counts: str
    note: str


@dataclass
class PmdTableView:
    pfn: str
    covers: str
    live: bool
    entries: list[PmdRow]


def page_tables(state: State) -> tuple[list[PmdTableView], list[str]]:
    tables = {t.pfn: t for t in state.pte_tables}
    targets = {a for a, _, _ in _targets(state)}
    views = []
    for pt in state.pmd_tables:
        addrs = sorted({a for a, _ in pt.entries} | {a for a in targets if pt.base <= a < pt.base + (1 << 30)})
        rows = []
        for a in addrs:
            entry = pt.entry(a)
            ptes: list[PteRow] = []
            counts = note = ""
            if entry.kind == TABLE:
                table = tables.get(entry.target)
                target = f"pte table pfn {hexaddr(entry.target)}"
                if table is not None:
                    if not table.live:
                        note = "this pte table page has been freed"
                    for addr, pte in table.ptes:
                        ptes.append(_pte_row(state, addr, pte))
                    c = table.counts()
                    counts = (f"{c['present']} present ({c['young']} young, {c['writable']} writable), "
                              f"{c['swap']} swap, {c['none']} none of 512")
            elif entry.kind == HUGE:
                page = state.page(entry.target)
                target = f"huge page pfn {hexaddr(entry.target)}"
                if page is not None:
                    ptes = [PteRow(hexaddr(addr), "in huge page", "", "", data) for addr, data in page.data]
            else:
                target = ""
            rows.append(PmdRow(hexaddr(a), entry.kind, target, ptes, counts, note))
        views.append(PmdTableView(hexaddr(pt.pfn), f"[{hexaddr(pt.base)}, {hexaddr(pt.base + (1 << 30))})",
                                  pt.live, rows))
    orphans = [f"pte table pfn {hexaddr(t.pfn)}" + (" (freed)" if not t.live else "")
               for t in state.pte_tables
               if not any(e.kind == TABLE and e.target == t.pfn for pt in state.pmd_tables for _, e in pt.entries)]
    return views, orphans


def _pte_row(state: State, addr: int, pte) -> PteRow:
    flags = " ".join(f for f, on in (("writable", pte.writable), ("young", pte.young)) if on)
    if pte.kind == PRESENT:
        page = state.page(pte.page)
        data = page.at(addr) if page is not None else None
        return PteRow(hexaddr(addr), PRESENT, f"page pfn {hexaddr(pte.page)}", flags, f"“{data}”" if data else "")
    if pte.kind == SWAP:
        return PteRow(hexaddr(addr), SWAP, f"swap slot {pte.swap}", "", f"“{state.swap_data(pte.swap) or ''}” (in swap)")
    return PteRow(hexaddr(addr), NONE, "", "", "")


@dataclass
class MemoryRow:
    addr: str
    contents: str
    lost: bool


def user_memory(run: Run) -> list[MemoryRow]:
    """What the process would read at each drawn page, and whether the data it wrote is gone."""
    first, state = run.states[0], run.final
    wrote: dict[int, str] = {}
    for pt in first.pte_tables:
        for addr, pte in pt.ptes:
            if pte.kind == PRESENT:
                page = first.page(pte.page)
                wrote[addr] = (page.at(addr) or "") if page else ""
            elif pte.kind == SWAP:
                wrote[addr] = first.swap_data(pte.swap) or ""
    live = [state.slab.get(i).vma for i in state.mm.vmas if state.slab.get(i).state == ALLOCATED]
    rows = []
    for addr, data in sorted(wrote.items()):
        vma = next((v for v in live if v.start <= addr < v.end), None)
        if vma is None:
            rows.append(MemoryRow(hexaddr(addr), "unmapped (the process unmapped it)", False))
            continue
        if vma.file:
            rows.append(MemoryRow(hexaddr(addr), f"file {vma.file} (the process replaced the mapping)", False))
            continue
        seen = state.read_user(addr) or ""
        lost = seen != data
        rows.append(MemoryRow(hexaddr(addr), f"“{seen}”" + (f" (the process wrote “{data}”: lost)" if lost else ""),
                              lost))
    return rows


# -- timeline ---------------------------------------------------------------------------------
@dataclass
class Lane:
    tid: str
    name: str
    y: float


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    kind: str
    title: str


@dataclass
class TimelineTick:
    x: float
    y: float
    step: int
    tid: str
    href: str
    current: bool
    title: str


@dataclass
class Timeline:
    width: float
    height: float
    lanes: list[Lane]
    bars: list[Bar]
    ticks: list[TimelineTick]
    step_width: float
    left: float


LANE_HEIGHT = 44
LEFT = 150


def timeline(scenario: Scenario, variant_id: str, run: Run) -> Timeline:
    n = len(run.schedule)
    step_w = max(8.0, min(28.0, 860 / max(n, 1)))
    width = LEFT + step_w * (n + 1) + 20
    threads = run.states[0].threads
    lanes = [Lane(t.tid, t.name, 10 + i * LANE_HEIGHT) for i, t in enumerate(threads)]
    lane_y = {lane.tid: lane.y for lane in lanes}
    bars: list[Bar] = []
    lock_names: list[str] = []
    spans: dict[tuple[str, str, str], list[list[int]]] = {}
    for i, st in enumerate(run.states):
        held = [(h, lk.name, lk.holds(h), lk.kind) for lk in st.locks for h in lk.holders()]
        held += [(t.tid, "blocked", str(t.waiting[0]) if t.waiting else "", "blocked")
                 for t in st.threads if t.status == "blocked"]
        for tid, name, mode, kind in held:
            if name not in lock_names:
                lock_names.append(name)
            runs = spans.setdefault((tid, name, f"{kind} {mode}"), [])
            if runs and runs[-1][1] == i:
                runs[-1][1] = i + 1
            else:
                runs.append([i, i + 1])
    for (tid, name, how), runs in spans.items():
        kind, _, mode = how.partition(" ")
        slot = min(lock_names.index(name), 3)
        for a, b in runs:
            b = min(b, n + 1)
            what = f"blocked waiting for {mode}" if kind == "blocked" else f"holds {name} ({mode})"
            bars.append(Bar(LEFT + a * step_w, lane_y[tid] + 20 + slot * 5, (b - a) * step_w, 4,
                            "blocked" if kind == "blocked" else f"{kind} {mode}",
                            f"{tid} {what} after steps {a}–{b - 1}"))
    ticks = []
    for i, tid in enumerate(run.schedule, start=1):
        ticks.append(TimelineTick(LEFT + i * step_w, lane_y[tid] + 2, i, tid,
                                  player_href(scenario, variant_id, run.schedule[:i]), i == n,
                                  f"step {i}: {engine.narrate(run.states[i])}"))
    return Timeline(width, 10 + len(lanes) * LANE_HEIGHT, lanes, bars, ticks, step_w, LEFT)


# -- events and violation ------------------------------------------------------------------------
@dataclass
class EventLine:
    text: str
    kind: str


@dataclass
class StepEvents:
    step: int
    tid: str
    href: str
    events: list[EventLine]
    current: bool


def event_log(scenario: Scenario, variant_id: str, run: Run) -> list[StepEvents]:
    out = [StepEvents(0, "", player_href(scenario, variant_id, ()),
                      [EventLine(engine.narrate(run.states[0]), "note")], len(run.schedule) == 0)]
    for i, tid in enumerate(run.schedule, start=1):
        events = [EventLine(e.text, e.kind) for e in run.states[i].last] or [EventLine("nothing visible", "note")]
        out.append(StepEvents(i, tid, player_href(scenario, variant_id, run.schedule[:i]), events,
                              i == len(run.schedule)))
    return list(reversed(out))


@dataclass
class ViolationView:
    kind: str
    object: str
    step: int
    thread: str
    message: str
    report: str
    check: str
    href: str


def violation_view(scenario: Scenario, variant_id: str, run: Run) -> ViolationView | None:
    v = run.final.violation
    if v is None:
        return None
    return ViolationView(v.kind, v.object or "", v.step, v.thread, v.message, v.report, v.check.text,
                         player_href(scenario, variant_id, run.schedule[:v.step]))


# -- scenario and variants --------------------------------------------------------------------------
@dataclass
class VariantChoice:
    id: str
    title: str
    summary: str
    verdict: str
    safe: bool
    href: str
    current: bool


def verdict(scenario: Scenario, variant_id: str) -> tuple[str, bool]:
    kinds = scenario.spec.expect.get(variant_id, {})
    if not kinds:
        return "safe", True
    return ", ".join(kinds), False


def variant_choices(scenario: Scenario, current: str | None, tids: tuple[str, ...]) -> list[VariantChoice]:
    out = []
    for vid in engine.VARIANT_IDS:
        v = engine.VARIANTS[vid]
        text, safe = verdict(scenario, vid)
        out.append(VariantChoice(vid, v.title, v.summary, text, safe, player_href(scenario, vid, tids),
                                 vid == current))
    return out


@dataclass
class ScenarioCard:
    id: str
    title: str
    question: str
    kernel: str
    case: str
    seed: str
    note: str
    assumptions: list[str]
    digest: str
    version: int
    threads: list[str]
    href: str
    variants: list[VariantChoice]


def scenario_card(scenario: Scenario) -> ScenarioCard:
    spec = scenario.spec
    return ScenarioCard(spec.id, spec.title, spec.question, spec.kernel, spec.case, spec.seed,
                        spec.note.strip(), list(spec.assumptions), scenario.digest, spec.version,
                        [f"{t.id}: {t.name} ({t.program})" for t in sorted(spec.threads, key=lambda t: t.id)],
                        player_href(scenario, engine.VARIANT_IDS[0], ()),
                        variant_choices(scenario, None, ()))


# -- the player ----------------------------------------------------------------------------------
@dataclass
class Player:
    scenario: ScenarioCard
    variant: VariantChoice
    variants: list[VariantChoice]
    schedule: str
    steps: int
    href: str
    back_href: str
    restart_href: str
    end_href: str
    compare_href: str
    narration: str
    narration_text: str
    title: str
    controls: list[Control]
    ended: str
    threads: list[ThreadView]
    locks: list[LockView]
    locks_changed: bool
    space: AddressSpace
    slab: list[SlabRow]
    freelist: str
    slab_changed: bool
    tables: list[PmdTableView]
    orphan_tables: list[str]
    tables_changed: bool
    memory: list[MemoryRow]
    timeline: Timeline
    events: list[StepEvents]
    violation: ViolationView | None
    problem: str
    glossary: dict[str, str]


def player(scenario: Scenario, variant_id: str, run: Run, problem: str = "") -> Player:
    state = run.final
    prev = run.states[-2] if len(run.states) > 1 else None
    tids = run.schedule
    variants = variant_choices(scenario, variant_id, tids)
    current = next(c for c in variants if c.current)
    slab, freelist = slab_rows(state, prev)
    tables, orphans = page_tables(state)
    return Player(
        scenario=scenario_card(scenario), variant=current, variants=variants,
        schedule=engine.format_schedule(tids), steps=len(tids), href=player_href(scenario, variant_id, tids),
        back_href=player_href(scenario, variant_id, tids[:-1]) if tids else "",
        restart_href=player_href(scenario, variant_id, ()),
        end_href=run_to_href(scenario, variant_id, tids, "end") if engine.enabled(state) else "",
        compare_href=compare_href(scenario, variant_id, _other_variant(variant_id), tids),
        narration=f"Step {len(tids)}: {engine.narrate(state)}" if tids else engine.narrate(state),
        narration_text=engine.narrate(state),
        title=f"{scenario.spec.title} · {variant_id} · step {len(tids)}",
        controls=controls(scenario, variant_id, run), ended=ended_text(state), threads=thread_views(state, prev, tids[-1] if tids else None),
        locks=lock_views(state, prev), locks_changed=prev is not None and prev.locks != state.locks,
        space=address_space(run), slab=slab, freelist=freelist,
        slab_changed=prev is not None and prev.slab != state.slab, tables=tables, orphan_tables=orphans,
        tables_changed=prev is not None and (prev.pmd_tables != state.pmd_tables or prev.pte_tables != state.pte_tables
                                             or prev.pages != state.pages),
        memory=user_memory(run), timeline=timeline(scenario, variant_id, run),
        events=event_log(scenario, variant_id, run), violation=violation_view(scenario, variant_id, run),
        problem=problem, glossary=GLOSSARY)


def ended_text(state: State) -> str:
    """One line for a run in which no thread can step any more ("" while one can)."""
    if engine.enabled(state):
        return ""
    v = state.violation
    if v is not None:
        return f"The run has ended at step {v.step}: {v.kind} in {state.thread(v.thread).name} ({v.thread})."
    return "Every thread has finished."


def _other_variant(variant_id: str) -> str:
    return "v4.8" if variant_id != "v4.8" else "v1-pointer-check"


# -- compare ---------------------------------------------------------------------------------------
@dataclass
class Side:
    variant: VariantChoice
    steps: int
    problem: str
    threads: list[ThreadView]
    violation: ViolationView | None
    href: str


@dataclass
class CompareRow:
    step: int
    tid: str
    a: str
    b: str
    differs: bool
    first: bool


@dataclass
class Compare:
    scenario: ScenarioCard
    a: Side
    b: Side
    schedule: str
    rows: list[CompareRow]
    first_difference: int | None
    controls: list[Control]
    back_href: str
    variants: list[str]


def side(scenario: Scenario, variant_id: str, run: Run, problem: str) -> Side:
    choice = next(c for c in variant_choices(scenario, variant_id, run.schedule) if c.current)
    return Side(choice, len(run.schedule), problem, thread_views(run.final, None, None),
                violation_view(scenario, variant_id, run), player_href(scenario, variant_id, run.schedule))


def compare(scenario: Scenario, a: tuple[str, Run, str], b: tuple[str, Run, str], tids: tuple[str, ...]) -> Compare:
    (va, ra, pa), (vb, rb, pb) = a, b
    rows = []
    first = None
    for i, tid in enumerate(tids, start=1):
        ta = engine.narrate(ra.states[i]) if i < len(ra.states) else "(the schedule is not valid here)"
        tb = engine.narrate(rb.states[i]) if i < len(rb.states) else "(the schedule is not valid here)"
        differs = ta != tb
        if differs and first is None:
            first = i
        rows.append(CompareRow(i, tid, ta, tb, differs, first == i))
    common = ra.final if len(ra.states) <= len(rb.states) else rb.final
    both_valid = len(ra.states) == len(rb.states) == len(tids) + 1
    can = set(engine.enabled(ra.final)) & set(engine.enabled(rb.final)) if both_valid else set()
    ctrls = [Control(t.tid, t.name, t.tid.lower(), t.tid in can,
                     compare_href(scenario, va, vb, tids + (t.tid,)) if t.tid in can else "", "", "",
                     "enabled in both" if t.tid in can else "not enabled in both variants")
             for t in common.threads]
    return Compare(scenario_card(scenario), side(scenario, va, ra, pa), side(scenario, vb, rb, pb),
                   engine.format_schedule(tids), rows, first, ctrls,
                   compare_href(scenario, va, vb, tids[:-1]) if tids else "", list(engine.VARIANT_IDS))


# -- JSON (API and `mmlock show --json`) ------------------------------------------------------------
def _json_value(value: object) -> object:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return value_text(value)


def replay_json(scenario: Scenario, variant_id: str, run: Run) -> dict:
    state = run.final
    threads = []
    for t in state.threads:
        top = t.top
        threads.append({
            "id": t.tid, "name": t.name, "status": t.status,
            "function": top.program.function if top else None,
            "line": top.line if top else None,
            "waiting_for": f"{t.waiting[0]} ({t.waiting[1]})" if t.waiting else None,
            "result": _json_value(t.result),
        })
    v = state.violation
    violations = [{"kind": v.kind, "object": v.object, "step": v.step, "thread": v.thread, "message": v.message}] if v else []
    return {"scenario": scenario.id, "variant": variant_id, "schedule": engine.format_schedule(run.schedule),
            "steps": len(run.schedule), "threads": threads, "enabled": list(engine.enabled(state)),
            "violations": violations}
