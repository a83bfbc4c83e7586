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
from fastapi.responses import JSONResponse, RedirectResponse, Response

import engine
from app import links, targets, views
from app.answers import check_sets_json, checks_json
from app.problems import API_PROBLEMS, Problem, problem_page, sentence
from app.rendering import is_fragment, render
from app.replays import MAX_RUN_CHARS, RUN_SCHEMA, RunError, load_run
from app.routes.api import bad_run
from app.search import RETRY_AFTER_SECONDS, Busy, Gone, Search, Searches, parse_bounds
from app.targets import Target, known_scenario
from app.views.explore import explore_page
from engine.checks import CheckSets, has_check_sets, why_no_check_sets
from engine.errors import GoalError, VariantError
from engine.programs.khugepaged import ALL_CHECKS
from engine.explore import check_goal, parse_goal

router = APIRouter()
GOAL_HELP = ("any, a violation kind (null-deref), kind:object (use-after-free:vm_area_struct), a SCAN_* code "
             "(a revalidation, mm_find_pmd or a final result gives it), returned(FUNC)=CODE "
             "(returned(do_swap_page)=VM_FAULT_RETRY), or a state: result(T)=VALUE and final(PATH)=VALUE "
             "joined by & (result(K)=SCAN_SUCCEED & final(pmd[X])=huge)")


def searches(request: Request) -> Searches:
    return request.app.state.searches


def busy(e: Busy, ways_on: tuple[tuple[str, str], ...] = ()) -> Problem:
    return Problem(503, "The explorer is busy", f"The explorer is busy: {e}.",
                   ways_on or (("All scenarios", links.catalog_href()),),
                   headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def search_of(target_of: Callable[..., Target], *, api: bool) -> Callable[..., Search]:
    """The dependency that validates a whole explore request: the target (scenario, variant,
    digest), then the goal, parsed once here into a Goal, and the bounds."""
    goal_query = Query("any", max_length=256 if api else None, description=GOAL_HELP)
    states_query = Query(None, max_length=12 if api else None,
                         description="stop after this many states (default 200000)")
    preemptions_query = Query(None, max_length=4 if api else None,
                              description="look only at schedules with at most this many preemptions")
    from_query = Query("", alias="from", max_length=MAX_RUN_CHARS if api else None, json_schema_extra=RUN_SCHEMA,
                       description="search from the state this schedule reaches (its steps are kept; "
                                   "answers still run from step 0)")

    def dependency(request: Request, target: Target = Depends(target_of), goal: str = goal_query,
                   max_states: str | None = states_query, max_preemptions: str | None = preemptions_query,
                   from_: str = from_query) -> Search:
        back = (("Back to the player", links.player_href(target.scenario, target.variant, ())),)
        prefix = _prefix(request, target, from_, back)
        try:
            parsed = parse_goal(goal)
            check_goal(parsed, target.scenario.initial(target.variant),
                       f"{target.scenario.id} under {target.variant}")
        except (ValueError, GoalError) as e:
            raise Problem(400, "Bad goal", str(e), back) from None
        try:
            bounds = parse_bounds(max_states, max_preemptions, linked=bool(target.scenario.source))
        except ValueError as e:
            raise Problem(400, "Bad bounds", f"bad bounds: {e}", back) from None
        return Search(target.scenario, target.variant, parsed, bounds, prefix)
    return dependency


def _prefix(request: Request, target: Target, text: str, back: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """The schedule a search starts from, replayed once (and cached) to check it runs."""
    try:
        return load_run(request.app.state.replays, target.scenario, target.variant, text).schedule
    except RunError as e:
        raise bad_run(e, "starting state", back, quoted=f"from={text[:80]}: ") from None


async def _answer(request: Request, search: Search) -> tuple[dict[str, Any], bool]:
    try:
        return await searches(request).explore(search, gone=request.is_disconnected)
    except Gone:
        raise Problem(503, "Cancelled", "the request went away before its search ended") from None
    except Busy as e:
        raise busy(e, (("Back to the player", links.player_href(search.scenario, search.variant, ())),)) from None


def _answers(request: Request, scenarios: dict[str, engine.Scenario]) -> dict[str, CheckSets | None]:
    """Each v4.8-era scenario's check sets, or None while its background job runs; a
    scenario of a later era runs no check sets and is not a key."""
    try:
        return {sid: searches(request).check_sets(s) for sid, s in scenarios.items() if has_check_sets(s)}
    except Busy as e:
        raise busy(e) from None


def no_check_sets(s: engine.Scenario) -> Problem:
    """The answer for a later era's scenario where its check sets were asked for."""
    return Problem(404, "No check sets in this era", why_no_check_sets(s),
                   (("Open it in the player", links.player_href(s, s.era.default, ())),
                    ("Compare its variants", links.compare_href(s, s.era.default, s.era.baseline, ()))))


def linked_check_sets(s: engine.Scenario) -> Problem:
    """The answer where a scenario that came in a link asks for its 32 check sets."""
    return Problem(400, "No check sets for a scenario from a link",
                   f"the why-each-check table takes 32 complete searches, so the server builds it only for the "
                   f"scenarios it serves, and {s.id} came in a link: ask the explorer about each variant instead, "
                   f"or serve the file (mmlock serve --scenarios FOLDER)",
                   (("Open it in the player", links.player_href(s, s.era.default, ())),
                    ("Explore it", links.explore_page_href(s, s.era.baseline, "any", ()))))


def _left_out(scenarios: dict[str, engine.Scenario]) -> list[dict[str, str]]:
    return [{"scenario": sid, "kernel": s.spec.kernel, "why": why_no_check_sets(s)}
            for sid, s in scenarios.items() if not has_check_sets(s)]


def _computing(answers: dict[str, CheckSets | None]) -> Response:
    ready = [sid for sid, a in answers.items() if a is not None]
    waiting = [sid for sid, a in answers.items() if a is None]
    return JSONResponse({"status": "computing", "ready": ready, "computing": waiting,
                         "message": f"{len(waiting)} of {len(answers)} scenarios are still being searched "
                                    f"(32 sets of checks each); ask again in {RETRY_AFTER_SECONDS} s"},
                        202, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


COMPUTING = {**API_PROBLEMS, 202: {"description": "Still computing: which scenarios are ready, and Retry-After"}}


# -- JSON ----------------------------------------------------------------------------------
@router.get("/api/scenarios/{scenario_id}/explore", tags=["api"], responses=API_PROBLEMS,
            summary="Search every schedule: the fewest-preemption counterexample, or a proof of safety")
async def explore_api(request: Request,
                      search: Search = Depends(search_of(targets.EXPLORE_API, api=True))) -> Response:
    answer, cached = await _answer(request, search)
    return JSONResponse(answer, headers={"X-Cache": "hit" if cached else "miss"})


@router.get("/api/checks", tags=["api"], responses=COMPUTING,
            summary="Which of v4.8's five checks each scenario needs: all 32 sets, over the whole catalog")
def checks_api(request: Request) -> Response:
    answers = _answers(request, request.app.state.scenarios)
    if any(a is None for a in answers.values()):
        return _computing(answers)
    return JSONResponse({**checks_json([a for a in answers.values() if a is not None]),
                         "left_out": _left_out(request.app.state.scenarios)})


@router.get("/api/scenarios/{scenario_id}/checks", tags=["api"], responses=COMPUTING,
            summary="Which of v4.8's five checks one scenario needs: all 32 sets")
def scenario_checks_api(request: Request, s: engine.Scenario = Depends(known_scenario)) -> Response:
    if s.source:
        raise linked_check_sets(s)
    if not has_check_sets(s):
        raise no_check_sets(s)
    answer = _answers(request, {s.id: s})[s.id]
    return _computing({s.id: None}) if answer is None else JSONResponse(check_sets_json(answer))


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


@router.get("/checks", include_in_schema=False)
def checks_page(request: Request) -> Response:
    scenarios = request.app.state.scenarios
    page = views.checks_page(scenarios, _answers(request, scenarios), links.checks_href(), links.checks_api_href())
    return render(request, "checks.html", {"title": "Why each check is needed", "page": page})


@router.get("/s/{scenario_id}/checks", include_in_schema=False)
def scenario_checks_page(request: Request, s: engine.Scenario = Depends(known_scenario)) -> Response:
    if s.source:
        raise linked_check_sets(s)
    if not has_check_sets(s):
        return render(request, "checks_era.html", {"title": f"Why each check is needed: {s.spec.title}",
                                                   "left": views.left_out(s)})
    page = views.checks_page({s.id: s}, _answers(request, {s.id: s}), links.checks_href(s), links.checks_api_href(s))
    return render(request, "checks_scenario.html", {"title": f"Why each check is needed: {s.spec.title}",
                                                    "page": page, "row": page.rows[0]})


@router.get("/s/{scenario_id}/with-checks", include_in_schema=False)
def with_checks(s: engine.Scenario = Depends(known_scenario),
                c: list[str] = Query([], max_length=len(ALL_CHECKS))) -> Response:
    """The checks page's form: the ticked checks, as the player on ``v4.8[checks=...]``."""
    if not has_check_sets(s):
        raise no_check_sets(s)
    try:
        variant = engine.variants.with_checks(c)
    except VariantError as e:
        raise Problem(400, "Unknown check", str(e), (("Back to the checks", links.checks_href(s)),)) from None
    return RedirectResponse(links.player_href(s, variant.id, ()), status_code=303)
