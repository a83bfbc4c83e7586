"""The compare page: one schedule on two variants, step by step.
"""

from __future__ import annotations

from dataclasses import dataclass

import engine
from app.links import compare_href, player_href
from app.views.catalog import ScenarioCard, VariantChoice, scenario_card, variant_choices, variant_ids
from app.views.threads import Control, ThreadView, thread_views
from app.views.timeline import ViolationView, violation_view
from engine import Run, Scenario

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
    code_changes: tuple[engine.variants.Change, ...]


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
                   compare_href(scenario, va, vb, tids[:-1]) if tids else "", list(variant_ids(scenario, va, vb)),
                   engine.variants.diff(va, vb))
