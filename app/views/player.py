"""The player's view model: every panel of one state, and its links.
"""

from __future__ import annotations

from dataclasses import dataclass

import engine
from app.links import compare_href, player_href, run_to_href, whole_log_href
from app.lru import Lru
from app.views.catalog import ScenarioCard, VariantChoice, scenario_card, variant_choices
from app.views.memory import MemoryRow, PmdTableView, SlabRow, page_tables, slab_rows, user_memory
from app.views.space import AddressSpace, address_space
from app.views.threads import (Control, LockView, ThreadView, controls, ended_text, glossary, lock_views,
                               thread_views)
from app.views.timeline import StepEvents, Timeline, ViolationView, event_log, timeline, violation_view
from engine import Run, Scenario
from engine.goal import produced_codes, programs_of

@dataclass
class GoalChoice:
    value: str
    label: str


@dataclass
class GoalGroup:
    label: str
    choices: list[GoalChoice]


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
    log_hidden: int                     # the older steps the log leaves out (whole_log shows them)
    log_href: str
    violation: ViolationView | None
    problem: str
    glossary: dict[str, str]
    goals: list[GoalGroup]


LOG_STEPS = 12          # the kernel log shows the newest steps; the timeline and the whole log have the rest


def player(scenario: Scenario, variant_id: str, run: Run, problem: str = "", whole_log: bool = False) -> Player:
    state = run.final
    prev = run.states[-2] if len(run.states) > 1 else None
    tids = run.schedule
    variants = variant_choices(scenario, variant_id, tids)
    current = next(c for c in variants if c.current)
    slab, freelist = slab_rows(state, prev)
    log = event_log(scenario, variant_id, run, None if whole_log else LOG_STEPS)
    tables, orphans = page_tables(state)
    return Player(
        scenario=scenario_card(scenario, variant_id), variant=current, variants=variants,
        schedule=engine.format_schedule(tids), steps=len(tids), href=player_href(scenario, variant_id, tids),
        back_href=player_href(scenario, variant_id, tids[:-1]) if tids else "",
        restart_href=player_href(scenario, variant_id, ()),
        end_href=run_to_href(scenario, variant_id, tids, "end") if engine.enabled(state) else "",
        compare_href=compare_href(scenario, variant_id, _other_variant(scenario, variant_id), tids),
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
        events=log, log_hidden=len(tids) + 1 - len(log),
        log_href=whole_log_href(scenario, variant_id, tids),
        violation=violation_view(scenario, variant_id, run),
        problem=problem, glossary=glossary(state.config.kernel), goals=goal_groups(scenario, variant_id))


def _other_variant(scenario: Scenario, variant_id: str) -> str:
    """What compare sets beside ``variant_id``: the era's fixed kernel, or its first variant."""
    era = scenario.era
    return era.baseline if variant_id != era.baseline else era.default


_PRODUCED = Lru(256)     # (scenario digest, variant) -> the SCAN codes its programs give


def _codes(scenario: Scenario, variant_id: str) -> list[str]:
    key = (scenario.digest, variant_id)
    codes = _PRODUCED.get(key)
    if codes is None:
        codes = produced_codes(programs_of(scenario.initial(variant_id)))
        _PRODUCED.put(key, codes)
    return codes


def goal_groups(scenario: Scenario, variant_id: str) -> list[GoalGroup]:
    """What "Find a bad schedule" can look for, the first choice first: the violations the
    scenario declares for this variant (the story's own, in the order written), those it
    declares for its other variants, any violation, then each SCAN_* code its programs give."""
    expect = scenario.spec.expect
    story = [GoalChoice(kind, f"{kind}, as this scenario declares for {variant_id}")
             for kind in expect.get(variant_id, {})]
    seen = {c.value for c in story}
    for vid, kinds in expect.items():
        for kind in kinds:
            if kind not in seen:
                seen.add(kind)
                story.append(GoalChoice(kind, f"{kind}, as this scenario declares for {vid}"))
    codes = _codes(scenario, variant_id)
    groups = [GoalGroup("The scenario's story", story)] if story else []
    groups.append(GoalGroup("Any bug", [GoalChoice("any", "any violation the oracles know")]))
    if codes:
        groups.append(GoalGroup("A SCAN code from khugepaged", [GoalChoice(c, f"a step gives {c}") for c in codes]))
    return groups
