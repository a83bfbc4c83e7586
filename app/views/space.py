"""The address-space panel: VMA cards and the SVG strip's geometry.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.views.format import chip_colour, hexaddr, size_text, text_width, vma_text
from engine import Run, State
from engine.kernel.slab import ALLOCATED
from engine.kernel.vma import HPAGE_PMD_SIZE


@dataclass(frozen=True)
class Rows:
    """The strip's rows, top to bottom, in viewBox units: each text row's baseline and font
    size (the template sets them; app.css only picks the font).  A text's box runs from
    ``ASCENT`` em above its baseline to ``DESCENT`` em below, so the rows never touch."""

    marker_y: float = 24        # "K: collapse range", bold
    marker_px: float = 24
    bracket_top: float = 30     # the bracket under the marker label, down to the boxes
    box_top: float = 40
    box_height: float = 60
    label_y: float = 66         # "anon", "file", "unmapped"
    label_px: float = 24
    sub_y: float = 92           # "gen 2", the size of a gap
    sub_px: float = 20
    tick_y: float = 122         # the addresses under the strip
    tick_px: float = 17
    height: float = 130


ROWS = Rows()
ASCENT, DESCENT = 0.93, 0.24
PAD = 4                 # room left between a label and its box's edge


def fit(width: float, px: float, *texts: str) -> str:
    """The first of ``texts`` that fits in ``width`` with room at each side, else nothing
    (the box's title still says it all)."""
    return next((t for t in texts if text_width(t, px) + 2 * PAD <= width), "")


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
    label_x: float = 0.0    # the label's centre: over the bracket, moved in where it would leave the strip


@dataclass
class Tick:
    x: float
    label: str
    anchor: str = "start"   # "end" for a tick too near the right edge for its label to fit after it


@dataclass
class AddressSpace:
    cards: list[VmaCard]
    boxes: list[Box]
    markers: list[Marker]
    ticks: list[Tick]
    width: int
    desc: str
    changed: bool
    rows: Rows = ROWS


def _previous_contents(run: Run, index: int, gen: int) -> str:
    for st in reversed(run.states):
        obj = st.slab.get(index) if index < len(st.slab.objects) else None
        if obj is not None and obj.gen == gen - 1 and obj.vma is not None:
            return vma_text(obj.vma)
    return ""


def collapse_targets(state: State) -> list[tuple[int, int, str]]:
    out = []
    for t in state.threads:
        for f in t.frames:
            if f.program.function == "collapse_huge_page":
                address = f.get("address")
                if isinstance(address, int):
                    out.append((address, address + HPAGE_PMD_SIZE, f"{t.tid}: collapse range"))
    return out


WIDTH, MARGIN = 1000, 10
TICK_LABEL = 150        # the width of a tick's address label at the tick font size


def _cards(run: Run, live: list) -> list[VmaCard]:
    prev = run.states[-2] if len(run.states) > 1 else None
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
    return cards


class _Strip:
    """The x positions of the strip: mapped and targeted segments weigh 3, the rest 1."""

    def __init__(self, live: list, targets: list[tuple[int, int, str]]) -> None:
        self.live, self.targets = live, targets
        self.points = sorted({p for o in live for p in (o.vma.start, o.vma.end)}
                             | {p for a, b, _ in targets for p in (a, b)})
        self.segments = list(zip(self.points, self.points[1:]))
        total = sum(self.weight(a, b) for a, b in self.segments) or 1.0
        self.xs: dict[int, float] = {}
        x = float(MARGIN)
        for a, b in self.segments:
            self.xs.setdefault(a, x)
            x += self.weight(a, b) / total * (WIDTH - 2 * MARGIN)
            self.xs[b] = x

    def covered(self, a: int, b: int) -> object | None:
        return next((o for o in self.live if o.vma.start <= a and b <= o.vma.end), None)

    def weight(self, a: int, b: int) -> float:
        if self.covered(a, b) is not None or any(s <= a and b <= e for s, e, _ in self.targets):
            return 3.0
        return 1.0

    def boxes(self) -> list[Box]:
        xs, boxes = self.xs, []
        for a, b in self.segments:
            if self.covered(a, b) is not None:
                continue
            w = xs[b] - xs[a]
            if self.weight(a, b) > 1:
                boxes.append(Box(xs[a], w, "hole", fit(w, ROWS.label_px, "unmapped", "none", "-"), "",
                                 f"[{hexaddr(a)}, {hexaddr(b)}) is not mapped"))
            else:
                boxes.append(Box(xs[a], w, "gap", fit(w, ROWS.label_px, "…"), fit(w, ROWS.sub_px, size_text(b - a)),
                                 f"{size_text(b - a)} not shown"))
        for obj in self.live:
            v = obj.vma
            x0, x1 = xs[v.start], xs[v.end]
            kind = "file" if v.file else "anon"
            boxes.append(Box(x0, x1 - x0, kind, fit(x1 - x0, ROWS.label_px, kind, kind[0]),
                             fit(x1 - x0, ROWS.sub_px, f"gen {obj.gen}", f"g{obj.gen}"),
                             f"{vma_text(v)}, object {hexaddr(obj.addr)} gen {obj.gen}"))
        return boxes

    def markers(self) -> list[Marker]:
        xs = self.xs
        out = []
        for a, b, label in self.targets:
            half = text_width(label, ROWS.marker_px) / 2
            centre = min(max((xs[a] + xs[b]) / 2, half), WIDTH - half)
            out.append(Marker(xs[a], xs[b] - xs[a], label, f"{label}: [{hexaddr(a)}, {hexaddr(b)})", centre))
        return out

    def ticks(self) -> list[Tick]:
        ticks = []
        last_x = -1000.0
        for p in self.points:
            # a label runs right of its tick, or left of it where it would run off the right edge,
            # so it needs room for the previous label, or for both labels facing each other
            near_end = self.xs[p] + TICK_LABEL > WIDTH - MARGIN
            if self.xs[p] - last_x >= (2 * TICK_LABEL + 20 if near_end else TICK_LABEL + 100):
                ticks.append(Tick(self.xs[p], hexaddr(p), "end" if near_end else "start"))
                last_x = self.xs[p]
        return ticks


def address_space(run: Run) -> AddressSpace:
    state = run.final
    prev = run.states[-2] if len(run.states) > 1 else None
    live = [state.slab.get(i) for i in state.mm.vmas if state.slab.get(i).state == ALLOCATED]
    live.sort(key=lambda o: o.vma.start)
    cards = _cards(run, live)
    strip = _Strip(live, collapse_targets(state))
    desc = "; ".join(f"{c.range} {c.kind}, object {c.obj_addr} gen {c.gen}" for c in cards) or "no VMAs"
    changed = prev is not None and (prev.mm != state.mm or prev.slab != state.slab)
    return AddressSpace(cards, strip.boxes(), strip.markers(), strip.ticks(), WIDTH, desc, changed)
