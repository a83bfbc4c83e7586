"""Find it for me: the explorer and the why-checks table as JSON and as pages.

The searches run in app.search's worker processes, so these routes only validate, wait
and render. Bad input is a 4xx whose message names the problem; a full server is a 503
with Retry-After. An htmx request (the player's "Find a bad schedule" and "Prove it safe")
gets the result fragment, and always with status 200, because the app's htmx config swaps
only 2xx answers: the fragment then says what went wrong; a plain request gets the page
with the true status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

import engine
from app import links, views
from app.answers import checks_json
from app.rendering import is_fragment, render
from app.search import RETRY_AFTER_SECONDS, Bounds, Busy, Searches, parse_bounds
from engine.checks import ChecksTable
from engine.explore import parse_goal

router = APIRouter()
ASKS = ("find", "prove")
GOAL_HELP = "any, a violation kind (null-deref), kind:object (use-after-free:vm_area_struct) or a SCAN_* code"


class Problem(Exception):
    """A request the explorer cannot answer: the status and one sentence naming why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Search:
    """A validated explore request."""

    scenario: engine.Scenario
    variant: str
    goal: str
    bounds: Bounds


def searches(request: Request) -> Searches:
    return request.app.state.searches


def _scenario(request: Request, scenario_id: str) -> engine.Scenario:
    scenarios = request.app.state.scenarios
    if scenario_id not in scenarios:
        raise Problem(404, f"unknown scenario {scenario_id!r}; scenarios: {', '.join(sorted(scenarios))}")
    return scenarios[scenario_id]


def _validate(request: Request, scenario_id: str, v: str, goal: str, max_states: str | None,
              max_preemptions: str | None, h: str | None) -> Search:
    s = _scenario(request, scenario_id)
    if v not in engine.VARIANTS:
        raise Problem(400, f"unknown variant {v!r}; variants: {', '.join(engine.VARIANT_IDS)}")
    if h and h != s.digest:
        raise Problem(409, f"the link was made for version {h} of {s.id}; the current version is {s.digest}")
    try:
        parsed = str(parse_goal(goal))
    except ValueError as e:
        raise Problem(400, str(e)) from None
    try:
        bounds = parse_bounds(max_states, max_preemptions)
    except ValueError as e:
        raise Problem(400, f"bad bounds: {e}") from None
    return Search(s, v, parsed, bounds)


async def _answer(request: Request, search: Search) -> tuple[dict[str, Any], bool]:
    try:
        return await searches(request).explore(search.scenario, search.variant, search.goal, search.bounds)
    except Busy as e:
        raise Problem(503, f"The explorer is busy: {e}.") from None


def _json_problem(problem: Problem) -> JSONResponse:
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if problem.status == 503 else None
    return JSONResponse({"detail": problem.message}, problem.status, headers=headers)


# -- JSON ----------------------------------------------------------------------------------
@router.get("/api/scenarios/{scenario_id}/explore", tags=["api"],
            summary="Search every schedule: the fewest-preemption counterexample, or a proof of safety")
async def explore_api(
        request: Request, scenario_id: str,
        v: str = Query("v4.8", max_length=64, description="variant id, e.g. v1-pointer-check"),
        goal: str = Query("any", max_length=64, description=GOAL_HELP),
        max_states: str | None = Query(None, max_length=12, description="stop after this many states (default 200000)"),
        max_preemptions: str | None = Query(None, max_length=4, description="look only at schedules with at most this many preemptions"),
        h: str | None = Query(None, max_length=64, description="scenario digest the link was made for"),
) -> Response:
    try:
        search = _validate(request, scenario_id, v, goal, max_states, max_preemptions, h)
        answer, cached = await _answer(request, search)
    except Problem as p:
        return _json_problem(p)
    return JSONResponse(answer, headers={"X-Cache": "hit" if cached else "miss"})


async def _table(request: Request, scenarios: dict[str, engine.Scenario]) -> ChecksTable:
    try:
        return await searches(request).checks(scenarios)
    except Busy as e:
        raise Problem(503, f"The explorer is busy: {e}.") from None


@router.get("/api/checks", tags=["api"],
            summary="Why each check in hugepage_vma_revalidate is needed, over the whole catalog")
async def checks_api(request: Request) -> Response:
    try:
        table = await _table(request, request.app.state.scenarios)
    except Problem as p:
        return _json_problem(p)
    return JSONResponse(checks_json(table))


@router.get("/api/scenarios/{scenario_id}/checks", tags=["api"],
            summary="Why each check in hugepage_vma_revalidate is needed, in one scenario")
async def scenario_checks_api(request: Request, scenario_id: str) -> Response:
    try:
        s = _scenario(request, scenario_id)
        table = await _table(request, {s.id: s})
    except Problem as p:
        return _json_problem(p)
    return JSONResponse(checks_json(table))


# -- pages ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Segment:
    """One run of consecutive steps by one thread in a counterexample, linked to the state
    after it, so a learner can walk the schedule a thread switch at a time."""

    tid: str
    count: int
    first: int
    last: int
    href: str


def segments(scenario: engine.Scenario, variant_id: str, schedule: str) -> list[Segment]:
    tids = engine.parse_schedule(schedule)
    out: list[Segment] = []
    start = 0
    for n in range(1, len(tids) + 1):
        if n == len(tids) or tids[n] != tids[start]:
            out.append(Segment(tids[start], n - start, start + 1, n,
                               links.player_href(scenario, variant_id, tids[:n])))
            start = n
    return out


def headline(answer: dict[str, Any], ask: str) -> str:
    """The answer in one sentence, worded for the question the learner asked."""
    verdict, variant = answer["verdict"], answer["variant"]
    if verdict == "violation":
        opener = "Found a bad schedule" if ask == "find" else f"Not safe: {variant} breaks here"
        return f"{opener}: {answer['violation']['kind']} after {answer['steps']} steps."
    if verdict == "goal-reached":
        return f"Found a schedule where a revalidation returns {answer['goal']}."
    if verdict == "safe":
        return (f"Proved safe within the model: no schedule breaks {variant} here."
                if ask == "prove" else f"No bad schedule exists: every schedule of {variant} here is safe.")
    if verdict == "goal-unreachable":
        return f"No schedule reaches {answer['goal']} on {variant} here."
    return f"No answer within the bounds: the search stopped at its {answer['bound']} bound."


def _cli_line(search: Search) -> str:
    line = f"mmlock explore {search.scenario.id} --variant {search.variant} --goal {search.goal}"
    if search.bounds.max_preemptions is not None:
        line += f" --max-preemptions {search.bounds.max_preemptions}"
    if search.bounds != Bounds(max_preemptions=search.bounds.max_preemptions):
        line += f" --max-states {search.bounds.max_states}"
    return line


def _page_problem(request: Request, problem: Problem, links: list[tuple[str, str]]) -> Response:
    status = 200 if is_fragment(request) else problem.status
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if problem.status == 503 else None
    return render(request, "explore.html", {"title": "Explorer", "problem": problem.message,
                                            "links": links, "x": None}, status, headers=headers)


@router.get("/s/{scenario_id}/explore", include_in_schema=False)
async def explore_page(request: Request, scenario_id: str, v: str = "v4.8", goal: str = "any",
                       ask: str = "find", max_states: str | None = None,
                       max_preemptions: str | None = None, h: str | None = None) -> Response:
    ways_on = [("All scenarios", "/")]
    try:
        search = _validate(request, scenario_id, v, goal, max_states, max_preemptions, h)
        ways_on = [("Back to the player", links.player_href(search.scenario, search.variant, ()))]
        answer, cached = await _answer(request, search)
    except Problem as p:
        return _page_problem(request, p, ways_on)
    ask = ask if ask in ASKS else "find"
    x = {"answer": answer, "cached": cached, "ask": ask, "headline": headline(answer, ask),
         "segments": segments(search.scenario, search.variant, answer["schedule"]) if answer["schedule"] else [],
         "scenario": views.scenario_card(search.scenario), "search": search, "cli": _cli_line(search),
         "checks_href": links.checks_href(search.scenario), "variants": engine.VARIANT_IDS,
         "player_href": links.player_href(search.scenario, search.variant, ()),
         "explore_href": links.explore_href(search.scenario)}
    return render(request, "explore.html", {"title": f"Explore {search.scenario.id} on {search.variant}",
                                            "x": x, "problem": "", "links": ways_on})


@router.get("/s/{scenario_id}/explore/cancel", include_in_schema=False)
def explore_cancel(request: Request, scenario_id: str) -> Response:
    """The player's Cancel: its request replaces the search's, so the browser stops
    waiting; the worker stops on its own at the search's time budget."""
    return render(request, "explore_cancelled.html",
                  {"title": "Search cancelled", "budget": searches(request).budget})


def _checks_rows(table: ChecksTable) -> list[dict[str, Any]]:
    return [{"ablation": a, "check": engine.VARIANTS[a].removed, "title": engine.VARIANTS[a].title,
             "summary": engine.VARIANTS[a].summary, "needed": table.is_needed(a),
             "verdict": table.summary(a), "cells": table.row(a)} for a in table.ablations]


async def _checks_page(request: Request, scenarios: dict[str, engine.Scenario], template: str,
                       title: str) -> Response:
    try:
        table = await _table(request, scenarios)
    except Problem as p:
        return render(request, "error.html", {"title": "The explorer is busy", "message": p.message,
                                              "links": [("All scenarios", "/")]}, p.status,
                      headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    cards = {sid: views.scenario_card(s) for sid, s in scenarios.items()}
    return render(request, template, {"title": title, "rows": _checks_rows(table), "table": table,
                                      "cards": cards, "checks_api_href": links.checks_api_href()})


@router.get("/checks", include_in_schema=False)
async def checks_page(request: Request) -> Response:
    return await _checks_page(request, request.app.state.scenarios, "checks.html",
                              "Why each check is needed")


@router.get("/s/{scenario_id}/checks", include_in_schema=False)
async def scenario_checks_page(request: Request, scenario_id: str) -> Response:
    scenarios = request.app.state.scenarios
    if scenario_id not in scenarios:
        return render(request, "error.html", {
            "title": "Unknown scenario", "message": f"There is no scenario {scenario_id!r}.",
            "links": [(s.spec.title, links.checks_href(s)) for s in scenarios.values()]}, 404)
    s = scenarios[scenario_id]
    return await _checks_page(request, {s.id: s}, "checks_scenario.html",
                              f"Why each check is needed: {s.spec.title}")
