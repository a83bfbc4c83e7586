"""The exercises' JSON: what the API says about an exercise (never its answers), the Check
request and its result, as pydantic models so the OpenAPI description states them."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from app import links
from app.grading import BadAnswer, from_link
from app.problems import API_PROBLEMS, Links, Problem, say
from app.replays import MAX_RUN_CHARS
from app.views.exercises import KINDS, QUESTS, home_run
from engine.exercises import Exercise, Part, Submission, describe_start
from engine.programs.khugepaged import ALL_CHECKS

ANSWERS = ("schedule", "link", "choice", "checks", "claim")
TAKES = {"goal": ("schedule", "link"), "predict": ("choice",), "fix": ("checks",),
         "prove": ("claim", "schedule", "link")}
class ChoiceJson(BaseModel):
    id: str
    text: str


class PartJson(BaseModel):
    id: str = Field(description='the part\'s letter, "" for a one-part exercise')
    name: str = Field(description="x07b, or x04 for a one-part exercise")
    kind: str = Field(description="goal (send a schedule or link), predict (a choice), prove (a claim or a "
                                  "schedule) or fix (a list of checks)")
    task: str
    goal: str
    scenario: str | None
    variant: str | None
    start: str | None = Field(description="the state the part starts in")
    start_link: str
    choices: list[ChoiceJson] | None = None
    checks: list[str] | None = None
    fix_scenarios: list[str] | None = None


class _Exercise(BaseModel):
    id: str
    title: str
    quest: str
    quest_name: str
    difficulty: int
    minutes: int
    covers: list[str] = Field(description="the seed claims and failure cases it covers (claim-2, C2)")
    kinds: list[str] = Field(description="the kinds of its parts (goal, predict, prove, fix), each once")
    explorer: bool = Field(description="whether the exercise page offers the explorer")
    digest: str
    link: str


class ExerciseSummary(_Exercise):
    parts: list[str] = Field(description="the parts' letters")


class ExerciseDetail(_Exercise):
    scenario: str
    variant: str
    hints: list[str]
    assumptions: list[str]
    parts: list[PartJson]


Text = Annotated[str, Field(max_length=MAX_RUN_CHARS)]


class CheckRequest(BaseModel):
    """One answer to one part: exactly one of schedule, link, choice, checks and claim."""

    model_config = ConfigDict(extra="forbid")
    part: Annotated[str, Field(max_length=8)] | None = Field(None, description="the part's letter; default: the first")
    schedule: Text | None = Field(None, description="from the part's start: run-length (K3A2), expanded, "
                                                    "or directives (C$ K>down_write A$ K$)")
    link: Annotated[str, Field(max_length=MAX_RUN_CHARS + 512)] | None = Field(
        None, description="a player (/s/...) or exercise (/x/...) link; its run is taken from step 0")
    choice: Annotated[str, Field(max_length=200)] | None = Field(None, description="a predict part's choice id")
    checks: list[Annotated[str, Field(max_length=32)]] | None = Field(
        None, max_length=len(ALL_CHECKS), description=f"a fix part's checks, from {', '.join(ALL_CHECKS)}")
    claim: Annotated[str, Field(max_length=32)] | None = Field(None, description='a prove part\'s "unreachable"')


class CheckResult(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    passed: bool = Field(alias="pass")
    reason: str = Field(description="a sentence: what the run did, or why the answer is right or wrong")
    link: str | None = Field(description="the submitted run, or the state a predict question reveals")
    exercise: str
    part: str


_RETRY = {"Retry-After": {"description": "seconds to wait before asking again", "schema": {"type": "integer"}}}
CHECK_RESPONSES: dict[int | str, dict[str, Any]] = {
    **API_PROBLEMS,
    404: {**API_PROBLEMS[404], "description": "no such exercise, or no such part of it"},
    422: {**API_PROBLEMS[422], "description": "the answer is of the wrong form for the part, or does not parse "
                                              "(the detail says which)"},
    503: {**API_PROBLEMS[503], "description": "a verdict the grader needs is still being computed", "headers": _RETRY},
}


def _common(x: Exercise) -> dict[str, Any]:
    s = x.spec
    return {"id": x.id, "title": s.title, "quest": s.quest, "quest_name": QUESTS[s.quest],
            "difficulty": s.difficulty, "minutes": s.minutes, "covers": list(s.covers),
            "kinds": list(dict.fromkeys(p.kind for p in x.parts)), "explorer": s.explorer, "digest": x.digest,
            "link": links.exercise_href(x)}


def summary(x: Exercise) -> ExerciseSummary:
    return ExerciseSummary(**_common(x), parts=[p.id for p in x.parts])


def _part(x: Exercise, p: Part) -> dict[str, Any]:
    home = home_run(p)
    fix = p.spec.fix
    return {"id": p.id, "name": p.name, "kind": p.kind, "task": p.spec.task, "goal": p.goal_text,
            "scenario": p.scenario.id if p.scenario else None, "variant": p.variant or None,
            "start": describe_start(p) if p.kind != "fix" else None,
            "start_link": links.exercise_href(x, p.id, home.schedule if home else ()),
            "choices": [{"id": c.id, "text": c.text} for c in p.predict.choices] if p.predict else None,
            "checks": list(fix.checks) if fix else None, "fix_scenarios": [f.id for f in p.fix] if fix else None}


def detail(x: Exercise) -> ExerciseDetail:
    return ExerciseDetail(**_common(x), scenario=x.spec.scenario, variant=x.spec.variant, hints=list(x.spec.hints),
                          assumptions=list(x.spec.assumptions), parts=[PartJson(**_part(x, p)) for p in x.parts])


def answer_problem(message: str, ways_on: Links = ()) -> Problem:
    """An answer the grader cannot read, or of the wrong form: a 422 saying why."""
    return Problem(422, "The answer cannot be graded", say(message), ways_on)


def submission(part: Part, body: CheckRequest) -> Submission:
    given = [n for n in ANSWERS if getattr(body, n) is not None]
    if len(given) != 1:
        raise answer_problem(f"send exactly one of {', '.join(ANSWERS)}; this request has "
                             f"{' and '.join(given) if given else 'none of them'}")
    name = given[0]
    if name not in TAKES[part.kind]:
        raise answer_problem(f"{part.name} is a {KINDS[part.kind]} part: send {' or '.join(TAKES[part.kind])}, "
                             f"not {name}")
    if name == "link":
        try:
            return from_link(part, body.link or "")
        except BadAnswer as e:
            raise answer_problem(str(e)) from None
    value = getattr(body, name)
    return Submission(**{name: tuple(value) if name == "checks" else value})

