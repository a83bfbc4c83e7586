"""The explorer's answers the grader needs, computed here and nowhere else: a prove part's
search from its starting state, and the 32 check sets of each scenario a fix part names."""

from __future__ import annotations

from collections.abc import Callable

from engine.checks import CheckSets, check_sets, has_check_sets
from engine.exercises.exercise import Exercise, Part
from engine.explore import DEFAULT_MAX_STATES, Exploration, explore_from
from engine.scenario import Scenario


def _never() -> bool:
    return False


def prove_verdict(part: Part, *, max_states: int = DEFAULT_MAX_STATES,
                  out_of_time: Callable[[], bool] = _never) -> Exploration:
    """The fewest-preemption schedule from the part's state to its goal, or the proof that
    none exists: with no preemption bound, so one answer settles every ``max_preemptions``."""
    assert part.goal is not None and part.scenario is not None
    return explore_from(part.scenario.initial(part.variant), part.prefix, part.goal,
                        max_states=max_states, out_of_time=out_of_time)


def verdict_key(part: Part) -> str:
    """What a prove verdict depends on: the scenario's behaviour (seeded instances share it),
    variant, prefix and goal."""
    assert part.scenario is not None
    return f"{part.scenario.behaviour}:{part.variant}:{''.join(part.prefix)}:{part.goal}"


def needed_scenarios(exercises: dict[str, Exercise]) -> dict[str, Scenario]:
    """Every scenario whose check sets some fix part grades against, by id."""
    return {s.id: s for x in exercises.values() for p in x.parts for s in p.fix if has_check_sets(s)}


def prove_parts(exercises: dict[str, Exercise]) -> list[Part]:
    return [p for x in exercises.values() for p in x.parts if p.kind == "prove"]


class Computed:
    """Verdicts computed when first asked, synchronously, and kept in memory: for the
    command line and the tests (the server computes them in the background instead).
    A subclass may find them elsewhere first (``find_proof``, ``find_sets``)."""

    def __init__(self, max_states: int = DEFAULT_MAX_STATES) -> None:
        self.max_states = max_states
        self._proofs: dict[str, Exploration] = {}
        self._sets: dict[str, CheckSets] = {}

    def prove(self, part: Part) -> Exploration:
        key = verdict_key(part)
        if key not in self._proofs:
            self._proofs[key] = self.find_proof(part)
        return self._proofs[key]

    def check_sets(self, scenario: Scenario) -> CheckSets:
        if scenario.behaviour not in self._sets:
            self._sets[scenario.behaviour] = self.find_sets(scenario)
        return self._sets[scenario.behaviour]

    def find_proof(self, part: Part) -> Exploration:
        return prove_verdict(part, max_states=self.max_states)

    def find_sets(self, scenario: Scenario) -> CheckSets:
        return check_sets(scenario, max_states=self.max_states)
