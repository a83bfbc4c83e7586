"""The teacher's "check these answers" page: paste what students handed in (links, schedules,
choices, check lists), one CSV row each, and get pass or fail with the grader's reason.

The server keeps nothing: the rows come in with the form and go out graded, exactly as
``mmlock grade`` grades a file.  Verdicts still being computed make a row fail with that
sentence, never wait.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app import links
from app.grading import MAX_ROWS, RowGrade, grade_row, parse_rows
from app.problems import Problem, say
from app.rendering import render
from app.routes.exercises import Patient, chosen, read_form
from app.targets import SEED, seed_number
from app.views.sheet import origin, sheet_rows

router = APIRouter(include_in_schema=False)
MAX_GRADE_BYTES = 512 * 1024
EXAMPLE = "ada,x06,C$ K>down_write A$ K$\nbob,x04,equal\ncy,x19e,exit-test vma-null address-range vma-check pmd-recheck"


def _page(request: Request, text: str, results: list[RowGrade] | None, status: int = 200) -> Response:
    passed = sum(r.passed for r in results or [])
    return render(request, "grade.html", {
        "title": "Check handed-in answers", "text": text, "results": results, "passed": passed,
        "example": EXAMPLE, "max_rows": MAX_ROWS, "list_href": links.exercises_href()}, status)


@router.get("/x/grade")
def grade_form(request: Request) -> Response:
    return _page(request, "", None)


@router.post("/x/grade")
async def grade_answers(request: Request) -> Response:
    form = await read_form(request, MAX_GRADE_BYTES)
    text = (form.get("answers") or [""])[-1]
    try:
        rows = parse_rows(text, "the pasted answers")
    except ValueError as e:
        raise Problem(400, "The answers cannot be read", say(str(e)),
                      (("Back to the form", "/x/grade"),)) from None
    state = request.app.state
    verdicts = Patient(state.searches)
    return _page(request, text, [grade_row(state.exercises, state.scenarios, verdicts, r) for r in rows])


@router.get("/x/sheet")
def exercise_sheet(request: Request, set_: str = Query("", alias="set"), seed: str = SEED) -> Response:
    """Every exercise, or a problem set, as a page to print: task, link and QR code each."""
    exercises = request.app.state.exercises
    n = seed_number(seed)
    ids = chosen(exercises, set_) or sorted(exercises)
    start = origin(request.app.state.base_url, request.url.scheme, request.headers.get("host", ""))
    rows = sheet_rows([exercises[i] for i in ids], start, n)
    return render(request, "sheet.html", {"title": "Exercise sheet", "rows": rows, "origin": start, "seed": n,
                                          "list_href": links.exercises_href(ids if set_ else (), n)})
