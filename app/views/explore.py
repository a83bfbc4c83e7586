"""The explorer page's view model, built from a search and its answer (the explore JSON)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

import engine
from engine.goal import parse_goal
from app import links
from app.search import Bounds, Search
from app.views.catalog import ScenarioCard, scenario_card, variant_ids

ASKS = ("find", "prove")


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
        return f"Found a schedule where {parse_goal(answer['goal']).describe()}, after {answer['steps']} steps."
    here = f"from step {answer['from_steps']}" if answer.get("from") else "here"
    if verdict == "safe":
        return (f"Proved safe within the model: no schedule breaks {variant} {here}."
                if ask == "prove" else f"No bad schedule exists: every schedule of {variant} {here} is safe.")
    if verdict == "goal-unreachable":
        return f"No schedule reaches {answer['goal']} on {variant} {here}."
    return f"No answer within the bounds: the search stopped at its {answer['bound']} bound."


def cli_line(search: Search) -> str:
    """The same search from a terminal."""
    line = (f"mmlock explore {search.scenario.id} --variant {shlex.quote(search.variant)} "
            f"--goal {shlex.quote(str(search.goal))}")
    if search.bounds.max_preemptions is not None:
        line += f" --max-preemptions {search.bounds.max_preemptions}"
    if search.bounds != Bounds(max_preemptions=search.bounds.max_preemptions):
        line += f" --max-states {search.bounds.max_states}"
    if search.prefix:
        line += f" --from {engine.format_schedule(search.prefix)}"
    return line


@dataclass(frozen=True)
class ExplorePage:
    """The explorer page: the answer as the API gives it, the headline for the question
    asked, the counterexample a thread switch at a time, the CLI line and the links.

    ``x["headline"]`` reads like ``x.headline``, so the page's tests and templates can
    treat it as the mapping it replaced."""

    answer: dict[str, Any]
    cached: bool
    ask: str
    headline: str
    segments: list[Segment]
    scenario: ScenarioCard
    search: Search
    cli: str
    checks_href: str
    variants: tuple[str, ...]
    player_href: str
    explore_href: str
    carried: tuple[tuple[str, str], ...] = ()    # the search-again form's hidden fields (links.carried)


def explore_page(search: Search, answer: dict[str, Any], cached: bool, ask: str) -> ExplorePage:
    ask = ask if ask in ASKS else "find"
    scenario, variant = search.scenario, search.variant
    return ExplorePage(
        answer=answer, cached=cached, ask=ask, headline=headline(answer, ask),
        segments=segments(scenario, variant, answer["schedule"]) if answer["schedule"] else [],
        scenario=scenario_card(scenario), search=search, cli=cli_line(search),
        checks_href=links.checks_href(scenario), variants=variant_ids(scenario, variant),
        player_href=links.player_href(scenario, variant, ()), explore_href=links.explore_href(scenario),
        carried=links.carried(scenario))
