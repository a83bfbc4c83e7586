"""Find it for me: the explorer and the why-checks table as JSON and as pages.

The searches run in app.search's worker processes, so these routes only validate, wait
and render. Bad input is a 4xx whose message names the problem; a full server is a 503
with Retry-After. An htmx request (the player's "Find a bad schedule" and "Prove it safe")
gets the result fragment, and always with status 200, because the app's htmx config swaps
only 2xx answers: the fragment then says what went wrong; a plain request gets the page
with the true status.  That is this module's problem page (:func:`explore_problem`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

import engine
from app import links, targets, views
from app.answers import checks_json
from app.problems import Problem, problem_page, sentence
from app.rendering import is_fragment, render
from app.search import RETRY_AFTER_SECONDS, Busy, Search, Searches, parse_bounds
from app.targets import Target, known_scenario
from app.views.explore import explore_page
from engine.checks import ChecksTable
from engine.errors import GoalError
from engine.explore import check_goal, parse_goal

router = APIRouter()
GOAL_HELP = ("any, a violation kind (null-deref), kind:object (use-after-free:vm_area_struct), a SCAN_* code "
             "(a revalidation, mm_find_pmd or a final result gives it) or result:T=VALUE (result:K=SCAN_SUCCEED)")


def searches(request: Request) -> Searches:
    return request.app.state.searches


def busy(e: Busy, ways_on: tuple[tuple[str, str], ...] = ()) -> Problem:
    return Problem(503, "The explorer is busy", f"The explorer is busy: {e}.",
                   ways_on or (("All scenarios", links.catalog_href()),),
                   headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def search_of(target_of: Callable[..., Target], *, api: bool) -> Callable[..., Search]:
    """The dependency that validates a whole explore request: the target (scenario, variant,
    digest), then the goal, parsed once here into a Goal, and the bounds."""
    goal_query = Query("any", max_length=64 if api else None, description=GOAL_HELP)
    states_query = Query(None, max_length=12 if api else None,
                         description="stop after this many states (default 200000)")
    preemptions_query = Query(None, max_length=4 if api else None,
                              description="look only at schedules with at most this many preemptions")

    def dependency(target: Target = Depends(target_of), goal: str = goal_query,
                   max_states: str | None = states_query, max_preemptions: str | None = preemptions_query) -> Search:
        back = (("Back to the player", links.player_href(target.scenario, target.variant, ())),)
        try:
            parsed = parse_goal(goal)
            check_goal(parsed, target.scenario.initial(target.variant),
                       f"{target.scenario.id} under {target.variant}")
        except (ValueError, GoalError) as e:
            raise Problem(400, "Bad goal", str(e), back) from None
        try:
            bounds = parse_bounds(max_states, max_preemptions)
        except ValueError as e:
            raise Problem(400, "Bad bounds", f"bad bounds: {e}", back) from None
        return Search(target.scenario, target.variant, parsed, bounds)
    return dependency


async def _answer(request: Request, search: Search) -> tuple[dict[str, Any], bool]:
    try:
        return await searches(request).explore(search)
    except Busy as e:
        raise busy(e, (("Back to the player", links.player_href(search.scenario, search.variant, ())),)) from None


async def _table(request: Request, scenarios: dict[str, engine.Scenario]) -> ChecksTable:
    try:
        return await searches(request).checks(scenarios)
    except Busy as e:
        raise busy(e) from None


# -- JSON ----------------------------------------------------------------------------------
@router.get("/api/scenarios/{scenario_id}/explore", tags=["api"],
            summary="Search every schedule: the fewest-preemption counterexample, or a proof of safety")
async def explore_api(request: Request,
                      search: Search = Depends(search_of(targets.EXPLORE_API, api=True))) -> Response:
    answer, cached = await _answer(request, search)
    return JSONResponse(answer, headers={"X-Cache": "hit" if cached else "miss"})


@router.get("/api/checks", tags=["api"],
            summary="Why each check in hugepage_vma_revalidate is needed, over the whole catalog")
async def checks_api(request: Request) -> Response:
    return JSONResponse(checks_json(await _table(request, request.app.state.scenarios)))


@router.get("/api/scenarios/{scenario_id}/checks", tags=["api"],
            summary="Why each check in hugepage_vma_revalidate is needed, in one scenario")
async def scenario_checks_api(request: Request, s: engine.Scenario = Depends(known_scenario)) -> Response:
    return JSONResponse(checks_json(await _table(request, {s.id: s})))


# -- pages ---------------------------------------------------------------------------------
def explore_problem(request: Request, problem: Problem) -> Response:
    """The explorer page, or its htmx fragment with status 200, saying what went wrong."""
    status = 200 if is_fragment(request) else problem.shown_status
    ways_on = list(problem.links) or [("All scenarios", links.catalog_href())]
    return render(request, "explore.html", {"title": "Explorer", "problem": sentence(problem.message),
                                            "links": ways_on, "x": None}, status, headers=dict(problem.headers))


@router.get("/s/{scenario_id}/explore", include_in_schema=False,
            dependencies=[problem_page(explore_problem)])
async def explorer_page(request: Request, ask: str = "find",
                             search: Search = Depends(search_of(targets.EXPLORE_PAGE, api=False))) -> Response:
    answer, cached = await _answer(request, search)
    x = explore_page(search, answer, cached, ask)
    return render(request, "explore.html", {"title": f"Explore {search.scenario.id} on {search.variant}",
                                            "x": x, "problem": "", "links": [("Back to the player", x.player_href)]})


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
    table = await _table(request, scenarios)
    cards = {sid: views.scenario_card(s) for sid, s in scenarios.items()}
    return render(request, template, {"title": title, "rows": _checks_rows(table), "table": table,
                                      "cards": cards, "checks_api_href": links.checks_api_href()})


@router.get("/checks", include_in_schema=False)
async def checks_page(request: Request) -> Response:
    return await _checks_page(request, request.app.state.scenarios, "checks.html",
                              "Why each check is needed")


@router.get("/s/{scenario_id}/checks", include_in_schema=False)
async def scenario_checks_page(request: Request, s: engine.Scenario = Depends(known_scenario)) -> Response:
    return await _checks_page(request, {s.id: s}, "checks_scenario.html",
                              f"Why each check is needed: {s.spec.title}")
