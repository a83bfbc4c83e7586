"""Why each check in hugepage_vma_revalidate is needed, and the explorer's answer as data.

why_checks() removes one check at a time (the ablation variants) and asks the explorer,
per scenario, which violations become reachable that v4.8 as released never reaches. Each
such violation comes with its fewest-preemption counterexample as a run (scenario, digest,
variant, schedule) the web turns into a player link, so the table is a list of replay
recipes, not a claim. A check that no scenario needs is reported
as needed nowhere: the table says what the catalog shows, nothing more.

Everything here is pure; the time budget is a callable, and the caller measures seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from engine.explore import DEFAULT_MAX_STATES, EngineModel, explore, parse_goal, reachable_violations
from engine.scenario import Scenario
from engine.schedule import RunRef, format_schedule
from engine.variants import ABLATIONS, BASELINE

CellStatus = Literal["needed", "not needed here", "incomplete"]


def _never() -> bool:
    return False


def violation_keys(found: Mapping[str, Any]) -> frozenset[str]:
    """The keys of ``found`` in the form scenarios declare them: "kind:object" where the
    violation names an object, the bare kind otherwise.

    reachable_violations() lists a violation under both its kind and kind:object; a bare
    kind is kept only when no key of that kind names an object."""
    specific = {key.partition(":")[0] for key in found if ":" in key}
    return frozenset(key for key in found if ":" in key or key not in specific)


@dataclass(frozen=True)
class Reach:
    """Which violation keys one variant of one scenario reaches, each with the shortest
    schedule to it, and the bound that stopped the search before it covered the whole space
    (only without one is absence a proof)."""

    schedules: Mapping[str, tuple[str, ...]]
    bound: str | None = None

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(self.schedules)

    @property
    def is_complete(self) -> bool:
        return self.bound is None


def reach(scenario: Scenario, variant_id: str, *, max_states: int = DEFAULT_MAX_STATES,
          out_of_time: Callable[[], bool] = _never) -> Reach:
    """The violation keys reachable under ``variant_id``, from one breadth-first search."""
    model = EngineModel(scenario.initial(variant_id))
    complete, found = reachable_violations(model, max_states=max_states, out_of_time=out_of_time)
    bound = None if complete else "time" if out_of_time() else "max-states"
    return Reach({key: found[key] for key in sorted(violation_keys(found))}, bound)


@dataclass(frozen=True)
class Counterexample:
    """A schedule that reaches one violation under an ablation, with its evidence."""

    key: str
    schedule: str
    steps: int
    preemptions: int | None
    shortest_steps: int | None
    message: str
    run: RunRef


@dataclass(frozen=True)
class Cell:
    """One ablation on one scenario: "needed" with the counterexamples it lets through,
    "not needed here" (both searches complete, nothing new reachable), or "incomplete"
    with the bound that stopped a search before it could tell."""

    ablation: str
    scenario: str
    status: CellStatus
    counterexamples: tuple[Counterexample, ...] = ()
    bound: str | None = None

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(c.key for c in self.counterexamples)


@dataclass(frozen=True)
class ChecksTable:
    """Rows are the ablations (one removed check each), columns the scenarios."""

    ablations: tuple[str, ...]
    scenarios: tuple[str, ...]
    cells: tuple[Cell, ...]

    def cell(self, ablation: str, scenario: str) -> Cell:
        return next(c for c in self.cells if c.ablation == ablation and c.scenario == scenario)

    def row(self, ablation: str) -> tuple[Cell, ...]:
        return tuple(self.cell(ablation, s) for s in self.scenarios)

    def is_needed(self, ablation: str) -> bool:
        """Whether some scenario shows a violation that only this check prevents."""
        return any(c.status == "needed" for c in self.row(ablation))

    def summary(self, ablation: str) -> str:
        """One honest sentence on what the catalog shows about this check."""
        if self.is_needed(ablation):
            where = [c.scenario for c in self.row(ablation) if c.status == "needed"]
            return f"needed: without it, {len(where)} of {len(self.scenarios)} scenarios break"
        if any(c.status == "incomplete" for c in self.row(ablation)):
            return "not shown to be needed: some searches hit a bound before an answer"
        return "needed nowhere in these scenarios: removing it breaks none of them"


def combine(tables: list[ChecksTable]) -> ChecksTable:
    """One table with the columns of ``tables`` side by side (same ablations in each)."""
    return ChecksTable(ABLATIONS, tuple(s for t in tables for s in t.scenarios),
                       tuple(c for t in tables for c in t.cells))


def counterexample(scenario: Scenario, variant_id: str, key: str, *, max_states: int,
                   out_of_time: Callable[[], bool] = _never) -> Counterexample | None:
    """The fewest-preemption schedule reaching violation ``key``; None if a bound stopped
    the search before it found one."""
    model = EngineModel(scenario.initial(variant_id))
    found = explore(model, parse_goal(key), max_states=max_states, out_of_time=out_of_time)
    if not found.is_found:
        return None
    message = found.violation.message if found.violation is not None else ""
    return Counterexample(key, format_schedule(found.schedule), len(found.schedule), found.preemptions,
                          found.shortest_steps, message, scenario.ref(variant_id, found.schedule))


def _cell(scenario: Scenario, ablation: str, baseline: Reach, *, max_states: int,
          out_of_time: Callable[[], bool]) -> Cell:
    removed = reach(scenario, ablation, max_states=max_states, out_of_time=out_of_time)
    new = sorted(removed.keys - baseline.keys) if baseline.is_complete else []
    found = [counterexample(scenario, ablation, key, max_states=max_states, out_of_time=out_of_time)
             for key in new]
    examples = tuple(c for c in found if c is not None)
    if examples:
        return Cell(ablation, scenario.id, "needed", examples)
    if baseline.is_complete and removed.is_complete:
        return Cell(ablation, scenario.id, "not needed here")
    return Cell(ablation, scenario.id, "incomplete", bound=baseline.bound or removed.bound)


def why_checks(scenarios: Mapping[str, Scenario], *, max_states: int = DEFAULT_MAX_STATES,
               out_of_time: Callable[[], bool] = _never) -> ChecksTable:
    """For every ablation and scenario: the violations reachable without that check that
    v4.8 never reaches, each with its fewest-preemption counterexample."""
    cells: list[Cell] = []
    for scenario in scenarios.values():
        baseline = reach(scenario, BASELINE, max_states=max_states, out_of_time=out_of_time)
        cells.extend(_cell(scenario, ablation, baseline, max_states=max_states,
                           out_of_time=out_of_time) for ablation in ABLATIONS)
    order = {a: n for n, a in enumerate(ABLATIONS)}
    cells.sort(key=lambda c: order[c.ablation])
    return ChecksTable(ABLATIONS, tuple(scenarios), tuple(cells))
