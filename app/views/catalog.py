"""Scenario cards, expected verdicts and the variant choices."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import engine
from app import links
from app.links import player_href
from engine import Scenario
from engine.walkthroughs import Walkthrough


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
    carried: tuple[tuple[str, str], ...] = ()     # what its GET forms send as hidden inputs (links.carried)


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
        links.explore_cancel_href(scenario), links.carried(scenario))


# -- the "Start here" order ------------------------------------------------------------------------
START = "realloc-file"
"""The story the whole app tells, and walkthrough 1's first chapter: khugepaged drops mmap_sem,
the process maps a file over the range, the freed vm_area_struct comes back at the same
address, and v1's ``vma != vma_orig`` check passes on a VMA that is no longer the one it
checked.  The catalog shows it first, then every other scenario grouped by case."""


@dataclass
class CaseGroup:
    case: str           # "C2", "claim-10", "rwsem"; "" for the scenarios that name no case
    title: str          # the model guide's heading for the case, or the case itself
    href: str           # the case in the model guide, "" if the guide has no place for it
    cards: list[ScenarioCard]

    @property
    def anchor(self) -> str:
        """The group's id on the catalog page: ``case-c2``, ``case-other``."""
        return "case-" + (re.sub(r"[^a-z0-9]+", "-", self.case.lower()).strip("-") or "other")


@dataclass
class Catalog:
    start: ScenarioCard | None      # None when the catalog has no START (a folder of one's own)
    start_href: str                 # the player on the variant the story is told with
    walkthrough_title: str          # the walkthrough that tells the story, if one does
    walkthrough_href: str
    groups: list[CaseGroup]

    @property
    def cards(self) -> list[ScenarioCard]:
        """Every card, in the catalog's order."""
        return ([self.start] if self.start else []) + [c for g in self.groups for c in g.cards]


def _kernel_key(kernel: str) -> tuple[int, ...]:
    """v4.8 < v5.4 < v5.10, as numbers rather than as text."""
    return tuple(int(n) for n in re.findall(r"\d+", kernel))


def catalog_order(scenarios: Iterable[Scenario], sections: Sequence[tuple[str, str]],
                  start: str = START) -> list[Scenario]:
    """The catalog's order: ``start`` first; then the rest grouped by case, the cases in the
    order the model guide (``sections``, its anchors in page order) describes them: the
    rwsem rules, C0 to C12, then Andrea's claims.  A case the guide has no section for comes
    after those (by name), scenarios with no case last; within a case, the older kernel
    first, then by id."""
    rank = {anchor: n for n, (anchor, _) in enumerate(sections)}

    def key(s: Scenario) -> tuple:
        case = s.spec.case
        if s.id == start:
            where: tuple = (0,)
        elif links.case_href(case) and case.lower() in rank:
            where = (1, rank[case.lower()])
        elif case:
            where = (2, case.lower())
        else:
            where = (3,)
        return where, _kernel_key(s.spec.kernel), s.id
    return sorted(scenarios, key=key)


def catalog(scenarios: Iterable[Scenario], sections: Sequence[tuple[str, str]],
            walkthroughs: Iterable[Walkthrough] = (), start: str = START) -> Catalog:
    """The catalog page: the start card, then the case groups of :func:`catalog_order`."""
    titles = dict(sections)
    ordered = catalog_order(scenarios, sections, start)
    first = ordered[0] if ordered and ordered[0].id == start else None
    groups: list[CaseGroup] = []
    for s in ordered[1:] if first else ordered:
        case = s.spec.case
        if not groups or groups[-1].case.lower() != case.lower():
            known = bool(links.case_href(case)) and case.lower() in titles
            groups.append(CaseGroup(case, titles[case.lower()] if known else case or "Other scenarios",
                                    links.case_href(case) if known else "", []))
        groups[-1].cards.append(scenario_card(s))
    if first is None:
        return Catalog(None, "", "", "", groups)
    story = next((w for w in walkthroughs if w.chapters and w.chapters[0].spec.scenario == start), None)
    variant_id = story.chapters[0].spec.variant if story else first.era.default
    return Catalog(scenario_card(first), player_href(first, variant_id, ()),
                   story.spec.title if story else "", links.walkthrough_href(story) if story else "", groups)
