"""The grader: a submission replayed with step(), or held against the explorer's verdict.

Nothing here compares a submission with a stored answer.  A schedule is replayed from the
part's starting state and each goal term is checked on the run; a predict choice is held
against the answer found by taking the step; a prove claim against the explorer's complete
search; a fix against the 32 check sets of each scenario.  The searches are never started
here: ``Verdicts`` hands out what was computed when the files loaded, or None, and then
grading raises :class:`Pending` (the caller answers "try again shortly").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from engine.checks import CheckSets, safe_everywhere, together
from engine.directives import compile_run
from engine.errors import ModelError
from engine.exercises.exercise import Part
from engine.exercises.goals import Attempt, outcome
from engine.explore import Exploration, preemptions_along
from engine.scenario import Scenario
from engine.schedule import Run, RunRef, format_schedule, replay

CLAIMS = ("unreachable", "reachable")


class Pending(Exception):
    """A verdict the grader needs is still being computed."""


class Verdicts(Protocol):
    """Where the grader reads the explorer's answers; None while one is not computed yet."""

    def prove(self, part: Part) -> Exploration | None: ...
    def check_sets(self, scenario: Scenario) -> CheckSets | None: ...


@dataclass(frozen=True)
class Submission:
    """One answer: a schedule (from the part's start; run-length, expanded or directives),
    a whole run from step 0 (a link's), a predict choice, a list of checks, or a claim."""

    schedule: str | None = None
    run: tuple[str, ...] | None = None
    choice: str | None = None
    checks: tuple[str, ...] | None = None
    claim: str | None = None

    @property
    def given(self) -> list[str]:
        return [n for n in ("schedule", "run", "choice", "checks", "claim") if getattr(self, n) is not None]


def as_written(part: Part, answer: str | list[str]) -> Submission:
    """An answer as an exercise file writes it (its ``answer`` and ``wrong``): a list of
    checks for a fix part, a choice id for a predict part, a claim or a schedule otherwise."""
    if part.kind == "fix":
        return Submission(checks=tuple(answer))
    if part.kind == "predict":
        return Submission(choice=str(answer))
    if answer in CLAIMS:
        return Submission(claim=str(answer))
    return Submission(schedule=str(answer))


@dataclass(frozen=True)
class Grade:
    passed: bool
    reason: str
    run: RunRef | None = None       # the submitted run, or the state a predict reveals


class Refused(ValueError):
    """A submission of the wrong form for the part, or one that does not parse; the message says which."""


def grade(part: Part, answer: Submission, verdicts: Verdicts) -> Grade:
    """Grade ``answer`` for ``part``.  Raises Refused for the wrong kind of answer (a
    choice for a schedule part), Pending while a needed verdict is computed."""
    kind = part.kind
    given = answer.given
    expected = {"goal": ("schedule", "run"), "predict": ("choice",), "fix": ("checks",),
                "prove": ("claim", "schedule", "run")}[kind]
    if len(given) != 1 or given[0] not in expected:
        raise Refused(f"{part.name} is a {_KIND[kind]} part: send {' or '.join(expected)}"
                      + (f", not {' and '.join(given)}" if given else ""))
    if kind == "predict":
        return _predict(part, answer.choice or "")
    if kind == "fix":
        return _fix(part, answer.checks or (), verdicts)
    if answer.claim is not None:
        return _claim(part, answer.claim, verdicts)
    attempt = _attempt(part, answer)
    if kind == "prove":
        return _prove_by_schedule(part, attempt)
    failures = [why for why in (t.check(attempt) for t in part.terms) if why is not None]
    return _verdict(part, attempt, failures)


_KIND = {"goal": "schedule", "predict": "predict", "fix": "fix", "prove": "prove"}


def _attempt(part: Part, answer: Submission) -> Attempt:
    start = part.start
    assert start is not None and part.scenario is not None
    try:
        if answer.run is not None:
            if answer.run[:len(start.schedule)] != start.schedule:
                raise Refused(f"the run does not start from the exercise's state: it must begin with "
                              f"{format_schedule(start.schedule)} ({part.spec.from_})")
            run = replay(start.states[0], answer.run)
        else:
            run = compile_run(start, answer.schedule or "")
    except ModelError as e:
        raise Refused(f"the schedule does not run: {e}") from None
    return Attempt(run, len(start.schedule), _preemptions_from(run, len(start.schedule)))


def _preemptions_from(run: Run, start: int) -> int:
    """The preemptions of the steps after ``start`` (leaving the prefix's last thread counts)."""
    return preemptions_along(run) - preemptions_along(Run(run.schedule[:start], run.states[:start + 1]))


def _ref(part: Part, run: Run) -> RunRef:
    assert part.scenario is not None
    return part.scenario.ref(part.variant, run.schedule)


def _moves(attempt: Attempt) -> str:
    n = attempt.preemptions
    return f"{attempt.steps} step{'' if attempt.steps == 1 else 's'}, {n} preemption{'' if n == 1 else 's'}"


def _verdict(part: Part, attempt: Attempt, failures: list[str]) -> Grade:
    if failures:
        return Grade(False, f"Not yet: {'; and '.join(failures)}.", _ref(part, attempt.run))
    return Grade(True, f"Solved: {outcome(attempt.run)} ({_moves(attempt)}).", _ref(part, attempt.run))


def _predict(part: Part, choice: str) -> Grade:
    q = part.predict
    assert q is not None
    ids = [c.id for c in q.choices]
    if choice not in ids:
        raise Refused(f"{choice!r} is not one of the choices: {', '.join(ids)}")
    ref = _ref(part, q.after)
    if choice == q.answer:
        return Grade(True, f"Right: {q.reveal}.", ref)
    picked = next(c.text for c in q.choices if c.id == choice)
    return Grade(False, f"Not this time: you said {picked}, but {q.reveal}.", ref)


def _proven(part: Part, found: Exploration) -> bool:
    """Whether the explorer's answer says no schedule within the part's bound reaches its goal."""
    if not found.is_found:
        return True
    bound = part.spec.max_preemptions
    return bound is not None and found.preemptions is not None and found.preemptions > bound


def _settled(part: Part, verdicts: Verdicts) -> Exploration:
    found = verdicts.prove(part)
    if found is None:
        raise Pending(f"the explorer's verdict for {part.name} is still being computed")
    if found.bound is not None:
        raise Pending(f"the explorer could not settle {part.name}: its {found.bound} bound stopped it")
    return found


def _within(part: Part) -> str:
    bound = part.spec.max_preemptions
    if bound is None:
        return ""
    return " with no preemption" if bound == 0 else f" with at most {_count(bound, 'preemption')}"


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _target(part: Part) -> str:
    """The prove goal in words: "a violation", "null-deref", "K ends with SCAN_FAIL"."""
    assert part.goal is not None
    return part.goal.describe()


def _claim(part: Part, claim: str, verdicts: Verdicts) -> Grade:
    if claim not in CLAIMS:
        raise Refused(f"a claim is {' or '.join(CLAIMS)}, not {claim!r}")
    if claim == "reachable":
        raise Refused("to say it is reachable, send the schedule that reaches it")
    found = _settled(part, verdicts)
    if _proven(part, found):
        return Grade(True, f"Proven: the explorer's complete search ({found.states} states) finds no "
                           f"schedule{_within(part)} that reaches {_target(part)}.")
    return Grade(False, f"Not so: a schedule{_within(part)} reaches {_target(part)} "
                        f"(with {_count(found.preemptions or 0, 'preemption')} at the fewest). Find it and send it.")


def _prove_by_schedule(part: Part, attempt: Attempt) -> Grade:
    goal = part.goal
    assert goal is not None
    v = attempt.final.violation
    reached = v is not None and goal.is_met_by(v)
    bound = part.spec.max_preemptions
    failures = []
    if not reached:
        failures.append(f"the goal is {_target(part)}, and {outcome(attempt.run)}")
    if bound is not None and attempt.preemptions > bound:
        failures.append(f"the schedule has {_count(attempt.preemptions, 'preemption')}; the claim allows at most {bound}")
    return _verdict(part, attempt, failures)


def _fix(part: Part, checks: tuple[str, ...], verdicts: Verdicts) -> Grade:
    offered = part.spec.fix.checks if part.spec.fix else []
    unknown = [c for c in checks if c not in offered]
    if unknown:
        raise Refused(f"{', '.join(unknown)}: the checks to pick from are {', '.join(offered)}")
    picked = frozenset(checks)
    sets = []
    for s in part.fix:
        one = verdicts.check_sets(s)
        if one is None:
            raise Pending(f"the check sets of {s.id} are still being computed")
        sets.append(one)
    for s, one in zip(part.fix, sets):
        r = one.of(picked)
        if r.status == "unknown":
            raise Pending(f"the explorer could not settle {s.id} with {together(picked)}")
        if r.status == "unsafe" and r.counterexample is not None:
            e = r.counterexample
            return Grade(False, f"Not safe: with {together(picked)}, {s.id} still reaches {e.key} "
                                f"({e.steps} steps, {e.preemptions} preemptions).", e.run)
    allowed = [m for m in safe_everywhere(sets) if m <= frozenset(offered)]
    fewest = min((len(m) for m in allowed), default=len(picked))
    if len(picked) > fewest:
        return Grade(False, f"Safe, but not the smallest: {_all_safe(part)} with these {len(picked)} "
                            f"checks, and some set of {fewest} is safe too. Which check does no work here?")
    return Grade(True, f"Fixed: with {together(picked)}, {_all_safe(part)}, and no smaller set is.")


def _all_safe(part: Part) -> str:
    return f"{part.fix[0].id} is safe" if len(part.fix) == 1 else f"all {len(part.fix)} scenarios are safe"
