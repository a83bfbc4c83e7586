"""Exercises: the quests and problem sets, an exercise part in the player, the teacher's
solution page, and the grader as JSON and as a form that works without JavaScript.

The grader (engine.exercises.grade) replays what is sent or holds it against the explorer's
verdict, which app.search computes in the background: while it is not ready, Check is a 503
with Retry-After.  An answer of the wrong form, or one that does not parse, is a 422 whose
detail says why; an unknown exercise or part is a 404.  Progress is kept in the browser
(static/exercises.js), never here.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

import engine
from app import links, views
from app.exercise_api import (CHECK_RESPONSES, CheckRequest, CheckResult, ExerciseDetail, ExerciseSummary,
                              answer_problem, detail, summary, submission)
from app.grading import BadAnswer, from_text
from app.problems import API_PROBLEMS, Problem, say
from app.rendering import render
from app.replays import RunError, load_run
from app.search import RETRY_AFTER_SECONDS, Busy, Searches
from app.targets import SEED, instance, seed_number
from app.links import grade_href
from app.views.exercises import exercise_list, exercise_page, home_run, next_href
from app.views.solution import solution_page
from engine import Run
from engine.exercises import Exercise, Grade, Part, Pending, Refused, Submission, grade, seeded
from engine.explore import Exploration

router = APIRouter()
MAX_FORM_BYTES = 16 * 1024
MAX_SET = 40


class Patient:
    """The app's verdicts for the grader, with an explorer that cannot start a job read as
    "not ready yet" (the grader then raises Pending)."""

    def __init__(self, searches: Searches) -> None:
        self.searches = searches

    def prove(self, part: Part) -> Exploration | None:
        try:
            return self.searches.prove(part)
        except Busy:
            return None

    def check_sets(self, scenario: engine.Scenario) -> engine.checks.CheckSets | None:
        try:
            return self.searches.check_sets(scenario)
        except Busy:
            return None


def known_exercise(request: Request, exercise_id: str, seed: str = SEED) -> Exercise:
    """The exercise, in instance ``seed`` (engine.seeds) when one is asked for."""
    exercises: dict[str, Exercise] = request.app.state.exercises
    if exercise_id not in exercises:
        raise Problem(404, "Unknown exercise", f"There is no exercise {exercise_id!r}; the exercises are "
                                               f"{', '.join(sorted(exercises)) or 'none yet'}.",
                      (("All exercises", links.exercises_href()),))
    x = exercises[exercise_id]
    made = instance(request, ("exercise", x.id, x.digest), seed_number(seed),
                    lambda n: seeded(x, n, request.app.state.scenarios))
    return made or x


def part_of(x: Exercise, part_id: str | None) -> Part:
    try:
        return x.part(part_id)
    except KeyError:
        ids = ", ".join(p.id for p in x.parts)
        why = (f"Exercise {x.id} has one part only, so its links carry no part= (this one asks for "
               f"part {part_id!r})" if len(x.parts) == 1
               else f"Exercise {x.id} has no part {part_id!r}; its parts are {ids}")
        raise Problem(404, "Unknown part", f"{why}.", (("The exercise", links.exercise_href(x)),)) from None


def graded(request: Request, x: Exercise, part: Part, answer: Submission) -> Grade:
    back = (("Back to the exercise", links.exercise_href(x, part.id)),)
    try:
        return grade(part, answer, Patient(request.app.state.searches))
    except Refused as e:
        raise answer_problem(str(e), back) from None
    except Pending as e:
        raise Problem(503, "Still computing", say(f"{e}; ask again in {RETRY_AFTER_SECONDS} s"), back,
                      headers={"Retry-After": str(RETRY_AFTER_SECONDS)}) from None


# -- JSON ----------------------------------------------------------------------------------
@router.get("/api/exercises", tags=["api"], responses=API_PROBLEMS,
            summary="Every exercise: quest, difficulty, minutes, parts (no solutions)")
def list_exercises_api(request: Request) -> list[ExerciseSummary]:
    return [summary(x) for _, x in sorted(request.app.state.exercises.items())]


@router.get("/api/exercises/{exercise_id}", tags=["api"], responses=API_PROBLEMS,
            summary="One exercise with its parts: task, goal, choices or checks, start link (no solutions)")
def get_exercise_api(x: Exercise = Depends(known_exercise)) -> ExerciseDetail:
    return detail(x)


@router.post("/api/exercises/{exercise_id}/check", tags=["api"], responses=CHECK_RESPONSES,
             summary="Grade an answer: a schedule or link (replayed), a choice, a set of checks or a claim")
def check_api(request: Request, body: CheckRequest, x: Exercise = Depends(known_exercise)) -> CheckResult:
    part = part_of(x, body.part)
    g = graded(request, x, part, submission(part, body))
    return CheckResult(**{"pass": g.passed, "reason": g.reason, "link": grade_href(x, part, g.run) or None,
                          "exercise": x.id, "part": part.id})


# -- pages ---------------------------------------------------------------------------------
@router.get("/exercises", include_in_schema=False)
@router.get("/learn", include_in_schema=False)
def old_names(request: Request) -> Response:
    query = request.url.query
    return RedirectResponse(links.exercises_href() + (f"?{query}" if query else ""), status_code=301)


def chosen(exercises: dict[str, Exercise], text: str) -> list[str]:
    ids = list(dict.fromkeys(i.strip() for i in text.split(",") if i.strip()))
    if len(ids) > MAX_SET:
        raise Problem(400, "Problem set too long",
                      f"A problem set has at most {MAX_SET} exercises; this one has {len(ids)}.")
    unknown = [i for i in ids if i not in exercises]
    if unknown:
        raise Problem(404, "Unknown exercise",
                      f"The problem set names {', '.join(repr(i) for i in unknown)}, which "
                      f"{'is not an exercise' if len(unknown) == 1 else 'are not exercises'}; the exercises are "
                      f"{', '.join(sorted(exercises)) or 'none yet'}.", (("All exercises", links.exercises_href()),))
    return ids


@router.get("/x", include_in_schema=False)
def exercises_page(request: Request, set_: str = Query("", alias="set"), seed: str = SEED) -> Response:
    exercises = request.app.state.exercises
    page = exercise_list(exercises, chosen(exercises, set_), seed_number(seed))
    return render(request, "exercises.html", {"title": page.title, "page": page})


def _check_digest(x: Exercise, part: Part, h: str, run: str) -> None:
    if h and h != x.digest:
        current = links.exercise_href(x, part.id) + (f"&run={run}" if run else "")
        raise Problem(409, "Old link", f"The link was made for version {h} of {x.id}; the exercise or a scenario "
                                       f"it runs has changed since (now {x.digest}), so the same run may tell "
                                       f"another story.", (("Open it on the current version", current),))


def _part_run(request: Request, x: Exercise, part: Part, text: str) -> Run:
    """The run the page shows: ``text`` from step 0, which must begin with the part's start."""
    home = home_run(part)
    assert home is not None and part.scenario is not None
    if not text:
        return home
    back = (("Open the part at its start", links.exercise_href(x, part.id)),)
    try:
        run = load_run(request.app.state.replays, part.scenario, part.variant, text)
    except RunError as e:
        raise Problem(400, "The run does not replay", f"The run {text[:80]} does not replay: {e}.", back) from None
    if run.schedule[:len(part.prefix)] != part.prefix:
        raise Problem(400, "Not the exercise's state",
                      f"The run {engine.format_schedule(run.schedule) or '(no steps)'} does not start from "
                      f"{part.name}'s state: it must begin with {engine.format_schedule(part.prefix)} "
                      f"({part.spec.from_}).", back)
    return run


@router.get("/x/{exercise_id}", include_in_schema=False)
def exercise(request: Request, part: str = "", run: str = "", h: str = "",
             x: Exercise = Depends(known_exercise)) -> Response:
    p = part_of(x, part)
    _check_digest(x, p, h, run)
    return exercise_response(request, x, p, run)


def exercise_response(request: Request, x: Exercise, p: Part, run: str, embed: bool = False) -> Response:
    """The part's page at ``run`` (empty: its start); ``embed`` leaves out the site's chrome."""
    if p.kind == "fix":
        page = exercise_page(request.app.state.exercises, x, p, None)
        return render(request, "exercise_fix.html", {"e": page, "title": x.spec.title, "embed": embed})
    shown = _part_run(request, x, p, run)
    assert p.scenario is not None
    player = views.player(p.scenario, p.variant, shown)
    player = dataclasses.replace(player, title=f"{x.id}: {x.spec.title} · step {player.steps}")
    return render(request, "exercise.html", {"p": player, "e": exercise_page(request.app.state.exercises, x, p, shown),
                                             "share_href": links.exercise_href(x, p.id, shown.schedule),
                                             "embed": embed})


@router.get("/x/{exercise_id}/solution", include_in_schema=False)
def solution(request: Request, x: Exercise = Depends(known_exercise)) -> Response:
    page = solution_page(x, Patient(request.app.state.searches))
    return render(request, "solution.html", {"s": page, "title": f"Solution: {x.id} {x.spec.title}"})


async def read_form(request: Request, limit: int = MAX_FORM_BYTES) -> dict[str, list[str]]:
    """The posted form's fields (urlencoded; read here, so no multipart parser is needed)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise Problem(413, "Form too large", f"The form is over {limit // 1024} KiB, more than this page takes.")
    return parse_qs(body.decode("utf-8", "replace"))


def form_submission(part: Part, form: dict[str, list[str]]) -> Submission:
    """The no-JavaScript form: a typed answer wins; otherwise the kind's own field (a choice,
    ticked checks, the claim) or the run the page showed."""
    one = {k: v[-1].strip() for k, v in form.items()}
    claim = one.get("claim", "")
    if one.get("answer") and (part.kind != "prove" or claim != "unreachable"):
        return from_text(part, one["answer"])
    if part.kind == "predict":
        if not one.get("choice"):
            raise BadAnswer("pick one of the choices first")
        return Submission(choice=one["choice"])
    if part.kind == "fix":
        return Submission(checks=tuple(form.get("checks", [])))
    if part.kind == "prove" and claim == "unreachable":
        return Submission(claim=claim)
    if part.kind == "prove" and claim != "schedule":
        raise BadAnswer("pick a claim first: unreachable, or that a schedule reaches it")
    try:
        return Submission(run=engine.parse_schedule(one.get("run", "")))
    except engine.ModelError as e:
        raise BadAnswer(f"the run is not a schedule: {e}") from None


@router.post("/x/{exercise_id}/check", include_in_schema=False)
async def check_form(request: Request, x: Exercise = Depends(known_exercise)) -> Response:
    form = await read_form(request)
    part = part_of(x, (form.get("part") or [""])[-1])
    try:
        answer = form_submission(part, form)
    except BadAnswer as e:
        raise answer_problem(str(e), (("Back to the exercise", links.exercise_href(x, part.id)),)) from None
    g = graded(request, x, part, answer)
    text, href = next_href(request.app.state.exercises, x, part)
    link_text = "See the step taken" if part.kind == "predict" else "Open the run you sent"
    return render(request, "exercise_result.html", {
        "title": f"{part.name}: {'solved' if g.passed else 'not yet'}", "passed": g.passed, "reason": g.reason,
        "link": grade_href(x, part, g.run), "link_text": link_text, "exercise_id": x.id,
        "exercise_title": x.spec.title, "part_label": f"{x.id} part {part.id}" if part.id else x.id,
        "back_href": links.exercise_href(x, part.id), "next_href": href, "next_text": text,
        "list_href": links.exercises_href()})
