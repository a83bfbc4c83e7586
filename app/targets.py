"""What a request names, validated once for pages and the API alike: a scenario, a variant
and the digest of the version its link was made for.

The rule, in this order: an unknown scenario is a 404 (a link that carries its scenario
in ``src``, app.sources, names it by the text instead: a ``src`` that does not decode or
validate is a 400 opening the editor on what it carries, and so is one whose id is not the
path's); an unknown variant, or one of
another era than the scenario's (engine.eras), is a 404 page listing the era's variants
with the schedule kept (the API answers 400 naming them); a digest
``h`` that is not the scenario's is a 409 stale link (the page offers the same link on
the current version). ``h`` absent or empty means no digest was given: the link is taken
to be current.  Each face declares its query parameters (which of the era's variants a
link without one opens, or none for the API's replay, which requires one) through
:func:`target`; the checks are the same.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from fastapi import Depends, Query, Request

import engine
from app import links, sources
from app.problems import Problem, say
from app.replays import MAX_RUN_CHARS
from app.views.author import Editor, editor
from app.views.catalog import scenario_card
from engine import Scenario
from engine.errors import VariantError
from engine.seeds import MAX_SEED

T = TypeVar("T")

VARIANT_HELP = ("variant id of the scenario's era, e.g. v1-pointer-check, or a set of v4.8's checks: "
                "v4.8[checks=vma-check,pmd-recheck]; v5.4 or v5.8 for a v5.4-era scenario")
DIGEST_HELP = "scenario digest the link was made for"


@dataclass(frozen=True)
class Target:
    """A known scenario and variant, at the current version."""

    scenario: Scenario
    variant: str


SEED_HELP = ("the seeded instance, ASCII digits from 0 to 9999: the scenario at other addresses, with another "
             "slab order (0: as written)")
SEED = Query("", max_length=16, description=SEED_HELP)


def seed_number(text: str) -> int:
    """The seed a query names ("" is 0), or a 422 saying what a seed is."""
    if not text:
        return 0
    if not re.fullmatch(r"[0-9]{1,4}", text):
        raise Problem(422, "Not a seed", f"the seed {text!r} is not a number from 0 to {MAX_SEED} in ASCII digits")
    return int(text)


def instance(request: Request, key: tuple[str, str, str], seed: int, make: Callable[[int], T]) -> T | None:
    """Instance ``seed`` of the thing ``key`` names (kind, id, digest), made once by ``make``
    and kept; None for seed 0, the thing as loaded."""
    if seed == 0:
        return None
    made = request.app.state.instances.get(key + (seed,))
    if made is None:
        made = make(seed)
        request.app.state.instances.put(key + (seed,), made)
    return made


SRC_HELP = (f"a scenario carried in the link: its TOML text, zlib-compressed and base64url-encoded without "
            f"padding, at most {sources.MAX_TOKEN_CHARS} characters and {sources.MAX_TEXT_BYTES // 1024} KiB of "
            f"text; its id must be the path's")
SRC = Query("", description=SRC_HELP)


def known_scenario(request: Request, scenario_id: str, seed: str = SEED, src: str = SRC) -> Scenario:
    scenarios: dict[str, Scenario] = request.app.state.scenarios
    if src:
        s = linked_scenario(request, scenario_id, src)
    elif scenario_id not in scenarios:
        raise Problem(404, "Unknown scenario",
                      f"unknown scenario {scenario_id!r}; scenarios: {', '.join(sorted(scenarios))}",
                      tuple((s.spec.title, links.player_href(s, s.era.default, ()))
                            for _, s in sorted(scenarios.items())))
    else:
        s = scenarios[scenario_id]
    return instance(request, ("scenario", s.id, s.digest), seed_number(seed), s.seeded) or s


def linked_scenario(request: Request, scenario_id: str, token: str) -> Scenario:
    """The scenario the token ``src`` carries (decoded once and kept, by a hash of the
    token), which must have the path's id; otherwise a 400 whose page is the editor on the
    text it could recover, with the mistakes (the API answers the sentence)."""
    key = ("source", hashlib.blake2b(token.encode(), digest_size=16).hexdigest())
    s: Scenario | None = request.app.state.instances.get(key)
    if s is None:
        try:
            s = sources.from_token(token)
        except sources.BadSource as e:
            why = f"the scenario in this link cannot be opened: {e}"
            raise Problem(400, "The link's scenario does not load", why,
                          (("Open it in the editor", links.author_href(token)),),
                          page=author_page(editor(e.text, None, e.mistakes, say(why)))) from None
        request.app.state.instances.put(key, s)
    if s.id != scenario_id:
        why = (f"the scenario in this link has the id {s.id!r}, but the link's path names {scenario_id!r}; "
               f"its own link is /s/{s.id}")
        raise Problem(400, "The link's scenario has another id", why,
                      (("Play it under its own id", links.player_href(s, s.era.default, ())),),
                      page=author_page(editor(sources.decode(token), s, problem=say(why))))
    return s


def author_page(e: Editor) -> tuple[str, dict[str, object]]:
    """The editor page for a Problem: its template and context."""
    return "author.html", {"e": e, "title": "Author a scenario"}


def check_variant(scenario: Scenario, variant_id: str, run: str) -> str:
    """The canonical id of the variant ``variant_id`` names (a check set in any order), which
    must be of the scenario's era."""
    try:
        return scenario.variant(variant_id).id
    except VariantError as e:
        raise Problem(400, "Variant of another era" if _is_variant(variant_id) else "Unknown variant", str(e),
                      tuple((f"{vid}: {engine.VARIANTS[vid].title}", links.raw_player_href(scenario, vid, run))
                            for vid in scenario.variant_ids),
                      page_status=404) from None


def _is_variant(variant_id: str) -> bool:
    try:
        engine.variant(variant_id)
        return True
    except VariantError:
        return False


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


Default = tuple[str, Callable[[Scenario], str]]
FIRST: Default = ("the era's first variant: v1-pointer-check, or v5.4", lambda s: s.era.default)
FIXED: Default = ("the era's fixed kernel: v4.8, or v5.8", lambda s: s.era.baseline)


def target(default_variant: Default | None = FIRST, *, api: bool = False) -> Callable[..., Target]:
    """The dependency for one face: ``default_variant`` says (in words, for the OpenAPI
    description) and picks the scenario's variant when ``v`` is not given; None makes
    ``v`` required; ``api`` bounds the parameters' length, as the OpenAPI description states."""
    limit = 64 if api else None
    v_limit = 128 if api else None      # room for all five checks in any order
    which = "" if default_variant is None else f" (default: {default_variant[0]})"
    v_query = Query(... if default_variant is None else None, max_length=v_limit, description=VARIANT_HELP + which)
    h_query = Query(None, max_length=limit, description=DIGEST_HELP)

    def dependency(request: Request, scenario: Scenario = Depends(known_scenario), v: str | None = v_query,
                   h: str | None = h_query) -> Target:
        chosen = v if v is not None or default_variant is None else default_variant[1](scenario)
        return check_target(scenario, chosen, h, request.query_params.get("run", ""))
    return dependency


@dataclass(frozen=True)
class Pair:
    """Two known variants of one scenario at the current version (the compare page)."""

    scenario: Scenario
    a: str
    b: str


def pair(request: Request, scenario: Scenario = Depends(known_scenario), a: str | None = None,
         b: str | None = None, h: str | None = None) -> Pair:
    """Two variants of the scenario's era; by default its first and its fixed kernel."""
    run = request.query_params.get("run", "")[:MAX_RUN_CHARS]
    a, b = (check_variant(scenario, vid, run) for vid in (a or FIRST[1](scenario), b or FIXED[1](scenario)))
    check_digest(scenario, h, (a, b), links.compare_href(scenario, a, b, ()))
    return Pair(scenario, a, b)


PAGE = target()
API_REPLAY = target(None, api=True)
EXPLORE_PAGE = target(FIXED)
EXPLORE_API = target(FIXED, api=True)
