"""The scenario editor's view model: the text, what is wrong with it line by line, or the
links that play and share it (the scenario travels inside them, app.sources)."""

from __future__ import annotations

from dataclasses import dataclass

from app import links, sources
from app.replays import run_to
from app.search import LINKED_MAX_STATES
from engine import Scenario
from engine.errors import Mistake, ScenarioError
from engine.scenario import MAX_CALLS

LIMITS = (
    f"The text is at most {sources.MAX_TEXT_BYTES // 1024} KiB, and compressed at most "
    f"{sources.MAX_TOKEN_CHARS} characters of the link (the realloc-file example takes about 1,600).",
    f"2 to 5 threads, at most 8 VMAs, 8 pte tables and 8 huge pmds, and at most {MAX_CALLS} calls a thread, "
    "as for any scenario file.",
    f"The explorer searches a scenario from a link to at most {LINKED_MAX_STATES:,} states "
    "(a served scenario: 1,000,000); the why-each-check table is only built for served scenarios.",
    "Any change to the text, a comment included, makes the old links stale: they open a page that offers "
    "the current version.",
)


@dataclass(frozen=True)
class MistakeView:
    where: str          # "line 12, threads[0].program", or "" for the whole file
    message: str


@dataclass(frozen=True)
class Example:
    id: str
    title: str
    selected: bool


@dataclass(frozen=True)
class Editor:
    """The editor at one text: its mistakes, or the scenario's summary and links."""

    text: str
    mistakes: tuple[MistakeView, ...]
    summary: str = ""           # "valid: 3 threads, 2 VMAs"
    title: str = ""
    play_href: str = ""         # the player on it, at its era's first variant, step 0
    edit_href: str = ""         # this editor on the same text
    problem: str = ""           # why a link opened the editor instead of the player
    examples: tuple[Example, ...] = ()
    check_href: str = links.author_check_href()
    author_href: str = links.author_href()
    limits: tuple[str, ...] = LIMITS

    @property
    def is_valid(self) -> bool:
        return not self.mistakes and bool(self.play_href)


def _views(mistakes: tuple[Mistake, ...]) -> tuple[MistakeView, ...]:
    return tuple(MistakeView(m.where, m.message) for m in mistakes)


def played(scenario: Scenario) -> tuple[Mistake, ...]:
    """What goes wrong when the scenario is played to its end, lowest thread id first, on
    its era's first variant and its fixed kernel: a thread's missing argument shows only
    when its line runs (the loader does not check ``args``)."""
    era = scenario.era
    for vid in dict.fromkeys((era.default, era.baseline)):
        try:
            run_to(scenario.initial(vid), "", "end")
        except ScenarioError as e:
            return (Mistake(0, (), f"played to the end on {vid} (lowest thread id first): {e}"),)
    return ()


def editor(text: str, scenario: Scenario | None, mistakes: tuple[Mistake, ...] = (), problem: str = "",
           examples: tuple[Example, ...] = ()) -> Editor:
    """The editor on ``text``: the ``scenario`` it validated as (None when it did not, with
    its ``mistakes``), and the ``problem`` that opened it, if a link did."""
    if scenario is None:
        return Editor(text, _views(mistakes), problem=problem, examples=examples)
    spec = scenario.spec
    threads, vmas = len(spec.threads), len(spec.vmas)
    return Editor(
        text, _views(mistakes), f"valid: {threads} thread{'s' * (threads != 1)}, {vmas} VMA{'s' * (vmas != 1)}",
        spec.title, links.player_href(scenario, scenario.era.default, ()), links.author_href(scenario.source),
        problem, examples)


def checked(text: str, examples: tuple[Example, ...] = ()) -> Editor:
    """The editor after checking ``text`` as a link would carry it."""
    try:
        scenario = sources.from_text(text)
    except sources.BadSource as e:
        return editor(text, None, e.mistakes, examples=examples)
    return editor(text, scenario, played(scenario), examples=examples)
