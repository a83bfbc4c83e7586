"""Searches for the web: worker processes, a bound on searches in flight, a time budget,
and a cache of answers.

A search can take seconds, so it runs in a worker process (spawned, two by default) and a
request that steps the player never waits behind one. At most ``max_in_flight`` searches
run or queue at once; one more is refused with :class:`Busy` (the API answers 503 with
Retry-After). The clock lives here, in the worker: the engine gets ``out_of_time`` and
stops within its budget.  A requester that goes away (the page's Cancel aborts the request)
has its search stopped at once, so its slot frees; a worker that never answers is killed
after its budget and a grace period, and nothing waits on it longer.

The cache: a complete answer (no bound cut it) serves every later request for the same
scenario version, variant, goal and preemption bound whose max_states is at least the
states it took; an answer cut by max_states serves the same bounds; one cut by the time
budget is handed out again for ``RECENT_SECONDS`` rather than costing a full budget again.

The 32 searches per scenario behind "why each check" take seconds to tens of seconds, so
they run in the background, in a worker of their own (one job per scenario, started once,
by the first page that asks or at startup): a page shows what is ready and polls for the
rest, and the explorer's own workers stay free for learners.  Finished ones are kept on
disk (app.store), so a restarted server has them at once.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import engine
from app.answers import explore_json
from app.lru import Lru
from app.store import Store
from app.workers import new_pool, stop
from engine.checks import CheckSets, check_sets, has_check_sets
from engine.exercises import Exercise, Part, needed_scenarios, prove_parts, verdict_key
from engine.explore import DEFAULT_MAX_STATES, Exploration, Goal, explore_from

MAX_STATES_LIMIT = 1_000_000
LINKED_MAX_STATES = 50_000     # the most a scenario that came in a link (app.sources) may ask for, and its default
MAX_PREEMPTIONS_LIMIT = 64
BUDGET_SECONDS = 10.0
RETRY_AFTER_SECONDS = 5
GRACE_SECONDS = 5.0          # beyond its budget, how long a request waits for a worker that does not answer
POLL_SECONDS = 0.25          # how often a waiting request looks whether its client is still there
RECENT_SECONDS = 120.0       # how long an answer cut by the time budget is handed out again


class Busy(Exception):
    """Every search slot is taken, or the worker pool had to be restarted; try again."""


class Gone(Exception):
    """The requester went away while its search ran; the search was told to stop."""


@dataclass(frozen=True)
class Bounds:
    """The limits of one search, checked at construction so every Bounds is usable."""

    max_states: int = DEFAULT_MAX_STATES
    max_preemptions: int | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.max_states <= MAX_STATES_LIMIT:
            raise ValueError(f"max_states must be from 1 to {MAX_STATES_LIMIT}, got {self.max_states}")
        if self.max_preemptions is not None and not 0 <= self.max_preemptions <= MAX_PREEMPTIONS_LIMIT:
            raise ValueError(f"max_preemptions must be from 0 to {MAX_PREEMPTIONS_LIMIT}, "
                             f"got {self.max_preemptions}")


def parse_bounds(max_states: str | None, max_preemptions: str | None, *, linked: bool = False) -> Bounds:
    """Bounds from query text ("" or None keeps the default); ValueError names the field.
    A ``linked`` scenario (one that came in a link) is searched to at most
    :data:`LINKED_MAX_STATES`, which is also its default."""
    def number(name: str, text: str | None) -> int | None:
        if text is None or text.strip() == "":
            return None
        if not re.fullmatch(r"[0-9]+", text.strip()):     # not isdigit(): "²" and "１２" pass that
            raise ValueError(f"{name} must be a whole number written with the digits 0-9, got {text!r}")
        return int(text)

    states = number("max_states", max_states)
    if linked and states is not None and states > LINKED_MAX_STATES:
        raise ValueError(f"max_states {states} is more than a scenario from a link may ask for: at most "
                         f"{LINKED_MAX_STATES} states (a scenario the server serves may ask for {MAX_STATES_LIMIT})")
    default = min(DEFAULT_MAX_STATES, LINKED_MAX_STATES) if linked else DEFAULT_MAX_STATES
    return Bounds(default if states is None else states, number("max_preemptions", max_preemptions))


def _deadline(seconds: float) -> Callable[[], bool]:
    end = time.monotonic() + seconds
    return lambda: time.monotonic() > end


@dataclass(frozen=True)
class Search:
    """One validated explore request: what the worker runs and the cache key's parts."""

    scenario: engine.Scenario
    variant: str
    goal: Goal
    bounds: Bounds
    prefix: tuple[str, ...] = ()      # search from the state this schedule reaches

    @property
    def key(self) -> tuple[str, str, str, Goal, Bounds, tuple[str, ...]]:
        return ("explore", self.scenario.digest, self.variant, self.goal, self.bounds, self.prefix)

    @property
    def complete_key(self) -> tuple[str, str, str, Goal, int | None, tuple[str, ...]]:
        """The key of an answer that no bound cut: it holds for every max_states at least the
        states it took, so max_states is not part of it."""
        return ("complete", self.scenario.digest, self.variant, self.goal, self.bounds.max_preemptions, self.prefix)


def explore_job(search: Search, budget: float, cancel: str) -> dict[str, Any]:
    """Run in a worker: the explore JSON for one search, timed by the worker's clock, and
    stopped early when the file ``cancel`` appears (its requester went away)."""
    scenario, variant_id, bounds = search.scenario, search.variant, search.bounds
    started = time.monotonic()
    deadline = _deadline(budget)
    found = explore_from(scenario.initial(variant_id), search.prefix, search.goal,
                         max_states=bounds.max_states, max_preemptions=bounds.max_preemptions,
                         out_of_time=lambda: deadline() or os.path.exists(cancel))
    return explore_json(found, scenario, variant_id, time.monotonic() - started, search.prefix)


def check_sets_job(scenario: engine.Scenario, max_states: int, budget: float) -> CheckSets:
    """Run in the background worker: the 32 check sets of one scenario, each search with
    its own time budget."""
    return check_sets(scenario, max_states=max_states, deadline=lambda: _deadline(budget))


def proof_job(scenario: engine.Scenario, variant_id: str, prefix: tuple[str, ...], goal: Goal,
              budget: float) -> Exploration:
    """Run in the background worker: a prove exercise's search from its starting state (no
    preemption bound: the fewest-preemption answer settles every bound)."""
    return explore_from(scenario.initial(variant_id), prefix, goal, max_states=DEFAULT_MAX_STATES,
                        out_of_time=_deadline(budget))


class Searches:
    """The app's search service: a lazily started spawn-context process pool, the bound on
    searches in flight, and the cache of answers."""

    def __init__(self, *, workers: int = 2, max_in_flight: int = 4, budget: float = BUDGET_SECONDS,
                 cache_size: int = 512, store: Path | None = None) -> None:
        self.workers = workers
        self.max_in_flight = max_in_flight
        self.budget = budget
        self.cache = Lru(cache_size)
        self.recent = Lru(64)          # key -> (when, answer) for answers the time budget cut
        self._cancel_dir = Path(tempfile.mkdtemp(prefix="mmlock-cancel-"))
        self._in_flight = 0
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._background: ProcessPoolExecutor | None = None
        self._jobs: dict[tuple[str, str], Future[Any]] = {}   # (kind, key) -> its running job
        self._answers: dict[tuple[str, str], Any] = {}        # (kind, key) -> answer: check sets, proofs
        self.store = Store(store)                        # the same answers on disk, across restarts

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = new_pool(self.workers)
            return self._pool

    def close(self) -> None:
        """Stop every worker now; what they were computing is dropped."""
        with self._lock:
            pools, self._pool, self._background = (self._pool, self._background), None, None
        for pool in pools:
            if pool is not None:
                stop(pool)
        shutil.rmtree(self._cancel_dir, ignore_errors=True)

    def try_acquire(self) -> None:
        """Take one of the ``max_in_flight`` search slots, or raise Busy."""
        with self._lock:
            if self._in_flight >= self.max_in_flight:
                raise Busy(f"{self._in_flight} searches are already running, the most this server "
                           f"runs at once; try again in {RETRY_AFTER_SECONDS} s")
            self._in_flight += 1

    def release(self) -> None:
        with self._lock:
            self._in_flight -= 1

    async def _run(self, fn: Callable[..., Any], *args: Any,
                   gone: Callable[[], Awaitable[bool]] | None = None) -> Any:
        """Run ``fn(*args, cancel)`` in a worker under one slot, which is freed when the worker
        ends, not when the request does.  While it runs, a requester that is ``gone`` has
        its search told to stop (``cancel`` is a file the worker looks for) and gets
        :class:`Gone`; a worker that has not answered ``GRACE_SECONDS`` after its budget is
        killed with the pool."""
        self.try_acquire()
        cancel = self._cancel_dir / uuid.uuid4().hex
        try:
            future = self._executor().submit(fn, *args, str(cancel))
        except BrokenProcessPool:
            self.release()
            self._reset()
            raise Busy("the search workers were restarted; try again") from None
        future.add_done_callback(lambda _: (self.release(), cancel.unlink(missing_ok=True)))
        waiting = asyncio.wrap_future(future)
        waiting.add_done_callback(lambda f: f.cancelled() or f.exception())   # read, if we stop waiting
        end = time.monotonic() + self.budget + GRACE_SECONDS
        while True:
            try:
                return await asyncio.wait_for(asyncio.shield(waiting), POLL_SECONDS)
            except asyncio.TimeoutError:
                if gone is not None and await gone():
                    cancel.touch()
                    raise Gone() from None
                if time.monotonic() > end:
                    self._reset()
                    raise Busy(f"a search worker did not answer within {self.budget + GRACE_SECONDS:g} s; "
                               "the workers were restarted") from None
            except BrokenProcessPool:
                self._reset()
                raise Busy("a search worker stopped unexpectedly; the workers were restarted, "
                           "try again") from None

    def _reset(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            stop(pool)

    def cached(self, search: Search) -> dict[str, Any] | None:
        """An answer this search would give again: the same search's, a complete one that took
        no more states than this search allows, or one the time budget cut a moment ago."""
        complete = self.cache.get(search.complete_key)
        if complete is not None and complete["states"] <= search.bounds.max_states:
            return complete
        hit = self.cache.get(search.key)
        if hit is not None:
            return hit
        recent = self.recent.get(search.key)
        if recent is not None and time.monotonic() - recent[0] < RECENT_SECONDS:
            return recent[1]
        return None

    async def explore(self, search: Search,
                      gone: Callable[[], Awaitable[bool]] | None = None) -> tuple[dict[str, Any], bool]:
        """The explore JSON and whether it came from the cache; raises Busy when full."""
        hit = self.cached(search)
        if hit is not None:
            return hit, True
        answer = await self._run(explore_job, search, self.budget, gone=gone)
        if answer["bound"] is None:
            self.cache.put(search.complete_key, answer)
        elif answer["bound"] == "time":
            self.recent.put(search.key, (time.monotonic(), answer))
        else:
            self.cache.put(search.key, answer)
        return answer, False

    def check_sets(self, scenario: engine.Scenario) -> CheckSets | None:
        """The 32 check sets of ``scenario`` if they are ready; otherwise None, after
        starting their background job unless it is already running.  Seeded instances
        share seed 0's (engine.seeds: a seed changes nothing a schedule does)."""
        return self._answer("checks", scenario.behaviour, lambda: self.store.get(scenario, DEFAULT_MAX_STATES),
                                lambda value: self.store.put(scenario, DEFAULT_MAX_STATES, value),
                                check_sets_job, scenario, DEFAULT_MAX_STATES, self.budget)

    def prove(self, part: Part) -> Exploration | None:
        """A prove exercise's verdict if it is ready; otherwise None, after starting its job
        (engine.exercises.Verdicts: the grader reads what is ready and never waits)."""
        key = verdict_key(part)
        assert part.scenario is not None and part.goal is not None
        return self._answer("proof", key, lambda: self.store.get_proof(key),
                                lambda value: self.store.put_proof(key, value),
                                proof_job, part.scenario, part.variant, part.prefix, part.goal, self.budget)

    def _answer(self, kind: str, key: str, kept: Callable[[], Any], keep: Callable[[Any], None],
                    fn: Callable[..., Any], *args: Any) -> Any:
        """The answer (kind, key) if it is in memory or on disk (``kept``); otherwise None,
        after submitting ``fn(*args)`` to the background worker unless it is running. A
        finished answer is kept in memory and by ``keep``."""
        name = (kind, key)
        with self._lock:
            done = self._answers.get(name)
            if done is not None or name in self._jobs:
                return done
            found = kept()
            if found is not None:
                self._answers[name] = found
                return found
            job = self._submit_background(fn, *args)
            self._jobs[name] = job
        job.add_done_callback(lambda f: self._job_done(name, f, keep))
        return None

    def _submit_background(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Submit one background job (the caller holds the lock), restarting a broken pool."""
        for _ in range(2):
            if self._background is None:
                self._background = new_pool(1)
            try:
                return self._background.submit(fn, *args)
            except BrokenProcessPool:
                stop(self._background)
                self._background = None
        raise Busy("the background search worker could not be started; try again")

    def _job_done(self, name: tuple[str, str], job: Future[Any], keep: Callable[[Any], None]) -> None:
        """Keep a finished job's answer, in memory and on disk; a job that failed (its worker
        died) is forgotten, so the next page that asks starts it again."""
        with self._lock:
            self._jobs.pop(name, None)
            if job.cancelled() or job.exception() is not None:
                return
            self._answers[name] = job.result()
        keep(job.result())

    def warm(self, scenarios: dict[str, engine.Scenario]) -> None:
        """Start every v4.8-era scenario's check sets, so the why-checks pages are ready when asked;
        of several server processes sharing a store, one does it and the others read its files."""
        if not self.store.claim_warming():
            return
        for s in scenarios.values():
            if has_check_sets(s):
                self.check_sets(s)

    def warm_exercises(self, exercises: dict[str, Exercise]) -> None:
        """Start every verdict the exercises' graders need (prove searches, the check sets
        of fix scenarios), so pressing Check never waits for a search."""
        if not self.store.claim_warming():
            return
        for part in prove_parts(exercises):
            self.prove(part)
        for s in needed_scenarios(exercises).values():
            self.check_sets(s)
