"""The timeline (SVG lanes, lock bars, step ticks), the kernel log and the violation report.
"""

from __future__ import annotations

from dataclasses import dataclass

import engine
from app.links import player_href
from engine import Run, Scenario
from engine.eras import lock_name

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
