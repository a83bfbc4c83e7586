"""Walkthroughs compiled against the scenarios: every stop's state, from its directives,
and every predict stop's answer, found by taking the stop's steps, resolved when the file
loads."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from engine.directives import compile_run
from engine.errors import ModelError
from engine.exercises import predict
from engine.exercises.predict import Predict
from engine.files import load_folder
from engine.scenario import Scenario
from engine.schedule import Run, format_schedule, replay
from engine.walkthroughs.spec import ChapterSpec, StopSpec, WalkthroughError, WalkthroughSpec, read_spec, stop_line

DATA = Path(__file__).parent / "data"
MAX_POLL_CHOICES = 6     # a class votes by a show of hands: a poll picks its choices beyond this
MODEL_GUIDE = Path(__file__).resolve().parents[2] / "docs" / "model.md"


@dataclass(frozen=True)
class Stop:
    """One stop: ``before`` is the state it opens in (a predict stop's poll), ``run`` the
    state its steps leave, both from step 0 of ``scenario`` under ``variant``."""

    walkthrough: str
    key: str            # "2.13": chapter 2, its 13th stop
    index: int          # its place in the whole walkthrough, from 0
    chapter: int        # from 1
    spec: StopSpec
    scenario: Scenario
    variant: str
    before: Run
    run: Run
    predict: Predict | None = None

    @property
    def steps(self) -> tuple[str, ...]:
        """The threads of the steps this stop takes, in order."""
        return self.run.schedule[len(self.before.schedule):]

    @property
    def took(self) -> str:
        """What the stop runs, canonical: "K3", or "" for a stop that only narrates."""
        return format_schedule(self.steps)


@dataclass(frozen=True)
class Chapter:
    number: int
    spec: ChapterSpec
    stops: tuple[Stop, ...]


@dataclass(frozen=True)
class Walkthrough:
    spec: WalkthroughSpec
    path: Path
    chapters: tuple[Chapter, ...]

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def stops(self) -> tuple[Stop, ...]:
        return tuple(s for c in self.chapters for s in c.stops)

    def stop(self, key: str) -> Stop:
        """The stop ``key`` names ("2.13"); a KeyError with a sentence otherwise."""
        for s in self.stops:
            if s.key == key:
                return s
        ranges = ", ".join(c.stops[0].key + (f"–{c.stops[-1].key}" if len(c.stops) > 1 else "")
                           for c in self.chapters if c.stops)
        raise KeyError(f"Walkthrough {self.id} has no stop {key[:20]!r}; its stops are {ranges}")


def load(path: Path, scenarios: dict[str, Scenario]) -> Walkthrough:
    """Read, validate and compile one walkthrough file against ``scenarios``."""
    spec, text = read_spec(path)
    chapters, index = [], 0
    for number, chapter in enumerate(spec.chapters, 1):
        try:
            stops = _chapter(spec.id, number, chapter, index, scenarios)
        except _Bad as e:
            line = stop_line(text, number - 1, e.stop, e.field)
            at = f" (line {line})" if line else ""
            where = f"chapters.{number - 1}" + (f".stops.{e.stop} (stop {number}.{e.stop + 1})" if e.stop is not None else "")
            raise WalkthroughError(f"{path}: {where}.{e.field}{at}: {e}") from None
        chapters.append(Chapter(number, chapter, stops))
        index += len(stops)
    return Walkthrough(spec, path, tuple(chapters))


def load_dir(folder: Path, scenarios: dict[str, Scenario]) -> dict[str, Walkthrough]:
    """Every ``*.toml`` in ``folder``, by id, in id order (w2 before w10)."""
    return load_folder(folder, lambda path: load(path, scenarios), WalkthroughError,
                       order=lambda p: (len(p.stem), p.stem))


def catalog(scenarios: dict[str, Scenario]) -> dict[str, Walkthrough]:
    return load_dir(DATA, scenarios)


@functools.cache
def model_anchors() -> frozenset[str]:
    """The anchors of docs/model.md a stop's fact may name."""
    return frozenset(re.findall(r'<a id="([a-z0-9-]+)"></a>', MODEL_GUIDE.read_text("utf-8")))


class _Bad(Exception):
    def __init__(self, field: str, message: str, stop: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.stop = stop


def _scenario(scenarios: dict[str, Scenario], sid: str, field: str, stop: int | None) -> Scenario:
    if sid not in scenarios:
        raise _Bad(field, f"no scenario {sid!r}; the scenarios are {', '.join(sorted(scenarios))}", stop)
    return scenarios[sid]


def _start(scenario: Scenario, vid: str, schedule: tuple[str, ...], field: str, stop: int | None) -> Run:
    """``schedule`` replayed on ``scenario`` under ``vid``: the same interleaving, another kernel."""
    try:
        return replay(scenario.initial(vid), schedule)
    except ModelError as e:
        if not schedule:
            raise _Bad(field, str(e), stop) from None
        raise _Bad(field, f"the schedule so far, {format_schedule(schedule)}, does not replay on {scenario.id} "
                          f"under {vid}: {e}", stop) from None


def _chapter(wid: str, number: int, ch: ChapterSpec, index: int, scenarios: dict[str, Scenario]) -> tuple[Stop, ...]:
    if ch.coming:
        return ()
    scenario = _scenario(scenarios, ch.scenario, "scenario", None)
    vid = ch.variant
    run = _start(scenario, vid, (), "variant", None)
    stops = []
    for n, s in enumerate(ch.stops):
        if s.scenario is not None or s.variant is not None:
            scenario = _scenario(scenarios, s.scenario or scenario.id, "scenario", n)
            vid = s.variant or vid
            run = _start(scenario, vid, () if s.restart else run.schedule, "variant" if s.variant else "scenario", n)
        elif s.restart:
            run = _start(scenario, vid, (), "restart", n)
        if s.fact not in model_anchors():
            raise _Bad("fact", f"docs/model.md has no anchor {s.fact!r}", n)
        before = run
        try:
            run = compile_run(before, s.run)
        except ModelError as e:
            raise _Bad("run", str(e), n) from None
        stops.append(Stop(wid, f"{number}.{n + 1}", index + n, number, s, scenario, vid, before, run,
                          _ask(s, before, run, n)))
    return tuple(stops)


def _ask(s: StopSpec, before: Run, after: Run, n: int) -> Predict | None:
    q = s.predict
    if q is None:
        return None
    if q.thread not in {t.tid for t in before.final.threads}:
        raise _Bad("predict", f"thread {q.thread} is not a thread of the scenario", n)
    try:
        asked = predict.ask(q.query, q.thread, before, after, q.choices)
    except ValueError as e:
        raise _Bad("predict", str(e), n) from None
    if len(asked.choices) > MAX_POLL_CHOICES:
        raise _Bad("predict", f"the query offers {len(asked.choices)} choices, too many for a class to vote on; "
                              f"pick at most {MAX_POLL_CHOICES} in choices, from: "
                              f"{', '.join(c.id for c in asked.choices)}", n)
    return asked
