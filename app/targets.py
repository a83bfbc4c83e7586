"""What a request names, validated once for pages and the API alike: a scenario, a variant
and the digest of the version its link was made for.

The rule, in this order: an unknown scenario is a 404; an unknown variant is a 404 page
listing every variant with the schedule kept (the API answers 400 naming them); a digest
``h`` that is not the scenario's is a 409 stale link (the page offers the same link on
the current version). ``h`` absent or empty means no digest was given: the link is taken
to be current.  Each face declares its query parameters (a default variant, or none for
the API's replay, which requires one) through :func:`target`; the checks are the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Depends, Query, Request

import engine
from app import links
from app.problems import Problem
from app.replays import MAX_RUN_CHARS
from app.views.catalog import scenario_card
from engine import Scenario
from engine.errors import VariantError

VARIANT_HELP = "variant id, e.g. v1-pointer-check, or a set of v4.8's checks: v4.8[checks=vma-check,pmd-recheck]"
DIGEST_HELP = "scenario digest the link was made for"


@dataclass(frozen=True)
class Target:
    """A known scenario and variant, at the current version."""

    scenario: Scenario
    variant: str


def known_scenario(request: Request, scenario_id: str) -> Scenario:
    scenarios: dict[str, Scenario] = request.app.state.scenarios
    if scenario_id not in scenarios:
        raise Problem(404, "Unknown scenario",
                      f"unknown scenario {scenario_id!r}; scenarios: {', '.join(sorted(scenarios))}",
                      tuple((s.spec.title, links.player_href(s, engine.VARIANT_IDS[0], ()))
                            for _, s in sorted(scenarios.items())))
    return scenarios[scenario_id]


def check_variant(scenario: Scenario, variant_id: str, run: str) -> str:
    """The canonical id of the variant ``variant_id`` names (a check set in any order)."""
    try:
        return engine.variant(variant_id).id
    except VariantError as e:
        raise Problem(400, "Unknown variant", str(e),
                      tuple((f"{vid}: {engine.VARIANTS[vid].title}", links.raw_player_href(scenario, vid, run))
                            for vid in engine.VARIANT_IDS),
                      page_status=404) from None


def check_digest(scenario: Scenario, h: str | None, variant_ids: tuple[str, ...], current_href: str) -> None:
    """A link made for another version of the scenario or of its variants' code is stale;
    "" or None is no digest."""
    current = scenario.link_digest(*variant_ids)
    if h and h != current:
        raise Problem(409, "Old link",
                      f"the link was made for version {h} of {scenario.id}; the current version is {current}",
                      (("Open it on the current version", current_href),),
                      page=("stale.html", {"scenario": scenario_card(scenario, *variant_ids), "old": h,
                                           "current_href": current_href}))


def check_target(scenario: Scenario, variant_id: str, h: str | None, run: str = "") -> Target:
    """The whole rule; ``run`` (the schedule as typed) only goes into the links it offers."""
    run = run[:MAX_RUN_CHARS]
    variant_id = check_variant(scenario, variant_id, run)
    check_digest(scenario, h, (variant_id,), links.raw_player_href(scenario, variant_id, run))
    return Target(scenario, variant_id)


def target(default_variant: str | None = engine.VARIANT_IDS[0], *, api: bool = False) -> Callable[..., Target]:
    """The dependency for one face: ``default_variant`` None makes ``v`` required; ``api``
    bounds the parameters' length, as the API's OpenAPI description states."""
    limit = 64 if api else None
    v_limit = 128 if api else None      # room for all five checks in any order
    v_query = Query(... if default_variant is None else default_variant, max_length=v_limit,
                    description=VARIANT_HELP)
    h_query = Query(None, max_length=limit, description=DIGEST_HELP)

    def dependency(request: Request, scenario: Scenario = Depends(known_scenario), v: str = v_query,
                   h: str | None = h_query) -> Target:
        return check_target(scenario, v, h, request.query_params.get("run", ""))
    return dependency


@dataclass(frozen=True)
class Pair:
    """Two known variants of one scenario at the current version (the compare page)."""

    scenario: Scenario
    a: str
    b: str


def pair(request: Request, scenario: Scenario = Depends(known_scenario), a: str = engine.VARIANT_IDS[0],
         b: str = "v4.8", h: str | None = None) -> Pair:
    run = request.query_params.get("run", "")[:MAX_RUN_CHARS]
    a, b = (check_variant(scenario, vid, run) for vid in (a, b))
    check_digest(scenario, h, (a, b), links.compare_href(scenario, a, b, ()))
    return Pair(scenario, a, b)


PAGE = target()
API_REPLAY = target(None, api=True)
EXPLORE_PAGE = target("v4.8")
EXPLORE_API = target("v4.8", api=True)
