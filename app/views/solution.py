"""The teacher's page of an exercise: each part's reference answer, graded here as a learner's
would be, the explorer's verdict for a prove part, and the reference run's link."""

from __future__ import annotations

from dataclasses import dataclass

import engine
from app import links
from app.grading import BadAnswer, from_text
from app.links import grade_href
from app.views.exercises import KINDS, Cover, covers
from engine.errors import VariantError
from engine.exercises import Exercise, Part, Pending, Refused, Verdicts, describe_start, grade
from engine.explore import Exploration


@dataclass(frozen=True)
class SolutionPart:
    label: str
    kind: str
    task: str
    goal: str
    start: str              # where a schedule answer starts: "step 0", "after C2 (from: C$)"; "" if none
    answer: str
    reason: str             # the reference answer, graded now
    passed: bool | None     # None: not graded yet (a verdict is being computed)
    runs: list[tuple[str, str]]
    verdict: str
    explain: str
    wrong: list[str]


@dataclass(frozen=True)
class SolutionPage:
    id: str
    title: str
    quest: str
    learning: str
    covers: list[Cover]
    assumptions: list[str]
    parts: list[SolutionPart]
    exercise_href: str


def _answer_text(part: Part) -> str:
    a = part.spec.answer
    if isinstance(a, list):
        return ", ".join(a) or "none"
    return a


def _verdict(x: Exercise, part: Part, found: Exploration | None) -> tuple[str, list[tuple[str, str]]]:
    """The explorer's answer for a prove part, in a sentence, and its counterexample's link."""
    if found is None:
        return "The explorer is still computing this verdict (reload in a few seconds).", []
    goal = "any violation" if part.spec.prove == "any" else part.spec.prove
    if found.bound is not None and not found.is_found:
        return f"The explorer could not settle it: its {found.bound} bound stopped it after {found.states} states.", []
    if not found.is_found:
        return (f"Unreachable: the explorer's complete search ({found.states} states) finds no schedule that "
                f"reaches {goal}.", [])
    n = found.preemptions
    bound = part.spec.max_preemptions
    said = f"{goal} is reachable, with {n} preemption{'' if n == 1 else 's'} at the fewest"
    if bound is not None:
        said += (f", so with at most {bound} it is unreachable" if n is not None and n > bound
                 else f", within the bound of {bound}")
    href = links.exercise_href(x, part.id, found.schedule)
    return f"The explorer finds that {said}.", [(f"The explorer's counterexample ({len(found.schedule)} steps)", href)]


def _fix_runs(part: Part) -> list[tuple[str, str]]:
    answer = part.spec.answer if isinstance(part.spec.answer, list) else []
    try:
        vid = engine.variants.with_checks(answer).id
    except VariantError:
        return []
    return [(f"{s.id} on {vid}", links.player_href(s, vid, ())) for s in part.fix]


def _graded(x: Exercise, part: Part, verdicts: Verdicts) -> tuple[str, bool | None, list[tuple[str, str]]]:
    text = _answer_text(part)
    try:
        g = grade(part, from_text(part, text), verdicts)
    except Pending as e:
        return f"Not graded yet: {e}.", None, []
    except (Refused, BadAnswer) as e:
        return f"The reference answer cannot be graded: {e}.", False, []
    href = grade_href(x, part, g.run)
    label = "The step the question is about, taken" if part.kind == "predict" else "The reference run"
    return g.reason, g.passed, [(label, href)] if href else []


def solution_part(x: Exercise, part: Part, verdicts: Verdicts) -> SolutionPart:
    reason, passed, runs = _graded(x, part, verdicts)
    verdict = ""
    if part.kind == "prove":
        verdict, more = _verdict(x, part, verdicts.prove(part))
        runs = runs + more
    if part.kind == "fix":
        runs = runs + _fix_runs(part)
    wrong = [", ".join(w) or "none" if isinstance(w, list) else w for w in part.spec.wrong]
    start = describe_start(part) if part.kind in ("goal", "prove") else ""
    return SolutionPart(f"Part {part.id}" if part.id else x.id, KINDS[part.kind], part.spec.task, part.goal_text,
                        start, _answer_text(part), reason, passed, runs, verdict, part.spec.explain, wrong)


def solution_page(x: Exercise, verdicts: Verdicts) -> SolutionPage:
    s = x.spec
    return SolutionPage(x.id, s.title, s.quest, s.learning, covers(x), list(s.assumptions),
                        [solution_part(x, p, verdicts) for p in x.parts], links.exercise_href(x))
