"""HTML pages: the catalog, the player, run-to links, compare, and the API docs.

Every player URL is a whole state: /s/{scenario}?v=variant&run=schedule&h=digest.  Plain
requests get the page, htmx requests the ``stage`` block of the same template.  The
scenario, variant and digest are checked by app.targets; what cannot be shown is a
Problem (app.problems), rendered at the edge.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

import engine
from app import guide, links, targets, views
from app.problems import Problem
from app.rendering import is_fragment, render
from app.replays import MODES, RunError, aligned, load_run, run_to
from app.targets import Pair, Target
from app.views.catalog import catalog as catalog_page

router = APIRouter(include_in_schema=False)
EXAMPLE = ("realloc-file", "v1-pointer-check", "C2K3AK18A9K2")


def bad_run(target: Target, e: RunError, problem: str) -> Problem:
    """The player at the longest valid prefix, saying why the rest was not run."""
    p = views.player(target.scenario, target.variant, e.shown, problem)
    return Problem(400, "The schedule does not replay", problem, page=("player.html", {"p": p}))


@router.get("/")
def catalog(request: Request) -> Response:
    """The scenarios, starting somewhere: the story first, then by case (app.views.catalog)."""
    c = catalog_page(request.app.state.scenarios.values(), guide.sections("model"),
                     request.app.state.walkthroughs.values())
    return render(request, "catalog.html", {"c": c, "cards": c.cards, "title": "Scenarios"})


@router.get("/healthz")
def healthz() -> JSONResponse:
    return JSONResponse({"ok": True})


@router.get("/docs")
def api_docs(request: Request) -> Response:
    spec = request.app.openapi()
    endpoints = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            params = [(p["name"], p["in"], p.get("required", False), p.get("description", ""))
                      for p in op.get("parameters", [])]
            endpoints.append({"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                              "params": params})
    sid, vid, run = EXAMPLE
    scenario = request.app.state.scenarios.get(sid)
    example = links.replay_api_href(scenario, vid, engine.parse_schedule(run)) if scenario else ""
    return render(request, "api_docs.html", {"endpoints": endpoints, "title": "API", "example": example,
                                             "main_element": "div"})     # Swagger UI's operations are the <main>


@router.get("/s/{scenario_id}")
def player(request: Request, run: str = "", log: str = "", target: Target = Depends(targets.PAGE)) -> Response:
    """The player at the state ``run`` reaches; ``log=all`` shows the whole kernel log."""
    try:
        result = load_run(request.app.state.replays, target.scenario, target.variant, run)
    except RunError as e:
        shown = engine.format_schedule(e.shown.schedule)
        raise bad_run(target, e, f"{e}. Showing the longest valid prefix ({shown or 'no steps'}).") from None
    return render(request, "player.html", {"p": views.player(target.scenario, target.variant, result,
                                                            whole_log=log == "all")})


@router.get("/s/{scenario_id}/run")
def run_until(request: Request, run: str = "", to: str = "lock", t: str = "",
              target: Target = Depends(targets.PAGE)) -> Response:
    """Run a thread to its next lock operation or until it blocks, or the run to its end;
    answer with the longer run's link (a redirect, or for htmx the fragment and its URL)."""
    s, v = target.scenario, target.variant
    if to not in MODES:
        raise Problem(400, "Unknown run mode", f"to={to!r}: use one of {', '.join(MODES)}.")
    try:
        result = load_run(request.app.state.replays, s, v, run)
    except RunError as e:
        raise bad_run(target, e, f"{e}.") from None
    if to != "end" and t not in {th.tid for th in result.final.threads}:
        raise Problem(400, "Unknown thread", f"t={t!r} is not a thread of {s.id}.")
    tids = result.schedule + run_to(result.final, t, to)
    href = links.player_href(s, v, tids)
    if not is_fragment(request):
        return RedirectResponse(href, status_code=303)
    longer = request.app.state.replays.replay(s, v, tids)
    return render(request, "player.html", {"p": views.player(s, v, longer)}, headers={"HX-Push-Url": href})


@router.get("/s/{scenario_id}/compare")
def compare(request: Request, run: str = "", pair: Pair = Depends(targets.pair)) -> Response:
    """One interleaving on two variants: the schedule leads where it replays (a, else b)
    and the other side runs the same switch points (engine.align)."""
    al = aligned(request.app.state.replays, pair.scenario, pair.a, pair.b, run)
    return render(request, "compare.html", {"c": views.compare(pair.scenario, pair.a, pair.b, al)},
                  400 if al.problem else 200)
