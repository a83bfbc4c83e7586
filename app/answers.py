"""The explorer's answers as the JSON the API, the pages and ``mmlock explore`` share.

The engine returns values (an Exploration, a ChecksTable whose counterexamples carry their
runs); this module writes them out, with the player links from app.links.
"""

from __future__ import annotations

from typing import Any

import engine
from app.links import run_href
from engine import Scenario
from engine.checks import Cell, ChecksTable, Counterexample
from engine.explore import Exploration


def explore_json(exploration: Exploration, scenario: Scenario, variant_id: str, seconds: float) -> dict[str, Any]:
    """One search's answer.  ``seconds`` is measured by the caller (the engine has no clock).
    ``link`` opens the counterexample at its last step, where the report is; ``start_link``
    opens the same scenario and variant at step 0, to step through ``schedule``."""
    found = exploration.violation if exploration.is_found else None
    schedule = engine.format_schedule(exploration.schedule) if exploration.is_found else None
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
        "violation": None if found is None else {
            "kind": found.kind, "object": found.object, "step": found.step,
            "thread": found.thread, "message": found.message},
        "link": None if schedule is None else run_href(scenario.ref(variant_id, exploration.schedule)),
        "start_link": None if schedule is None else run_href(scenario.ref(variant_id)),
    }


def counterexample_json(c: Counterexample) -> dict[str, Any]:
    return {"kind": c.key, "schedule": c.schedule, "steps": c.steps, "preemptions": c.preemptions,
            "shortest_steps": c.shortest_steps, "message": c.message, "link": run_href(c.run)}


def cell_json(cell: Cell) -> dict[str, Any]:
    return {"ablation": cell.ablation, "scenario": cell.scenario, "status": cell.status,
            "counterexamples": [counterexample_json(c) for c in cell.counterexamples], "bound": cell.bound}


def checks_json(table: ChecksTable) -> dict[str, Any]:
    return {"checks": [{"ablation": a, "check": engine.VARIANTS[a].removed,
                        "title": engine.VARIANTS[a].title, "summary": engine.VARIANTS[a].summary,
                        "needed": table.is_needed(a), "verdict": table.summary(a),
                        "cells": [cell_json(c) for c in table.row(a)]}
                       for a in table.ablations],
            "scenarios": list(table.scenarios)}
