"""The explorer's answers as the JSON the API, the pages and ``mmlock explore`` share.

The engine returns values (an Exploration, the CheckSets whose counterexamples carry their
runs); this module writes them out, with the player links from app.links.
"""

from __future__ import annotations

from typing import Any

import engine
from app.links import run_href
from engine import Scenario
from engine.checks import CheckSets, Counterexample, SetResult, safe_everywhere
from engine.programs.khugepaged import ALL_CHECKS, CHECKS, ids_of
from engine.explore import Exploration, preemptions_along


def explore_json(exploration: Exploration, scenario: Scenario, variant_id: str, seconds: float,
                 prefix: tuple[str, ...] = ()) -> dict[str, Any]:
    """One search's answer.  ``seconds`` is measured by the caller (the engine has no clock).
    ``link`` opens the counterexample at its last step, where the report is; ``start_link``
    opens the same scenario and variant at step 0, to step through ``schedule``;
    ``shortest_schedule`` (and its ``shortest_link``) is the shortest schedule to the goal,
    which may take more preemptions than ``schedule``, the fewest-preemption one.  A search
    from a state (``prefix``) names it in ``from`` and links it as ``from_link``; its
    ``schedule`` still runs from step 0 and begins with the prefix."""
    found = exploration.violation if exploration.is_found else None
    schedule = engine.format_schedule(exploration.schedule) if exploration.is_found else None
    shortest = exploration.shortest if exploration.is_found and exploration.shortest else None
    return {
        "scenario": scenario.id,
        "variant": variant_id,
        "goal": str(exploration.goal),
        "verdict": exploration.verdict,
        "bound": exploration.bound,
        "states": exploration.states,
        "transitions": exploration.transitions,
        "seconds": round(seconds, 3),
        "schedule": schedule,
        "steps": len(exploration.schedule) if exploration.is_found else None,
        "preemptions": exploration.preemptions,
        "shortest_steps": exploration.shortest_steps,
        "shortest_schedule": None if shortest is None else engine.format_schedule(shortest),
        "shortest_preemptions": None if shortest is None else preemptions_along(
            engine.replay(scenario.initial(variant_id), shortest)),
        "shortest_link": None if shortest is None else run_href(scenario.ref(variant_id, shortest)),
        "violation": None if found is None else {
            "kind": found.kind, "object": found.object, "step": found.step,
            "thread": found.thread, "message": found.message},
        "link": None if schedule is None else run_href(scenario.ref(variant_id, exploration.schedule)),
        "start_link": None if schedule is None else run_href(scenario.ref(variant_id)),
        "from": engine.format_schedule(prefix) if prefix else None,
        "from_steps": len(prefix),
        "from_link": run_href(scenario.ref(variant_id, prefix)) if prefix else None,
    }


def counterexample_json(c: Counterexample) -> dict[str, Any]:
    return {"kind": c.key, "schedule": c.schedule, "steps": c.steps, "preemptions": c.preemptions,
            "shortest_steps": c.shortest_steps, "message": c.message, "link": run_href(c.run)}


def set_json(r: SetResult) -> dict[str, Any]:
    return {"checks": list(r.ids), "variant": r.variant, "status": r.status, "bound": r.bound,
            "states": r.states,
            "counterexample": None if r.counterexample is None else counterexample_json(r.counterexample)}


def check_sets_json(sets: CheckSets) -> dict[str, Any]:
    """One scenario's 32 answers and what follows from them."""
    return {"scenario": sets.scenario, "needs": sets.needs, "complete": sets.is_complete,
            "minimal": [list(ids_of(m)) for m in sets.minimal],
            "roles": {c: sets.role(c) for c in ALL_CHECKS},
            "without": [{"minimal": list(ids_of(m)), "removed": c, **set_json(r)}
                        for m, c, r in sets.neighbours],
            "breaks": [{"safe": list(b.safe.ids), "added": b.added, **set_json(b.unsafe)} for b in sets.breaks],
            "sets": [set_json(r) for r in sets.results]}


def checks_json(all_sets: list[CheckSets]) -> dict[str, Any]:
    """The whole catalog: the checks, each scenario's answers, and the minimal sets that
    keep every scenario safe."""
    return {"checks": [{"id": c.id, "code": c.code, "name": c.name} for c in CHECKS.values()],
            "everywhere": [list(ids_of(m)) for m in safe_everywhere(all_sets)],
            "scenarios": [check_sets_json(s) for s in all_sets]}
