"""Which of v4.8's five checks each scenario needs, and the explorer's answers as data.

The five checks (the three tests and hugepage_vma_check in hugepage_vma_revalidate, and the
pmd recheck) give 32 variants, ``v4.8[checks=S]``.  :func:`check_sets` asks the explorer
about every one of them on one scenario: *safe* (a complete search found no violation),
*unsafe* (with its fewest-preemption counterexample, a replay recipe the web turns into a
player link) or *unknown* (a bound stopped the search first).  From those 32 answers come
the minimal safe sets ("needs hugepage_vma_check or the pmd recheck"), the unsafe set one
check below each of them, and the places where adding a check breaks a safe set: safe
sets are not upward-closed, because a check can dereference the NULL vma that an earlier
check (now removed) would have rejected.

Everything here is pure; the time budget is a callable, and the caller measures seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from engine.explore import DEFAULT_MAX_STATES, EngineModel, Goal, explore, reachable_violations
from engine.programs.khugepaged import ALL_CHECKS, ids_of, names
from engine.scenario import Scenario
from engine.schedule import RunRef, format_schedule
from engine.variants import BASELINE, CHECK_SETS, with_checks

SetStatus = Literal["safe", "unsafe", "unknown"]
CheckRole = Literal["needed", "one way", "not needed", "not known"]


def _never() -> bool:
    return False


def has_check_sets(scenario: Scenario) -> bool:
    """Whether the 32 sets of v4.8's checks are variants of the scenario's era: only a v4.8
    scenario runs them (engine.eras)."""
    return scenario.spec.kernel == with_checks(ALL_CHECKS).era


def why_no_check_sets(scenario: Scenario) -> str:
    """The sentence that stands for the check sets of a scenario of a later era."""
    era = scenario.era
    return (f"{scenario.id} is a scenario of the {era.id} era ({era.title}). The 32 sets of checks are sets of "
            f"v4.8's five checks, {BASELINE}[checks=...], which only v4.8-era scenarios run; this one runs "
            f"{', '.join(scenario.variant_ids)}: compare them to see what each changes in the code, and explore "
            f"each to find a bad schedule or prove it safe.")


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
    """A schedule that reaches a violation, with its evidence."""

    key: str
    schedule: str
    steps: int
    preemptions: int | None
    shortest_steps: int | None
    message: str
    run: RunRef


@dataclass(frozen=True)
class SetResult:
    """The explorer's answer for one set of checks on one scenario."""

    checks: frozenset[str]
    variant: str
    status: SetStatus
    counterexample: Counterexample | None = None     # when unsafe
    bound: str | None = None                         # when unknown: what stopped the search
    states: int = 0

    @property
    def ids(self) -> tuple[str, ...]:
        """The checks in ALL_CHECKS order."""
        return ids_of(self.checks)


def set_result(scenario: Scenario, checks: frozenset[str], *, max_states: int = DEFAULT_MAX_STATES,
               out_of_time: Callable[[], bool] = _never) -> SetResult:
    """One search for any violation under ``v4.8[checks=checks]``."""
    vid = with_checks(checks).id
    found = explore(EngineModel(scenario.initial(vid)), Goal(), max_states=max_states, out_of_time=out_of_time)
    if found.is_found:
        v = found.violation
        key = v.kind if v.object is None else f"{v.kind}:{v.object}"
        example = Counterexample(key, format_schedule(found.schedule), len(found.schedule), found.preemptions,
                                 found.shortest_steps, v.message, scenario.ref(vid, found.schedule))
        return SetResult(checks, vid, "unsafe", example, states=found.states)
    if found.verdict == "safe":
        return SetResult(checks, vid, "safe", states=found.states)
    return SetResult(checks, vid, "unknown", bound=found.bound, states=found.states)


def _sorted(sets: Iterable[frozenset[str]]) -> tuple[frozenset[str], ...]:
    order = {s: n for n, s in enumerate(CHECK_SETS)}
    return tuple(sorted(sets, key=order.__getitem__))


def together(checks: frozenset[str]) -> str:
    """One set in a sentence of alternatives: "the pmd recheck", "both A and B", "all of A, B and C"."""
    return names(checks) if len(checks) == 1 else f"{'both' if len(checks) == 2 else 'all of'} {names(checks)}"


@dataclass(frozen=True)
class Break:
    """A safe set that adding one check makes unsafe: the proof that safety is not monotone."""

    safe: SetResult
    added: str
    unsafe: SetResult


@dataclass(frozen=True)
class CheckSets:
    """All 32 answers for one scenario, in CHECK_SETS order (smallest sets first)."""

    scenario: str
    results: tuple[SetResult, ...]

    def of(self, checks: Iterable[str]) -> SetResult:
        wanted = frozenset(checks)
        return next(r for r in self.results if r.checks == wanted)

    @property
    def safe(self) -> tuple[frozenset[str], ...]:
        return tuple(r.checks for r in self.results if r.status == "safe")

    @property
    def is_complete(self) -> bool:
        """Whether every one of the 32 searches gave an answer."""
        return all(r.status != "unknown" for r in self.results)

    @property
    def bound(self) -> str | None:
        return next((r.bound for r in self.results if r.bound is not None), None)

    @property
    def minimal(self) -> tuple[frozenset[str], ...]:
        """The safe sets none of whose proper subsets is safe."""
        return minimal(self.safe)

    def role(self, check: str) -> CheckRole:
        """"needed": every minimal safe set has it; "one way": some do; "not needed": none
        does; "not known" when no set is known to be safe."""
        sets = self.minimal
        if not sets:
            return "not known"
        return ("needed" if all(check in s for s in sets) else
                "one way" if any(check in s for s in sets) else "not needed")

    @property
    def needs(self) -> str:
        """One sentence: "needs hugepage_vma_check or the pmd recheck"."""
        sets = self.minimal
        if not sets:
            full = self.of(ALL_CHECKS)
            if full.status == "unsafe":
                return f"no set of the checks is safe: {BASELINE} as released reaches {full.counterexample.key}"
            return "not known: the searches hit a bound before they could tell"
        if sets == (frozenset(),):
            return "needs none of the checks"
        return "needs " + (", or " if any(len(s) > 1 for s in sets) else " or ").join(map(together, sets))

    @property
    def neighbours(self) -> tuple[tuple[frozenset[str], str, SetResult], ...]:
        """For each minimal safe set and each check in it, the set without that check (unsafe,
        or unknown where a bound stopped its search): why the set is minimal."""
        return tuple((m, c, self.of(m - {c})) for m in self.minimal for c in ALL_CHECKS if c in m)

    @property
    def breaks(self) -> tuple[Break, ...]:
        """Every safe set and check whose addition makes it unsafe."""
        return tuple(Break(r, c, self.of(r.checks | {c})) for r in self.results if r.status == "safe"
                     for c in ALL_CHECKS if c not in r.checks and self.of(r.checks | {c}).status == "unsafe")


def minimal(sets: Iterable[frozenset[str]]) -> tuple[frozenset[str], ...]:
    """The sets in ``sets`` with no proper subset in ``sets``, smallest first."""
    pool = set(sets)
    return _sorted(s for s in pool if not any(o < s for o in pool))


def _code(scenario: Scenario, checks: frozenset[str]) -> tuple[str, ...]:
    """The text of every program the scenario's threads can run with these checks."""
    v = with_checks(checks)
    return tuple(p.text for path in scenario.paths for p in v.program(path).closure())


def _as(result: SetResult, scenario: Scenario, checks: frozenset[str]) -> SetResult:
    """``result`` for another set of checks that runs the very same code."""
    vid = with_checks(checks).id
    example = result.counterexample
    if example is not None:
        example = replace(example, run=scenario.ref(vid, example.run.schedule))
    return replace(result, checks=checks, variant=vid, counterexample=example)


def check_sets(scenario: Scenario, *, max_states: int = DEFAULT_MAX_STATES,
               deadline: Callable[[], Callable[[], bool]] = lambda: _never) -> CheckSets:
    """The explorer's answer for every one of the 32 sets of checks on ``scenario``; each
    search gets its own ``deadline()``.  Sets whose programs read the same, line for line,
    share one search: a scenario that never runs khugepaged needs one, not 32."""
    by_code: dict[tuple[str, ...], SetResult] = {}
    results = []
    for s in CHECK_SETS:
        code = _code(scenario, s)
        if code not in by_code:
            by_code[code] = set_result(scenario, s, max_states=max_states, out_of_time=deadline())
        results.append(_as(by_code[code], scenario, s))
    return CheckSets(scenario.id, tuple(results))


def safe_everywhere(all_sets: Iterable[CheckSets]) -> tuple[frozenset[str], ...]:
    """The minimal sets of checks that keep every one of the scenarios safe (what a fix
    for the whole catalog must include): the sets safe in each, then the minimal ones."""
    common: set[frozenset[str]] | None = None
    for one in all_sets:
        common = set(one.safe) if common is None else common & set(one.safe)
    return minimal(common or ())
