"""Scenario cards, expected verdicts and the variant choices."""

from __future__ import annotations

import re
from dataclasses import dataclass

import engine
from app import links
from app.links import player_href
from engine import Scenario


@dataclass
class VariantChoice:
    id: str
    title: str
    summary: str
    verdict: str
    safe: bool
    href: str
    current: bool
    declared: bool = True
    kernel: str = "v4.8"        # whose code it runs (the scenario's kernel names its era)


def verdict(scenario: Scenario, variant_id: str) -> tuple[str, bool]:
    """What the scenario declares for the variant: "safe", the violations, or "not declared"."""
    if variant_id not in scenario.spec.expect:
        return "not declared", False
    kinds = scenario.spec.expect[variant_id]
    if not kinds:
        return "safe", True
    return ", ".join(kinds), False


def variant_ids(scenario: Scenario, *current: str | None) -> tuple[str, ...]:
    """The named variants of the scenario's era, then each ``current`` one that is a check
    set without a name."""
    extra = tuple(dict.fromkeys(v for v in current if v is not None and v not in engine.VARIANTS))
    return scenario.variant_ids + extra


def variant_choices(scenario: Scenario, current: str | None, tids: tuple[str, ...]) -> list[VariantChoice]:
    out = []
    for vid in variant_ids(scenario, current):
        v = engine.variant(vid)
        text, safe = verdict(scenario, vid)
        out.append(VariantChoice(vid, v.title, v.summary, text, safe, player_href(scenario, vid, tids),
                                 vid == current, vid in scenario.spec.expect, v.kernel))
    return out


@dataclass(frozen=True)
class Assumption:
    """One stated assumption: a reference into the guide (a link) and the rest of the text.
    An assumption in the old form (``§4.3 [I]: ...``) is all ``text``, with no link."""

    ref: str
    href: str
    text: str


_GUIDE_REF = re.compile(r"docs/(?P<name>[a-z]+)\.md#(?P<anchor>[A-Za-z0-9_-]+)")


def assumption(text: str) -> Assumption:
    """``docs/model.md#slab-reuse [I]: ...`` -> a link to /guide/model#slab-reuse and
    `` [I]: ...``; anything else is plain text."""
    m = _GUIDE_REF.match(text)
    if m is None or m["name"] not in links.GUIDES:
        return Assumption("", "", text)
    return Assumption(m[0], links.guide_href(m["name"], m["anchor"]), text[m.end():])


@dataclass
class ScenarioCard:
    id: str
    title: str
    question: str
    kernel: str
    case: str
    case_href: str
    seed: str
    note: str
    assumptions: list[Assumption]
    digest: str
    version: int
    threads: list[str]
    href: str
    variants: list[VariantChoice]
    checks_href: str
    checks_api_href: str
    explore_href: str
    explore_cancel_href: str


def scenario_card(scenario: Scenario, *variant_ids: str) -> ScenarioCard:
    """The scenario's card; its digest is the one links to ``variant_ids`` carry, if given."""
    spec = scenario.spec
    return ScenarioCard(
        spec.id, spec.title, spec.question, spec.kernel, spec.case, links.case_href(spec.case), spec.seed,
        spec.note.strip(), [assumption(a) for a in spec.assumptions],
        scenario.link_digest(*variant_ids) if variant_ids else scenario.digest, spec.version,
        [f"{t.id}: {t.name} ({', then '.join(call.program for call in t.sequence)})"
         for t in sorted(spec.threads, key=lambda t: t.id)],
        player_href(scenario, scenario.era.default, ()), variant_choices(scenario, None, ()),
        links.checks_href(scenario), links.checks_api_href(scenario), links.explore_href(scenario),
        links.explore_cancel_href(scenario))
