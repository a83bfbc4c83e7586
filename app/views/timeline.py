"""The timeline (SVG lanes, lock bars, step ticks), the kernel log and the violation report.
"""

from __future__ import annotations

from dataclasses import dataclass

import engine
from app.links import player_href, prefix_hrefs
from app.views.format import text_width
from engine import Run, Scenario
from engine.eras import lock_name


@dataclass
class Lane:
    tid: str
    name: str           # the thread's whole name: the label above its lane is never cut
    y: float            # the top of the lane
    label_y: float      # the label's baseline
    line_y: float       # the lane's line, through the middle of its ticks


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
class AxisLabel:
    x: float
    step: int
    current: bool


@dataclass
class Timeline:
    width: float
    height: float
    lanes: list[Lane]
    bars: list[Bar]
    ticks: list[TimelineTick]
    step_width: float
    left: float
    axis: list[AxisLabel]   # step numbers over the ticks: each step if there is room, else every 5th, 10th ...
    axis_y: float
    tick_height: float


# the geometry, in px; the fonts are app.css's (13 px labels, 11 px step numbers, monospace)
LEFT = 8                # x of state 0; tick i is at LEFT + i * step width
AXIS_HEIGHT = 24        # the row of step numbers
LANE_HEIGHT = 60        # a lane: its label, its ticks, then up to four bars of held locks
TICK_HEIGHT = 18
LABEL_PX, AXIS_PX = 13, 11
AXIS_GAP = 6            # at least this much between two step numbers
STRIDES = (1, 5, 10, 20, 50, 100, 200, 500, 1000)


def label_width(lane: Lane) -> float:
    """The width of the lane's label, ``K khugepaged``."""
    return text_width(f"{lane.tid} {lane.name}", LABEL_PX)


def number_width(step: int) -> float:
    return text_width(str(step), AXIS_PX)


def axis_steps(n: int, step_w: float) -> list[int]:
    """The steps the axis numbers: every step if its numbers fit side by side, else every
    5th, 10th, 20th ...; always the first and the last (the current) one."""
    if n == 0:
        return []
    need = number_width(n) + AXIS_GAP
    stride = next((s for s in STRIDES if s * step_w >= need), STRIDES[-1])
    shown = [1]
    for k in range(stride, n, stride):
        if (k - shown[-1]) * step_w >= need:
            shown.append(k)
    if n > 1:
        if (n - shown[-1]) * step_w < need and len(shown) > 1:
            shown.pop()         # the current step's number wins over its neighbour's
        shown.append(n)
    return shown


def timeline(scenario: Scenario, variant_id: str, run: Run) -> Timeline:
    n = len(run.schedule)
    step_w = max(8.0, min(28.0, 860 / max(n, 1)))
    threads = run.states[0].threads
    lanes = []
    for i, t in enumerate(threads):
        top = AXIS_HEIGHT + i * LANE_HEIGHT
        lanes.append(Lane(t.tid, t.name, top, top + 13, top + 18 + TICK_HEIGHT / 2))
    width = max(LEFT + step_w * (n + 1) + 12, max((label_width(lane) for lane in lanes), default=0) + 2 * LEFT)
    lane_y = {lane.tid: lane.y for lane in lanes}
    bars: list[Bar] = []
    lock_names: list[str] = []
    spans: dict[tuple[str, str, str], list[list[int]]] = {}
    for i, st in enumerate(run.states):
        held = [(h, lock_name(lk.id, st.config.kernel), lk.holds(h), lk.kind) for lk in st.locks for h in lk.holders()]
        held += [(t.tid, "blocked", lock_name(t.waiting[0], st.config.kernel) if t.waiting else "", "blocked")
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
            bars.append(Bar(LEFT + a * step_w, lane_y[tid] + 19 + TICK_HEIGHT + slot * 5, (b - a) * step_w, 4,
                            "blocked" if kind == "blocked" else f"{kind} {mode}",
                            f"{tid} {what} after steps {a}–{b - 1}"))
    ticks = []
    hrefs = prefix_hrefs(scenario, variant_id, run.schedule)
    for i, tid in enumerate(run.schedule, start=1):
        ticks.append(TimelineTick(LEFT + i * step_w, lane_y[tid] + 18, i, tid, hrefs[i], i == n,
                                  f"step {i}: {engine.narrate(run.states[i])}"))
    axis = [AxisLabel(LEFT + k * step_w, k, k == n) for k in axis_steps(n, step_w)]
    return Timeline(width, AXIS_HEIGHT + len(lanes) * LANE_HEIGHT, lanes, bars, ticks, step_w, LEFT,
                    axis, AXIS_HEIGHT - 8, TICK_HEIGHT)


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


def event_log(scenario: Scenario, variant_id: str, run: Run, newest: int | None = None) -> list[StepEvents]:
    """The log of every step, newest first, or of the ``newest`` steps (step 0 counts as one)."""
    n = len(run.schedule)
    first = 0 if newest is None else max(0, n + 1 - newest)
    hrefs = prefix_hrefs(scenario, variant_id, run.schedule)
    out = [StepEvents(0, "", hrefs[0],
                      [EventLine(engine.narrate(run.states[0]), "note")], n == 0)] if first == 0 else []
    for i in range(max(first, 1), n + 1):
        tid = run.schedule[i - 1]
        events = [EventLine(e.text, e.kind) for e in run.states[i].last] or [EventLine("nothing visible", "note")]
        out.append(StepEvents(i, tid, hrefs[i], events, i == n))
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
