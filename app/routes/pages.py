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
from app import links, targets, views
from app.problems import Problem
from app.rendering import is_fragment, render
from app.replays import MODES, RunError, load_run, run_to
from app.targets import Pair, Target
from engine import Run

router = APIRouter(include_in_schema=False)
EXAMPLE = ("realloc-file", "v1-pointer-check", "C2K3AK18A9K2")


def bad_run(target: Target, e: RunError, problem: str) -> Problem:
    """The player at the longest valid prefix, saying why the rest was not run."""
    p = views.player(target.scenario, target.variant, e.shown, problem)
    return Problem(400, "The schedule does not replay", problem, page=("player.html", {"p": p}))


@router.get("/")
def catalog(request: Request) -> Response:
    cards = [views.scenario_card(s) for _, s in sorted(request.app.state.scenarios.items())]
    return render(request, "catalog.html", {"cards": cards, "title": "Scenarios"})


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
    return render(request, "api_docs.html", {"endpoints": endpoints, "title": "API", "example": example})


@router.get("/s/{scenario_id}")
def player(request: Request, run: str = "", target: Target = Depends(targets.PAGE)) -> Response:
    try:
        result = load_run(request.app.state.replays, target.scenario, target.variant, run)
    except RunError as e:
        shown = engine.format_schedule(e.shown.schedule)
        raise bad_run(target, e, f"{e}. Showing the longest valid prefix ({shown or 'no steps'}).") from None
    return render(request, "player.html", {"p": views.player(target.scenario, target.variant, result)})


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
    s, cache = pair.scenario, request.app.state.replays
    sides: list[tuple[str, Run, str]] = []
    tids: tuple[str, ...] | None = None
    for vid in (pair.a, pair.b):
        try:
            r = load_run(cache, s, vid, run)
            sides.append((vid, r, ""))
            tids = r.schedule
        except RunError as e:
            where = f"at step {e.step}" if e.step else "from the start"
            sides.append((vid, e.shown, f"On {vid} the schedule stops being valid {where}: {e}."))
    status = 200
    if tids is None:
        tids = max((r for _, r, _ in sides), key=lambda r: len(r.schedule)).schedule
        status = 400
    return render(request, "compare.html", {"c": views.compare(s, sides[0], sides[1], tids)}, status)
