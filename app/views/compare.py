"""The compare page: one interleaving on two variants, switch point by switch point.

The schedule leads on one side (app.replays.aligned); the other side runs the same
interleaving carried across by engine.align, so each segment (a run of one thread) is a
row group: what each side's steps said, and where the thread ended up.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import zip_longest

import engine
from app.links import compare_href, player_href
from app.replays import Aligned
from app.views.replay_json import replay_json
from app.views.catalog import ScenarioCard, VariantChoice, scenario_card, variant_choices, variant_ids
from app.views.threads import Control, ThreadView, thread_views, why_not
from app.views.timeline import ViolationView, violation_view
from engine import Run, Scenario
from engine.align import Segment


@dataclass
class Side:
    variant: VariantChoice
    steps: int
    schedule: str
    leads: bool
    outcome: str
    threads: list[ThreadView]
    violation: ViolationView | None
    href: str


@dataclass
class StepPair:
    a: int | None
    a_text: str
    b: int | None
    b_text: str
    differs: bool


@dataclass
class SegmentView:
    number: int
    tid: str
    rule: str
    a_steps: str
    b_steps: str
    note: str
    ended: tuple[str, str]
    same: bool
    parted: bool
    pairs: list[StepPair]


@dataclass
class Compare:
    scenario: ScenarioCard
    a: Side
    b: Side
    lead: Side
    other: Side
    problem: str
    segments: list[SegmentView]
    parted: int | None
    ended: str                          # the leading run cannot go on ("" while a thread can run)
    controls: list[Control]
    back_href: str
    variants: list[str]
    code_changes: tuple[engine.variants.Change, ...]


def outcome(run: Run) -> str:
    """How the run ends, with the scan codes khugepaged's checks returned on the way."""
    state = run.final
    gave_up = [e.text for s in run.states for e in s.last if e.kind == "scan-result" and e.code]
    v = state.violation
    if v is not None:
        end = f"{v.kind} in {state.thread(v.thread).name} at step {v.step}"
    elif engine.enabled(state):
        end = f"still running after step {len(run.schedule)}"
    else:
        end = "every thread finished, no violation: " + ", ".join(
            f"{t.tid} returned {t.result}" for t in state.threads)
    return "; ".join(gave_up + [end])


def side(scenario: Scenario, variant_id: str, run: Run, leads: bool) -> Side:
    choice = next(c for c in variant_choices(scenario, variant_id, run.schedule) if c.current)
    return Side(choice, len(run.schedule), engine.format_schedule(run.schedule), leads, outcome(run),
                thread_views(run.final, None, None), violation_view(scenario, variant_id, run),
                player_href(scenario, variant_id, run.schedule))


Span = tuple[int, int] | None        # a segment's first and last step on one side, None: no step there


def _steps(span: Span) -> str:
    if span is None:
        return "no step"
    first, last = span
    return f"step {first}" if first == last else f"steps {first}–{last}"


def _pairs(a: Run, b: Run, sa: Span, sb: Span) -> list[StepPair]:
    left = [(i, engine.narrate(a.states[i])) for i in range(sa[0], sa[1] + 1)] if sa else []
    right = [(i, engine.narrate(b.states[i])) for i in range(sb[0], sb[1] + 1)] if sb else []
    return [StepPair(x[0] if x else None, x[1] if x else "", y[0] if y else None, y[1] if y else "",
                     (x[1] if x else None) != (y[1] if y else None))
            for x, y in zip_longest(left, right)]


def by_side(seg: Segment, lead: str) -> tuple[Span, Span, tuple[str, str]]:
    """A segment's steps and ends as a and b, whichever side led (the segment has them as
    the leading side's, then the other's)."""
    if lead == "a":
        return seg.a, seg.b, seg.ended
    return seg.b, seg.a, (seg.ended[1], seg.ended[0])


def segment_view(n: int, seg: Segment, lead: str, a: Run, b: Run, parted: bool) -> SegmentView:
    sa, sb, ended = by_side(seg, lead)
    return SegmentView(n, seg.tid, seg.mark.text(seg.tid), _steps(sa), _steps(sb), seg.note, ended, seg.same,
                       parted, _pairs(a, b, sa, sb))


def compare(scenario: Scenario, va: str, vb: str, al: Aligned) -> Compare:
    ra, rb = al.run("a"), al.run("b")
    a, b = side(scenario, va, ra, al.lead == "a"), side(scenario, vb, rb, al.lead == "b")
    lead_run = al.alignment.source
    tids = lead_run.schedule
    parted = al.alignment.parted
    segments = [segment_view(i + 1, seg, al.lead, ra, rb, i == parted)
                for i, seg in enumerate(al.alignment.segments)]
    can = engine.enabled(lead_run.final)
    lead = a if al.lead == "a" else b
    ctrls = [Control(t.tid, t.name, t.tid.lower(), t.tid in can,
                     compare_href(scenario, va, vb, tids + (t.tid,)) if t.tid in can else "", "", "",
                     f"run one line of {t.name} on {lead.variant.id}, and the same interleaving on the other"
                     if t.tid in can else why_not(lead_run.final, t.tid))
             for t in lead_run.final.threads]
    ended = "" if can else f"The {lead.variant.id} run has ended: step back, or compare other variants below."
    return Compare(scenario_card(scenario), a, b, lead, b if lead is a else a, al.problem, segments,
                   None if parted is None else parted + 1, ended, ctrls,
                   compare_href(scenario, va, vb, tids[:-1]) if tids else "", list(variant_ids(scenario, va, vb)),
                   engine.variants.diff(va, vb))


def compare_json(scenario: Scenario, va: str, vb: str, al: Aligned) -> dict:
    """Both runs as the replay JSON, which side's schedule leads, and the segments: each
    with its rule and the steps it took on each side (first and last, or null)."""
    segments = []
    for seg in al.alignment.segments:
        sa, sb, (ea, eb) = by_side(seg, al.lead)
        segments.append({"thread": seg.tid, "rule": seg.mark.text(seg.tid), "a": list(sa) if sa else None,
                         "b": list(sb) if sb else None, "kept": seg.kept, "note": seg.note,
                         "ended": {"a": ea, "b": eb}, "same": seg.same})
    ra, rb = al.run("a"), al.run("b")
    return {"a": {**replay_json(scenario, va, ra), "outcome": outcome(ra)},
            "b": {**replay_json(scenario, vb, rb), "outcome": outcome(rb)},
            "lead": al.lead, "parted": al.alignment.parted, "segments": segments}
