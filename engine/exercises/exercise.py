"""Exercises compiled against the scenarios they run on: every part's starting state, goal,
predict answer and fix scenarios resolved once, when the file loads."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from engine.checks import has_check_sets, why_no_check_sets
from engine.directives import compile_run
from engine.errors import GoalError, ModelError
from engine.exercises import goals, predict
from engine.exercises.predict import Predict
from engine.exercises.spec import ExerciseError, ExerciseSpec, PartSpec, part_line, read_spec
from engine.facts import khugepaged_address
from engine.goal import Goal, check_goal, parse_goal, programs_of, returning_functions
from engine.files import load_folder
from engine.scenario import Scenario
from engine.schedule import Run, format_schedule, replay

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Part:
    """One task of an exercise, ready to grade: ``start`` is the run to the state it starts
    in (its ``from``, or step 0), on ``scenario`` under ``variant``."""

    exercise: str
    id: str
    spec: PartSpec
    scenario: Scenario | None
    variant: str
    start: Run | None
    terms: tuple[goals.Term, ...] = ()
    goal: Goal | None = None
    predict: Predict | None = None
    fix: tuple[Scenario, ...] = ()

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def name(self) -> str:
        """"x07b", or "x04" for a one-part exercise."""
        return self.exercise + self.id

    @property
    def prefix(self) -> tuple[str, ...]:
        return self.start.schedule if self.start is not None else ()

    @property
    def goal_text(self) -> str:
        s = self.spec
        if s.goal is not None:
            return s.goal
        if s.prove is not None:
            bound = f", preemptions <= {s.max_preemptions}" if s.max_preemptions is not None else ""
            return f"prove({s.prove}{bound}) = unreachable, or a schedule that reaches it"
        if s.predict is not None:
            return f"predict({s.predict.at or 'step 0'}, {s.predict.thread}, {s.predict.query})"
        assert s.fix is not None
        return f"fix({{{', '.join(s.fix.scenarios)}}}, {{{', '.join(s.fix.checks)}}})"


@dataclass(frozen=True)
class Exercise:
    spec: ExerciseSpec
    path: Path
    parts: tuple[Part, ...]
    digest: str          # the file and what every scenario its parts run does: the same in every instance
    seed: int = 0        # the instance (engine.seeds); 0 is the file as written

    @property
    def id(self) -> str:
        return self.spec.id

    def part(self, part_id: str | None) -> Part:
        """The part ``part_id`` names ("" or None: the first); a KeyError with the ids otherwise."""
        if not part_id:
            return self.parts[0]
        for p in self.parts:
            if p.id == part_id:
                return p
        raise KeyError(f"{self.id} has no part {part_id!r}; its parts are {', '.join(p.id for p in self.parts)}")


def load(path: Path, scenarios: dict[str, Scenario]) -> Exercise:
    """Read, validate and compile one exercise file against ``scenarios``."""
    spec, text = read_spec(path)
    return _compiled(spec, text, path, scenarios, 0)


def seeded(x: Exercise, seed: int, scenarios: dict[str, Scenario]) -> Exercise:
    """Instance ``seed`` of ``x``: its parts on the seeded scenarios (engine.seeds), with the
    same goals and verdicts; its fix parts grade the scenarios as written."""
    if seed == x.seed:
        return x
    return _compiled(x.spec, x.path.read_text("utf-8"), x.path, scenarios, seed)


def _compiled(spec: ExerciseSpec, text: str, path: Path, scenarios: dict[str, Scenario], seed: int) -> Exercise:
    parts = []
    for index, part in enumerate(spec.parts):
        try:
            parts.append(_compile(spec, part, index, scenarios, seed))
        except _Bad as e:
            line = part_line(text, index, e.field)
            at = f" (line {line})" if line else ""
            raise ExerciseError(f"{path}: parts.{index}.{e.field}{at}: {e}") from None
    h = hashlib.blake2b(text.encode(), digest_size=6)
    for p in parts:
        for s in ((p.scenario,) if p.scenario else ()) + p.fix:
            h.update(s.behaviour.encode())
    return Exercise(spec, path, tuple(parts), h.hexdigest(), seed)


def load_dir(folder: Path, scenarios: dict[str, Scenario]) -> dict[str, Exercise]:
    """Every ``*.toml`` in ``folder``, by id, sorted by id."""
    return load_folder(folder, lambda path: load(path, scenarios), ExerciseError)


def catalog(scenarios: dict[str, Scenario]) -> dict[str, Exercise]:
    return load_dir(DATA, scenarios)


class _Bad(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _scenario(scenarios: dict[str, Scenario], sid: str, field: str) -> Scenario:
    if sid not in scenarios:
        raise _Bad(field, f"no scenario {sid!r}; the scenarios are {', '.join(sorted(scenarios))}")
    return scenarios[sid]


def _run(start: Run, text: str, field: str) -> Run:
    try:
        return compile_run(start, text)
    except ModelError as e:
        raise _Bad(field, str(e)) from None


def _compile(spec: ExerciseSpec, p: PartSpec, index: int, scenarios: dict[str, Scenario], seed: int) -> Part:
    part_id = p.id or ("a" if len(spec.parts) > 1 else "")
    if p.fix is not None:
        fixed = tuple(_scenario(scenarios, sid, "fix") for sid in p.fix.scenarios)
        for s in fixed:
            if not has_check_sets(s):
                raise _Bad("fix", why_no_check_sets(s))
        return Part(spec.id, part_id, p, None, "", None, fix=fixed)
    scenario = _scenario(scenarios, p.scenario or spec.scenario, "scenario").seeded(seed)
    vid = p.variant or spec.variant
    try:
        scenario.variant(vid)
    except ModelError as e:
        raise _Bad("variant", str(e)) from None
    initial = replay(scenario.initial(vid), ())
    where = f"{scenario.id} under {vid}"
    if p.predict is not None:
        return Part(spec.id, part_id, p, scenario, vid, initial, predict=_predict(p, initial))
    start = _run(initial, p.from_, "from")
    if p.goal is not None:
        try:
            terms = goals.parse_goal(p.goal)
        except ValueError as e:
            raise _Bad("goal", str(e)) from None
        _check_terms(terms, start, where)
        return Part(spec.id, part_id, p, scenario, vid, start, terms=terms)
    assert p.prove is not None
    try:
        goal = parse_goal(_unwrapped(p.prove))
        check_goal(goal, start.final, where)
    except (ValueError, GoalError) as e:
        raise _Bad("prove", str(e)) from None
    return Part(spec.id, part_id, p, scenario, vid, start, goal=goal)


def _unwrapped(text: str) -> str:
    """A prove goal as the curriculum may write it, reach(null-deref), as the explorer reads it."""
    m = re.fullmatch(r"\s*reach\((.*)\)\s*", text)
    return m[1] if m else text


def _check_terms(terms: tuple[goals.Term, ...], start: Run, where: str) -> None:
    """Refuse a term no schedule could meet by construction: a thread or function the
    scenario does not have."""
    tids = {t.tid for t in start.final.threads}
    functions = set(returning_functions(programs_of(start.final)))
    for t in terms:
        if t.thread is not None and t.thread not in tids:
            raise _Bad("goal", f"{t.text}: {where} has no thread {t.thread}")
        if t.form in ("returned", "event") and t.function not in functions:
            raise _Bad("goal", f"{t.text}: no thread of {where} runs {t.function}")
        if t.fact is not None and t.fact.uses_x and khugepaged_address(start.final) is None:
            raise _Bad("goal", f"{t.text}: {where} has no khugepaged thread, so X (its address) means nothing here")


def _predict(p: PartSpec, initial: Run) -> Predict:
    q = p.predict
    assert q is not None
    before = _run(initial, q.at, "predict")
    if q.thread not in {t.tid for t in before.final.threads}:
        raise _Bad("predict", f"thread {q.thread} is not a thread of the scenario")
    after = _run(before, q.step or q.thread, "predict")
    try:
        return predict.ask(q.query, q.thread, before, after, q.choices)
    except ValueError as e:
        raise _Bad("predict", str(e)) from None


def describe_start(part: Part) -> str:
    """The state a part starts in, for a page: "step 0" or "after C2 (from: C$)"."""
    if not part.prefix:
        return "step 0"
    return f"after {format_schedule(part.prefix)} (from: {part.spec.from_})"
