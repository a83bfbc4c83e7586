"""The why-checks pages: what the 32 check sets of each scenario say, as rows and links.

A scenario whose background job has not finished yet is a row that says so; the page
polls until every row is ready.
"""

from __future__ import annotations

from dataclasses import dataclass

from app import links
from app.links import player_href, run_href
from app.views.catalog import ScenarioCard, scenario_card
from engine import Scenario
from engine.checks import CheckSets, SetResult, safe_everywhere, together, why_no_check_sets
from engine.programs.khugepaged import ALL_CHECKS, CHECKS, Check, ids_of, names


@dataclass(frozen=True)
class Outcome:
    """One set of checks on one scenario: what the explorer said, and where to see it."""

    checks: tuple[str, ...]
    variant: str
    status: str                 # safe, unsafe, unknown
    text: str                   # "null-deref:vm_area_struct", "safe: ..." or "unknown: ..."
    detail: str                 # "9 steps, 0 preemptions" for a counterexample
    href: str                   # the counterexample at its report, or the player at step 0
    message: str


def outcome(scenario: Scenario, r: SetResult) -> Outcome:
    e = r.counterexample
    if e is not None:
        moves = "" if e.preemptions is None else f", {e.preemptions} preemption{'' if e.preemptions == 1 else 's'}"
        return Outcome(r.ids, r.variant, r.status, e.key, f"{e.steps} steps{moves}", run_href(e.run), e.message)
    text = "safe: no schedule reaches a violation" if r.status == "safe" else f"unknown: the {r.bound} bound stopped it"
    return Outcome(r.ids, r.variant, r.status, text, "", player_href(scenario, r.variant, ()), "")


@dataclass(frozen=True)
class Without:
    """A minimal safe set less one of its checks, and what that lets through."""

    check: Check
    left: str                   # what the set keeps: "the pmd recheck" or "no check at all"
    outcome: Outcome


@dataclass(frozen=True)
class SafeSet:
    """A minimal safe set: its checks, the player on it, and each check's neighbour."""

    checks: tuple[Check, ...]
    text: str
    href: str
    without: tuple[Without, ...]


@dataclass(frozen=True)
class BreakRow:
    safe: Outcome
    added: Check
    unsafe: Outcome


@dataclass(frozen=True)
class Role:
    """One check in one scenario: its role among the minimal safe sets, the sets that do
    without it, and what v4.8 with only that check removed does (which can be unsafe even
    for a check with another way: safety is not upward-closed)."""

    check: Check
    role: str                   # needed, one way, not needed, not known
    alternatives: str           # for "one way": the minimal safe sets without it, in prose
    ablation: Outcome           # v4.8 less this check alone


@dataclass(frozen=True)
class ScenarioChecks:
    """One scenario's row; not ``ready`` while its job runs."""

    card: ScenarioCard
    ready: bool
    needs: str = ""
    minimal: tuple[SafeSet, ...] = ()
    roles: tuple[Role, ...] = ()
    breaks: tuple[BreakRow, ...] = ()
    outcomes: tuple[Outcome, ...] = ()
    complete: bool = True
    try_href: str = ""          # the form that opens the player on any set of checks

    @property
    def minimal_ids(self) -> tuple[tuple[str, ...], ...]:
        return tuple(tuple(c.id for c in m.checks) for m in self.minimal)


def scenario_checks(scenario: Scenario, sets: CheckSets | None) -> ScenarioChecks:
    card = scenario_card(scenario)
    if sets is None:
        return ScenarioChecks(card, False)
    safe_sets = tuple(SafeSet(tuple(CHECKS[c] for c in ids_of(m)), names(m) if m else "none of the checks",
                              player_href(scenario, sets.of(m).variant, ()),
                              tuple(Without(CHECKS[c], names(r.checks) if r.checks else "no check at all",
                                            outcome(scenario, r)) for mm, c, r in sets.neighbours if mm == m))
                      for m in sets.minimal)

    def alternatives(check: str) -> str:
        others = [m for m in sets.minimal if check not in m and m]
        return " or ".join(together(m) for m in others) if sets.role(check) == "one way" else ""

    return ScenarioChecks(
        card, True, sets.needs, safe_sets,
        tuple(Role(CHECKS[c], sets.role(c), alternatives(c), outcome(scenario, sets.of(set(ALL_CHECKS) - {c})))
              for c in ALL_CHECKS),
        tuple(BreakRow(outcome(scenario, b.safe), CHECKS[b.added], outcome(scenario, b.unsafe)) for b in sets.breaks),
        tuple(outcome(scenario, r) for r in sets.results), sets.is_complete, links.with_checks_href(scenario))


@dataclass(frozen=True)
class LeftOut:
    """A scenario of a later era, which runs none of the check sets, and why."""

    card: ScenarioCard
    why: str
    compare_href: str


def left_out(scenario: Scenario) -> LeftOut:
    era = scenario.era
    return LeftOut(scenario_card(scenario), why_no_check_sets(scenario),
                   links.compare_href(scenario, era.default, era.baseline, ()))


@dataclass(frozen=True)
class ChecksPage:
    """The why-checks page over some scenarios; ``left`` are those of later eras."""

    rows: tuple[ScenarioChecks, ...]
    checks: tuple[Check, ...]
    everywhere: str             # what keeps every scenario safe, once all rows are ready
    api_href: str
    href: str
    left: tuple[LeftOut, ...] = ()

    @property
    def ready(self) -> bool:
        return all(r.ready for r in self.rows)

    @property
    def waiting(self) -> int:
        return sum(not r.ready for r in self.rows)


def everywhere_text(all_sets: list[CheckSets]) -> str:
    sets = safe_everywhere(all_sets)
    if not sets:
        return "No set of the five checks keeps every one of these scenarios safe."
    if sets == (frozenset(),):
        return "These scenarios are safe without any of the five checks."
    if sets == (frozenset(ALL_CHECKS),):
        return "Only all five checks together keep every one of these scenarios safe."
    return "The smallest sets of checks that keep every one of these scenarios safe: " + \
        "; or ".join(names(s) for s in sets) + "."


def checks_page(scenarios: dict[str, Scenario], answers: dict[str, CheckSets | None], href: str,
                api_href: str) -> ChecksPage:
    """The rows of the scenarios ``answers`` has (v4.8's), and the others left out, each
    with its sentence."""
    rows = tuple(scenario_checks(s, answers[sid]) for sid, s in scenarios.items() if sid in answers)
    ready = [a for a in answers.values() if a is not None]
    text = everywhere_text(ready) if ready and len(ready) == len(answers) else ""
    left = tuple(left_out(s) for sid, s in scenarios.items() if sid not in answers)
    return ChecksPage(rows, tuple(CHECKS.values()), text, api_href, href, left)

