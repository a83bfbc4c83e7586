"""Walkthroughs as pages: the list, a walkthrough's contents, one stop (in the player, in
presenter mode, as speaker notes, embedded) and the printed handout.

A walkthrough is read as a sequence of frames, one per stop and two per predict stop (the
poll, then its reveal), so Next, Prev and the progress bar step through the same list
whichever page shows it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from app import links, views
from app.views.player import Player
from app.views.threads import CodeLine, ThreadView
from engine import Run, State
from engine.walkthroughs import Stop, Walkthrough

CODE_RADIUS = 4             # presenter mode shows this many lines either side of the current one


@dataclass(frozen=True)
class Frame:
    stop: Stop
    revealed: bool          # a predict stop's second frame

    @property
    def shown(self) -> Run:
        """The run the frame shows: a poll waits in the state before its step."""
        return self.stop.before if self.stop.predict and not self.revealed else self.stop.run


def frames(w: Walkthrough) -> list[Frame]:
    out = []
    for s in w.stops:
        out.append(Frame(s, False))
        if s.predict:
            out.append(Frame(s, True))
    return out


@dataclass(frozen=True)
class StopEntry:
    key: str
    title: str
    href: str
    current: bool
    poll: bool


@dataclass(frozen=True)
class ChapterEntry:
    number: int
    title: str
    intro: str
    scenario: str
    variant: str
    coming: str
    stops: list[StopEntry]


@dataclass(frozen=True)
class WalkthroughCard:
    id: str
    title: str
    summary: str
    minutes: int
    stops: int
    href: str
    start_href: str
    present_href: str
    handout_href: str
    chapters: list[ChapterEntry]


def chapters(w: Walkthrough, current: Stop | None = None) -> list[ChapterEntry]:
    return [ChapterEntry(c.number, c.spec.title, c.spec.intro, c.spec.scenario, c.spec.variant, c.spec.coming,
                         [StopEntry(s.key, s.spec.title, links.stop_href(s), s is current, s.predict is not None)
                          for s in c.stops]) for c in w.chapters]


def card(w: Walkthrough) -> WalkthroughCard:
    first = w.stops[0]
    return WalkthroughCard(w.id, w.spec.title, w.spec.summary, w.spec.minutes, len(w.stops), links.walkthrough_href(w),
                           links.stop_href(first), links.stop_href(first, present=True), links.handout_href(w),
                           chapters(w))


@dataclass(frozen=True)
class Choice:
    id: str
    text: str
    right: bool


@dataclass(frozen=True)
class Poll:
    query: str
    thread: str
    choices: list[Choice]
    run: str                # the stop's directives when it runs more than one step of the thread, else ""
    revealed: bool
    reveal: str             # the answer in a sentence, with what the step did
    reveal_href: str
    poll_href: str


@dataclass(frozen=True)
class Summary:
    """One line of presenter mode's side column."""

    label: str
    text: str
    changed: bool = False


@dataclass(frozen=True)
class StopPage:
    walkthrough_id: str
    walkthrough_title: str
    chapter: int
    chapter_title: str
    key: str
    title: str
    narration: str
    notes: str
    took: str
    panel: str
    changed: list[str]          # the panels whose state the stop changed
    fact: str
    fact_href: str
    position: int               # frame number, from 1
    total: int
    percent: int
    href: str                   # this frame in the player
    present_href: str           # this frame in presenter mode
    notes_href: str
    embed_href: str
    contents_href: str
    handout_href: str
    prev_href: str
    prev_title: str
    next_href: str
    next_title: str
    prev_notes: str
    next_notes: str
    poll: Poll | None
    chapters: list[ChapterEntry]
    scenario: str
    variant: str
    sync: str                   # what the presenter and notes windows agree on: "w1/2.13" or "w1/2.13/reveal"

    @property
    def telling(self) -> bool:
        """Whether the narration may be shown: not while a poll waits, since it gives the answer away."""
        return self.poll is None or self.poll.revealed

    @property
    def caption(self) -> str:
        """What the caption says: the narration, or while a poll waits, that it comes with the answer."""
        return self.narration if self.telling else "Vote first: the story of this stop comes with the answer."


def changed_panels(before: State, after: State) -> list[str]:
    """The panels whose part of the state differs between the two states."""
    tests = {"threads": before.threads != after.threads, "locks": before.locks != after.locks,
             "space": before.mm != after.mm, "slab": before.slab != after.slab,
             "tables": (before.pmd_tables, before.pte_tables, before.pages) != (after.pmd_tables, after.pte_tables, after.pages),
             "report": after.violation is not None and before.violation is None}
    return [name for name, differs in tests.items() if differs]


def _frame_href(f: Frame, present: bool) -> str:
    return links.stop_href(f.stop, reveal=f.revealed, present=present)


def _frame_title(f: Frame) -> str:
    if f.revealed:
        return f"{f.stop.key}: the answer"
    return f"{f.stop.key}: {f.stop.spec.title}" + (" (a question)" if f.stop.predict else "")


def _poll(f: Frame, present: bool) -> Poll | None:
    p = f.stop.predict
    if p is None:
        return None
    run = "" if f.stop.took == p.thread else f.stop.spec.run
    return Poll(str(p.query), p.thread, [Choice(c.id, c.text, c.id == p.answer) for c in p.choices], run, f.revealed,
                p.reveal, links.stop_href(f.stop, reveal=True, present=present),
                links.stop_href(f.stop, present=present))


def stop_page(w: Walkthrough, stop: Stop, revealed: bool, present: bool) -> StopPage:
    seq = frames(w)
    at = next(i for i, f in enumerate(seq) if f.stop is stop and f.revealed == (revealed and stop.predict is not None))
    f = seq[at]
    prev, nxt = (seq[at - 1] if at else None), (seq[at + 1] if at + 1 < len(seq) else None)
    chapter = w.chapters[stop.chapter - 1]
    shown = f.shown
    return StopPage(
        w.id, w.spec.title, stop.chapter, chapter.spec.title, stop.key, stop.spec.title, stop.spec.narration,
        stop.spec.notes, stop.took if (revealed or not stop.predict) else "", stop.spec.panel,
        changed_panels(stop.before.final, shown.final), stop.spec.fact, links.guide_href("model", stop.spec.fact),
        at + 1, len(seq), round(100 * (at + 1) / len(seq)), _frame_href(f, False), _frame_href(f, True),
        links.notes_href(stop, reveal=f.revealed), links.embed_stop_href(stop, reveal=f.revealed),
        links.walkthrough_href(w), links.handout_href(w),
        _frame_href(prev, present) if prev else "", _frame_title(prev) if prev else "",
        _frame_href(nxt, present) if nxt else "", _frame_title(nxt) if nxt else "",
        links.notes_href(prev.stop, reveal=prev.revealed) if prev else "",
        links.notes_href(nxt.stop, reveal=nxt.revealed) if nxt else "",
        _poll(f, present), chapters(w, stop), stop.scenario.id, stop.variant,
        f"{w.id}/{stop.key}" + ("/reveal" if f.revealed else ""))


def stop_player(page: StopPage, stop: Stop, revealed: bool) -> Player:
    """The player at the frame's state, its "changed" marks for everything the stop changed."""
    run = stop.run if revealed or stop.predict is None else stop.before
    p = views.player(stop.scenario, stop.variant, run)
    changed = set(page.changed)
    return dataclasses.replace(
        p, title=f"{page.walkthrough_title} · {stop.key} {stop.spec.title}", locks_changed="locks" in changed,
        slab_changed="slab" in changed, tables_changed="tables" in changed,
        space=dataclasses.replace(p.space, changed="space" in changed))


# -- presenter mode ---------------------------------------------------------------------------
@dataclass(frozen=True)
class CodeWindow:
    thread: ThreadView
    function: str
    lines: list[CodeLine]
    locals: list


def code_windows(player: Player, stop: Stop, radius: int = CODE_RADIUS) -> list[CodeWindow]:
    """The code around the current line of each thread the stop ran (every unfinished
    thread when it ran none), for presenter mode's threads panel."""
    ran = set(stop.steps)
    out = []
    for t in player.threads:
        if not t.frames or (ran and t.tid not in ran) or (not ran and t.status == "done"):
            continue
        f = t.frames[0]
        at = next((n for n, line in enumerate(f.code) if line.current), 0)
        lo = max(0, min(at - radius, len(f.code) - 2 * radius - 1))
        out.append(CodeWindow(t, f.function, f.code[lo:lo + 2 * radius + 1], f.locals))
    return out


def summaries(player: Player, changed: list[str]) -> list[Summary]:
    """Presenter mode's side column: each thread, each lock, each VMA and the slab in a line."""
    out = [Summary(f"{t.tid} {t.name}", t.status_text, t.changed) for t in player.threads]
    out += [Summary(lk.name, lk.holders + (f"; queue {', '.join(lk.queue)}" if lk.queue else ""), lk.changed)
            for lk in player.locks]
    out += [Summary(c.range, f"{c.kind}, object {c.obj_addr} gen {c.gen}", c.changed) for c in player.space.cards]
    if "slab" in changed:
        out.append(Summary("freelist", player.freelist, True))
    return out
