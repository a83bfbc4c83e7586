"""HTML pages: the catalog, the player, run-to links, compare, and the API docs.

Every player URL is a whole state: /s/{scenario}?v=variant&run=schedule&h=digest.  Plain
requests get the page, htmx requests the ``stage`` block of the same template.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

import engine
from app import links, views
from app.rendering import is_fragment, render
from app.replays import MAX_RUN_CHARS, MODES, RunError, load_run, run_to

router = APIRouter(include_in_schema=False)
EXAMPLE = ("realloc-file", "v1-pointer-check", "C2K3AK18A9K2")


def _error(request: Request, status: int, title: str, message: str, links: list[tuple[str, str]] | None = None) -> Response:
    return render(request, "error.html", {"title": title, "message": message, "links": links or []}, status)


def _scenario_or_error(request: Request, scenario_id: str) -> engine.Scenario | Response:
    scenarios = request.app.state.scenarios
    if scenario_id not in scenarios:
        return _error(request, 404, "Unknown scenario",
                      f"There is no scenario {scenario_id!r}.",
                      [(s.spec.title, links.player_href(s, engine.VARIANT_IDS[0], ())) for s in scenarios.values()])
    return scenarios[scenario_id]


def _variant_error(request: Request, s: engine.Scenario, v: str, run: str) -> Response:
    return _error(request, 404, "Unknown variant",
                  f"There is no variant {v!r}. Pick one of the variants below (the schedule is kept).",
                  [(f"{vid}: {engine.VARIANTS[vid].title}", links.raw_player_href(s, vid, run))
                   for vid in engine.VARIANT_IDS])


def _stale(request: Request, s: engine.Scenario, h: str, current: str) -> Response:
    return render(request, "stale.html", {"scenario": views.scenario_card(s), "old": h, "current_href": current}, 409)


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
def player(request: Request, scenario_id: str, v: str = engine.VARIANT_IDS[0], run: str = "",
           h: str | None = None) -> Response:
    s = _scenario_or_error(request, scenario_id)
    if isinstance(s, Response):
        return s
    if v not in engine.VARIANTS:
        return _variant_error(request, s, v, run)
    if h is not None and h != s.digest:
        return _stale(request, s, h, links.raw_player_href(s, v, run[:MAX_RUN_CHARS]))
    try:
        result = load_run(request.app.state.replays, s, v, run)
    except RunError as e:
        shown = engine.format_schedule(e.shown.schedule)
        problem = f"{e}. Showing the longest valid prefix ({shown or 'no steps'})."
        return render(request, "player.html", {"p": views.player(s, v, e.shown, problem)}, 400)
    return render(request, "player.html", {"p": views.player(s, v, result)})


@router.get("/s/{scenario_id}/run")
def run_until(request: Request, scenario_id: str, v: str = engine.VARIANT_IDS[0], run: str = "",
              h: str | None = None, to: str = "lock", t: str = "") -> Response:
    """Run a thread to its next lock operation or until it blocks, or the run to its end;
    answer with the longer run's link (a redirect, or for htmx the fragment and its URL)."""
    s = _scenario_or_error(request, scenario_id)
    if isinstance(s, Response):
        return s
    if v not in engine.VARIANTS:
        return _variant_error(request, s, v, run)
    if to not in MODES:
        return _error(request, 400, "Unknown run mode", f"to={to!r}: use one of {', '.join(MODES)}.")
    if h is not None and h != s.digest:
        return _stale(request, s, h, links.player_href(s, v, ()))
    try:
        result = load_run(request.app.state.replays, s, v, run)
    except RunError as e:
        return render(request, "player.html", {"p": views.player(s, v, e.shown, f"{e}.")}, 400)
    if to != "end" and t not in {th.tid for th in result.final.threads}:
        return _error(request, 400, "Unknown thread", f"t={t!r} is not a thread of {s.id}.")
    tids = result.schedule + run_to(result.final, t, to)
    href = links.player_href(s, v, tids)
    if not is_fragment(request):
        return RedirectResponse(href, status_code=303)
    longer = request.app.state.replays.replay(s, v, tids)
    return render(request, "player.html", {"p": views.player(s, v, longer)}, headers={"HX-Push-Url": href})


@router.get("/s/{scenario_id}/compare")
def compare(request: Request, scenario_id: str, a: str = engine.VARIANT_IDS[0], b: str = "v4.8", run: str = "",
            h: str | None = None) -> Response:
    s = _scenario_or_error(request, scenario_id)
    if isinstance(s, Response):
        return s
    for vid in (a, b):
        if vid not in engine.VARIANTS:
            return _error(request, 404, "Unknown variant",
                          f"There is no variant {vid!r}; variants: {', '.join(engine.VARIANT_IDS)}.")
    if h is not None and h != s.digest:
        return _stale(request, s, h, links.compare_href(s, a, b, ()))
    cache = request.app.state.replays
    sides = []
    tids: tuple[str, ...] | None = None
    for vid in (a, b):
        try:
            r = load_run(cache, s, vid, run)
            sides.append((vid, r, ""))
            tids = r.schedule
        except RunError as e:
            where = f"at step {e.step}" if e.step else "from the start"
            sides.append((vid, e.shown, f"On {vid} the schedule stops being valid {where}: {e}."))
    if tids is None:
        longer = max((r for _, r, _ in sides), key=lambda r: len(r.schedule))
        tids = longer.schedule
        status = 400
    else:
        status = 200
    return render(request, "compare.html", {"c": views.compare(s, sides[0], sides[1], tids)}, status)
