"""Verify what a scenario file claims: every witness replays to its declared violation, and
every declaration is the whole truth of a complete search.

For each variant the file declares, the explorer covers the whole state space (within a
stated bound): a variant declared safe must reach no violation, and one declared with
violations must reach those and no others.  A search cut by its bound leaves the claim
"unverified", never "ok".  Pure: the time budget is a callable the caller passes in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from engine.checks import reach
from engine.errors import ScheduleError
from engine.explore import DEFAULT_MAX_STATES
from engine.scenario import Scenario
from engine.schedule import format_schedule, parse_schedule, replay

Status = Literal["ok", "false", "unverified"]


@dataclass(frozen=True)
class Claim:
    """What checking one variant's declaration found: ``ok``, ``false`` (with what was
    found instead) or ``unverified`` (a bound stopped the search)."""

    variant: str
    status: Status
    message: str


def _witness_problem(scenario: Scenario, variant: str, key: str, witness: str) -> str | None:
    try:
        final = replay(scenario.initial(variant), parse_schedule(witness)).final
    except ScheduleError as e:
        return f"the witness {witness} for {key} does not replay: {e}"
    kind, _, obj = key.partition(":")
    found = final.violation
    if found is None:
        return f"the witness {witness} for {key} ends after {final.steps} steps without a violation"
    if (found.kind, found.object) != (kind, obj or None) or found.step != final.steps:
        seen = found.kind + (f":{found.object}" if found.object else "")
        return f"the witness {witness} for {key} ends in {seen} at step {found.step}"
    return None


def verify(scenario: Scenario, *, max_states: int = DEFAULT_MAX_STATES,
           out_of_time: Callable[[], bool] = lambda: False) -> list[Claim]:
    """One Claim per variant the scenario declares, in the file's order."""
    claims = []
    for variant, declared in scenario.spec.expect.items():
        problems = [p for key, w in declared.items() if (p := _witness_problem(scenario, variant, key, w))]
        reached = reach(scenario, variant, max_states=max_states, out_of_time=out_of_time)
        problems += [f"{key} is reachable too ({format_schedule(reached.schedules[key])}) but not declared"
                     for key in sorted(reached.keys - set(declared))]
        if reached.is_complete:
            problems += [f"{key} is declared but no schedule reaches it"
                         for key in sorted(set(declared) - reached.keys)]
        if problems:
            claims.append(Claim(variant, "false", "; ".join(problems)))
        elif not reached.is_complete:
            claims.append(Claim(variant, "unverified", f"the {reached.bound} bound stopped the search"))
        else:
            what = "safe" if not declared else ", ".join(declared)
            claims.append(Claim(variant, "ok", f"{what}: the witnesses replay and a complete search agrees"))
    return claims
