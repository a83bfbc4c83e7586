"""Replaying schedules for the web, with a bounded cache of states by schedule prefix.

The server keeps no per-user state: every request names scenario, variant and schedule,
and the run is replayed.  States are cached by (scenario, digest, variant, prefix), so a
request one step longer than a cached one costs about one engine step.  The cache is an
LRU bounded by a number of states; states share structure, so each entry is small.
"""

from __future__ import annotations

from dataclasses import dataclass

import engine
from app.lru import Lru
from engine import Run, Scenario, State
from engine.align import Alignment, translate
from engine.directives import RUN_PATTERN, compile_run, is_directives

RUN_TO_LIMIT = 200
MODES = ("lock", "block", "end")


class ReplayCache:
    """An LRU of states keyed by schedule prefix; safe to share between threads."""

    def __init__(self, max_states: int = 20_000) -> None:
        self.max_states = max_states
        self._states = Lru(max_states)

    def __len__(self) -> int:
        return len(self._states)

    def _get(self, key: tuple[str, str, str, str]) -> State | None:
        return self._states.get(key)

    def _put(self, key: tuple[str, str, str, str], state: State) -> None:
        self._states.put(key, state)

    def replay(self, scenario: Scenario, variant_id: str, tids: tuple[str, ...]) -> Run:
        """engine.replay, served from the cache where it can; raises the same errors, and
        a bad step's error carries the valid run, so nothing is replayed twice."""
        engine.variant(variant_id)
        expanded = "".join(tids)
        base = (scenario.id, scenario.digest, variant_id)
        states: list[State] = []
        for n in range(len(tids) + 1):
            state = self._get(base + (expanded[:n],))
            if state is None:
                break
            states.append(state)
        if not states:
            states.append(scenario.initial(variant_id))
            self._put(base + ("",), states[0])
        known = len(states) - 1
        try:
            run = engine.extend(Run(tuple(tids[:known]), tuple(states)), tuple(tids[known:]))
        except engine.ScheduleError as e:
            self._keep(base, e.valid, known)
            raise
        self._keep(base, run, known)
        return run

    def keep(self, scenario: Scenario, variant_id: str, run: Run) -> Run:
        """Cache the states of ``run``, replayed elsewhere (directives compile by stepping),
        so the next request one step longer costs one step; returns ``run``."""
        self._keep((scenario.id, scenario.digest, variant_id), run, 0)
        return run

    def _keep(self, base: tuple[str, str, str], run: Run, known: int) -> None:
        expanded = "".join(run.schedule)
        for n in range(known + 1, len(run.states)):
            self._put(base + (expanded[:n],), run.states[n])


def run_to(state: State, tid: str, mode: str, limit: int = RUN_TO_LIMIT) -> tuple[str, ...]:
    """The steps that run thread ``tid`` from ``state``: to its next lock operation
    (``lock``, that operation included), until it blocks or finishes (``block``), or the
    whole run to its end picking the lowest enabled thread id each step (``end``)."""
    added: list[str] = []
    while len(added) < limit:
        can = engine.enabled(state)
        if mode == "end":
            if not can:
                break
            pick = can[0]
        else:
            if tid not in can:
                break
            pick = tid
        was_lock_op = state.thread(pick).at_lock_op
        state = engine.step(state, pick)
        added.append(pick)
        if mode == "lock" and was_lock_op:
            break
    return tuple(added)


MAX_RUN_CHARS = 4000
RUN_SCHEMA = {"pattern": RUN_PATTERN}     # a run's query, described; the parsers say what is wrong in a sentence


class RunError(Exception):
    """A schedule the web cannot show as asked: the message, and the run it can show."""

    def __init__(self, message: str, shown: Run, step: int = 0, enabled: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.shown = shown
        self.step = step
        self.enabled = enabled


def load_run(cache: ReplayCache, scenario: Scenario, variant_id: str, text: str) -> Run:
    """Parse and replay ``text``, a schedule or run-until directives (engine.directives);
    a bad one raises RunError carrying the longest valid prefix: the empty run for a syntax
    error (step 0), the replay up to the step where it stops otherwise (an over-long
    schedule stops at step MAX_STEPS + 1)."""
    if len(text) > MAX_RUN_CHARS:
        raise RunError(f"the schedule is longer than {MAX_RUN_CHARS} characters",
                       cache.replay(scenario, variant_id, ()))
    if is_directives(text):
        start = cache.replay(scenario, variant_id, ())
        try:
            return cache.keep(scenario, variant_id, compile_run(start, text))
        except engine.ScheduleError as e:
            raise RunError(str(e), e.valid or start, e.step, e.enabled) from None
    try:
        tids = engine.parse_schedule(text, max_steps=engine.MAX_STEPS)
    except engine.ScheduleError as e:
        if not e.step:
            raise RunError(str(e), cache.replay(scenario, variant_id, ())) from None
        head = load_run(cache, scenario, variant_id, e.prefix)      # too long: how far it replays
        raise RunError(str(e), head, e.step, engine.enabled(head.final)) from None
    try:
        return cache.replay(scenario, variant_id, tids)
    except engine.ScheduleError as e:
        raise RunError(str(e), e.valid, e.step, e.enabled) from None


@dataclass(frozen=True)
class Aligned:
    """A schedule compared on two variants: which side it leads on (``a`` where it replays
    there, else ``b``), the interleaving carried to the other side (engine.align), and, when
    it replays on neither, why not on ``a`` (whose longest valid prefix then leads)."""

    lead: str
    alignment: Alignment
    error: RunError | None = None
    problem: str = ""                   # the error as the page says it ("" when the schedule replays)

    def run(self, side: str) -> Run:
        return self.alignment.source if side == self.lead else self.alignment.target


def aligned(cache: ReplayCache, scenario: Scenario, a: str, b: str, text: str) -> Aligned:
    """Replay ``text`` on the first of ``a``, ``b`` where it replays, and carry its
    interleaving to the other; on neither, ``a``'s longest valid prefix leads."""
    errors: list[RunError] = []
    for lead, vid, other in (("a", a, b), ("b", b, a)):
        try:
            source = load_run(cache, scenario, vid, text)
        except RunError as e:
            errors.append(e)
            continue
        return Aligned(lead, _carry(cache, scenario, source, other))
    e = errors[0]
    where = f"at step {e.step}" if e.step else "from the start"
    return Aligned("a", _carry(cache, scenario, e.shown, b), e,
                   f"The schedule replays on neither variant; on {a} it stops being valid {where}: {e}.")


def _carry(cache: ReplayCache, scenario: Scenario, source: Run, other: str) -> Alignment:
    alignment = translate(source, cache.replay(scenario, other, ()).final)
    cache.keep(scenario, other, alignment.target)
    return alignment
