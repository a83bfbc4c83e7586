"""The scenario editor: paste or edit a scenario file, see what is wrong with it line by
line as you type, play it, and share a link that carries the scenario itself (app.sources).

``GET /author`` is the page, on the text of a link's token (``?src=``), of a served
scenario's file (``?from=``) or of the built-in example.  ``POST /author/check`` checks a
text: htmx gets the result block (always 200, so it is swapped in), a plain form post the
whole page again, so the editor works without JavaScript.  The server keeps nothing.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app import sources
from app.problems import Problem, problem_page, say
from app.rendering import is_fragment, render
from app.routes.exercises import read_form
from app.targets import author_page
from app.views.author import Editor, Example, checked, editor
from engine import Scenario
from engine.scenario import CATALOG

router = APIRouter(include_in_schema=False)
EXAMPLE = "realloc-file"
MAX_FORM_BYTES = 3 * sources.MAX_TEXT_BYTES + 1024     # the text, percent-encoded at worst


def _examples(request: Request, chosen: str) -> tuple[Example, ...]:
    scenarios: dict[str, Scenario] = request.app.state.scenarios
    return tuple(Example(sid, s.spec.title, sid == chosen) for sid, s in sorted(scenarios.items()))


def _example_text(request: Request, from_id: str) -> str:
    """The file of the served scenario ``from_id`` (default: the example), as text."""
    scenarios: dict[str, Scenario] = request.app.state.scenarios
    if from_id and from_id not in scenarios:
        raise Problem(404, "Unknown scenario", f"there is no scenario {from_id[:60]!r} to start from; "
                      f"scenarios: {', '.join(sorted(scenarios))}", (("Start from the example", "/author"),))
    if from_id:
        return scenarios[from_id].path.read_text("utf-8")
    chosen = scenarios.get(EXAMPLE)
    return (chosen.path if chosen is not None else CATALOG / f"{EXAMPLE}.toml").read_text("utf-8")


def _page(request: Request, e: Editor, status: int = 200) -> Response:
    name, context = author_page(e)
    return render(request, name, context, status)


@router.get("/author")
def author(request: Request, src: str = Query("", description="a link's scenario token (app.sources)"),
           from_: str = Query("", alias="from", max_length=64)) -> Response:
    examples = _examples(request, from_ or ("" if src else EXAMPLE))
    if not src:
        return _page(request, checked(_example_text(request, from_), examples))
    try:
        text = sources.decode(src)
    except sources.BadSource as e:
        why = say(f"the scenario in this link cannot be opened: {e}")
        return _page(request, editor(e.text, None, e.mistakes, why, examples), 400)
    return _page(request, checked(text, examples))      # a text with mistakes is a draft someone shared


def check_problem(request: Request, problem: Problem) -> Response:
    """A check the server refused (an over-long form): the result block says why, with
    status 200 for htmx, so it is swapped in; the page with the true status otherwise."""
    e = editor("", None, problem=say(problem.message))
    name, context = author_page(e)
    return render(request, name, context, 200 if is_fragment(request) else problem.shown_status)


@router.post("/author/check", dependencies=[problem_page(check_problem)])
async def check(request: Request) -> Response:
    form = await read_form(request, MAX_FORM_BYTES)
    text = (form.get("text") or [""])[-1].replace("\r\n", "\n")
    return _page(request, checked(text, _examples(request, "")))
