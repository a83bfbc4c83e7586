"""Bounded, deterministic search for a schedule that reaches a goal.

explore() answers "is there a schedule that breaks this variant?": with the counterexample
that has the fewest preemptions (the easiest story for a learner to follow), with a proof
that no schedule reaches the goal within the model, or with "incomplete" and the bound that
stopped the search. It calls nothing but the six methods of :class:`Model`, so the player,
replay and the explorer share one semantics; the time budget is a callable the caller
passes in, because the clock lives outside the engine.

Every returned schedule is the sequence of step() calls that produced the reported state,
so replaying it reproduces the result. Among equally good schedules the one that sorts
first (shortlex over thread ids) wins; with enabled() listing ids in order, every process
gives the same answer. Goals are checked on every transition, also into a state already
visited, because a SCAN_* result belongs to the step that produced a state, not to its key.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, replace
from heapq import heappop, heappush
from typing import Any, Literal, NamedTuple, Protocol, TypeVar

from engine.facts import Fact
from engine.goal import Goal, ViolationLike, check_goal, parse_goal
from engine.model import EngineModel
from engine.schedule import Run, replay
from engine.state import State, enabled

__all__ = ["DEFAULT_MAX_STATES", "EngineModel", "Exploration", "Goal", "Model", "bfs", "check_goal",
           "count_preemptions", "explore", "explore_from", "fewest_preemptions", "parse_goal",
           "reachable_violations"]

Verdict = Literal["violation", "goal-reached", "safe", "goal-unreachable", "incomplete"]
Bound = Literal["max-states", "time", "max-preemptions"]

DEFAULT_MAX_STATES = 200_000
_CLOCK_EVERY = 256  # expansions between two calls of out_of_time

S = TypeVar("S")


class Model(Protocol[S]):
    """The transition system the explorer searches; states are values.

    enabled() lists the thread ids that can step, sorted, and is empty once the run has
    ended (a violation ends it); step() is pure; equal key()s promise identical futures,
    so the search visits one of them; scan_results() are the SCAN_* codes revalidations
    returned in the step that produced the state, return_codes() each function that step
    returned from, with its code; result() and holds() read the state itself.
    ``ran_last`` is the thread that took the step into initial() ("" at step 0): when the
    search starts from a later state, leaving that thread counts as a preemption."""

    ran_last: str

    def initial(self) -> S: ...
    def enabled(self, state: S) -> Sequence[str]: ...
    def step(self, state: S, tid: str) -> S: ...
    def key(self, state: S) -> Hashable: ...
    def violation(self, state: S) -> ViolationLike | None: ...
    def scan_results(self, state: S) -> Sequence[str]: ...
    def result(self, state: S, tid: str) -> tuple[bool, Any]: ...
    def return_codes(self, state: S) -> Sequence[tuple[str, Any]]: ...
    def holds(self, state: S, fact: Fact) -> bool: ...


def _never() -> bool:
    """The default time budget: never out of time (max_states still bounds the search)."""
    return False


@dataclass(frozen=True)
class Exploration:
    """The answer of a search and its evidence.

    ``schedule`` reaches the goal (verdict "violation" or "goal-reached"; () otherwise);
    ``states`` counts distinct keys visited and ``transitions`` step() calls, added up over
    every pass the search ran (explore() runs a BFS and a preemption search), ``depth`` the
    longest schedule to a visited state. ``bound`` names the bound that was hit: with
    "incomplete" it stopped the search before an answer; with a found schedule it stopped
    the preemption minimisation, so ``preemptions`` is that schedule's count, not proven
    fewest. ``shortest_steps`` is the length of the shortest schedule to the goal, if known,
    and ``shortest`` that schedule (shortlex-first among the shortest) when a search found it.
    """

    verdict: Verdict
    goal: Goal
    schedule: tuple[str, ...] = ()
    states: int = 0
    transitions: int = 0
    depth: int = 0
    bound: Bound | None = None
    preemptions: int | None = None
    shortest_steps: int | None = None
    violation: ViolationLike | None = None
    shortest: tuple[str, ...] = ()

    @property
    def is_found(self) -> bool:
        """Whether the search found a schedule that reaches the goal."""
        return self.verdict in ("violation", "goal-reached")


@dataclass(frozen=True, eq=False, slots=True)
class _Trail:
    """A schedule as a chain of steps that shares its prefix with its siblings, so
    extending one costs O(1). Trails order shortlex: shorter first, then by thread ids."""

    parent: _Trail | None
    tid: str
    length: int

    def then(self, tid: str) -> _Trail:
        return _Trail(self, tid, self.length + 1)

    def schedule(self) -> tuple[str, ...]:
        tids: list[str] = []
        trail = self
        while trail.parent is not None:
            tids.append(trail.tid)
            trail = trail.parent
        return tuple(reversed(tids))

    def __lt__(self, other: _Trail) -> bool:
        if self.length != other.length:
            return self.length < other.length
        mine, theirs, first_difference = self, other, False
        while mine is not theirs:  # back to the shared prefix; the last difference seen
            if mine.tid != theirs.tid:  # is the first one in the schedule
                first_difference = mine.tid < theirs.tid
            mine, theirs = mine.parent, theirs.parent
        return first_difference


def _root(model: Model[S]) -> _Trail:
    """The empty schedule, remembering which thread ran into the start state."""
    return _Trail(None, model.ran_last, 0)


@dataclass
class _Tally:
    """How far one search has got; owned by that search and updated as it runs."""

    states: int = 0
    transitions: int = 0
    depth: int = 0
    bound: Bound | None = None

    def add_state(self, trail: _Trail) -> None:
        self.states += 1
        self.depth = max(self.depth, trail.length)


def _is_reached(model: Model[S], goal: Goal, state: S) -> bool:
    if goal.scan is not None:
        return goal.scan in model.scan_results(state)
    if goal.function is not None:
        return (goal.function, goal.returned) in model.return_codes(state)
    if goal.is_state:
        return (model.violation(state) is None
                and (goal.thread is None or model.result(state, goal.thread) == (True, goal.result))
                and all(model.holds(state, f) for f in goal.facts))
    found = model.violation(state)
    return found is not None and goal.is_met_by(found)


def _reached(model: Model[S], goal: Goal, state: S, trail: _Trail, tally: _Tally,
             preemptions: int) -> Exploration:
    return Exploration(
        verdict="violation" if goal.is_violation else "goal-reached", goal=goal,
        schedule=trail.schedule(), states=tally.states, transitions=tally.transitions,
        depth=tally.depth, preemptions=preemptions, violation=model.violation(state))


def _ended(goal: Goal, tally: _Tally) -> Exploration:
    """The result of a search that stopped without reaching the goal."""
    if tally.bound is not None:
        verdict: Verdict = "incomplete"
    else:
        verdict = "safe" if goal.is_any else "goal-unreachable"
    return Exploration(verdict=verdict, goal=goal, states=tally.states,
                       transitions=tally.transitions, depth=tally.depth, bound=tally.bound)


def _resumable(last: str, enabled: Sequence[str]) -> str:
    """The thread that ran last if it could run again, else "": leaving it is a preemption."""
    return last if last in enabled else ""


def count_preemptions(model: Model[S], schedule: Sequence[str]) -> int:
    """How many steps of ``schedule`` switch away from a thread that could have continued.

    Raises ValueError when a step picks a thread that is not enabled."""
    state, last, count = model.initial(), model.ran_last, 0
    for number, tid in enumerate(schedule, start=1):
        enabled = model.enabled(state)
        if tid not in enabled:
            raise ValueError(f"step {number} runs {tid!r}, which is not enabled "
                             f"(enabled: {', '.join(enabled) or 'none'})")
        count += _resumable(last, enabled) not in ("", tid)
        state, last = model.step(state, tid), tid
    return count


def preemptions_along(run: Run) -> int:
    """count_preemptions of a run already replayed: its states say who was enabled."""
    last, count = "", 0
    for state, tid in zip(run.states, run.schedule):
        count += _resumable(last, enabled(state)) not in ("", tid)
        last = tid
    return count


def _breadth_first(model: Model[S], tally: _Tally, max_states: int,
                   out_of_time: Callable[[], bool]) -> Iterator[tuple[S, _Trail]]:
    """Yield the initial state, then the target of every transition in breadth-first order
    with the shortlex-first schedule to it; sets ``tally.bound`` when a bound stops it."""
    start, root = model.initial(), _root(model)
    seen = {model.key(start)}
    tally.add_state(root)
    yield start, root
    queue = deque([(start, root)])
    expansions = 0
    while queue:
        if expansions % _CLOCK_EVERY == 0 and out_of_time():
            tally.bound = "time"
            return
        expansions += 1
        state, trail = queue.popleft()
        for tid in model.enabled(state):
            successor, child = model.step(state, tid), trail.then(tid)
            tally.transitions += 1
            key = model.key(successor)
            is_new = key not in seen
            if is_new:
                if len(seen) >= max_states:
                    tally.bound = "max-states"
                    return
                seen.add(key)
                tally.add_state(child)
            yield successor, child
            if is_new:
                queue.append((successor, child))


def bfs(model: Model[S], goal: Goal, *, max_states: int,
        out_of_time: Callable[[], bool] = _never) -> Exploration:
    """The shortest schedule that reaches ``goal`` (shortlex-first among the shortest), or
    the proof that none exists, or "incomplete" when a bound stops the search first."""
    tally = _Tally()
    for state, trail in _breadth_first(model, tally, max_states, out_of_time):
        if _is_reached(model, goal, state):
            preemptions = count_preemptions(model, trail.schedule())
            found = _reached(model, goal, state, trail, tally, preemptions)
            return replace(found, shortest_steps=trail.length)
    return _ended(goal, tally)


def reachable_violations(model: Model[S], *, max_states: int,
                         out_of_time: Callable[[], bool] = _never,
                         ) -> tuple[bool, dict[str, tuple[str, ...]]]:
    """Whether the whole space was covered, and for each violation kind (and kind:object)
    reached, the shortest schedule to it, keyed in the order first found."""
    tally = _Tally()
    first: dict[str, tuple[str, ...]] = {}
    for state, trail in _breadth_first(model, tally, max_states, out_of_time):
        found = model.violation(state)
        if found is None:
            continue
        names = [found.kind] + ([f"{found.kind}:{found.object}"] if found.object else [])
        for name in names:
            first.setdefault(name, trail.schedule())
    return tally.bound is None, first


class _Entry(NamedTuple):
    """A schedule waiting in the search queue, ordered by (preemptions, trail)."""

    preemptions: int
    trail: _Trail
    state: Any
    is_goal: bool


def _least_preemptive(model: Model[S], goal: Goal, max_states: int,
                      max_preemptions: int | None,
                      out_of_time: Callable[[], bool]) -> Exploration:
    """Dijkstra over (key, last thread if still enabled) with cost (preemptions, trail).

    A step's cost depends only on that pair, and extending two schedules by the same step
    keeps their order, so the first goal transition taken off the queue is the one with
    the fewest preemptions, then fewest steps, then shortlex-first thread ids."""
    tally = _Tally()
    start, root = model.initial(), _root(model)
    seen = {model.key(start)}
    tally.add_state(root)
    if _is_reached(model, goal, start):
        return _reached(model, goal, start, root, tally, 0)
    queue = [_Entry(0, root, start, False)]
    settled: set[tuple[Hashable, str]] = set()
    cut: set[tuple[Hashable, str]] = set()  # pairs reached only beyond max_preemptions
    missed_goal = False
    pops = 0
    while queue:
        if pops % _CLOCK_EVERY == 0 and out_of_time():
            tally.bound = "time"
            return _ended(goal, tally)
        pops += 1
        entry = heappop(queue)
        if entry.is_goal:
            return _reached(model, goal, entry.state, entry.trail, tally, entry.preemptions)
        enabled = model.enabled(entry.state)
        last = _resumable(entry.trail.tid, enabled)
        pair = (model.key(entry.state), last)
        if pair in settled:
            continue
        settled.add(pair)
        for tid in enabled:
            successor = model.step(entry.state, tid)
            tally.transitions += 1
            cost = entry.preemptions + (last not in ("", tid))
            key, is_goal = model.key(successor), _is_reached(model, goal, successor)
            if max_preemptions is not None and cost > max_preemptions:
                missed_goal = missed_goal or is_goal
                cut.add((key, _resumable(tid, model.enabled(successor))))
                continue
            child = entry.trail.then(tid)
            if key not in seen:
                if len(seen) >= max_states:
                    tally.bound = "max-states"
                    return _ended(goal, tally)
                seen.add(key)
                tally.add_state(child)
            heappush(queue, _Entry(cost, child, successor, is_goal))
    if missed_goal or not cut <= settled:
        tally.bound = "max-preemptions"
    return _ended(goal, tally)


def fewest_preemptions(model: Model[S], goal: Goal, *, max_states: int,
                       max_preemptions: int | None = None,
                       out_of_time: Callable[[], bool] = _never) -> Exploration:
    """The schedule reaching ``goal`` with the fewest preemptions, then fewest steps, then
    shortlex-first; ``shortest_steps`` comes from a BFS. With ``max_preemptions``, a goal
    found only beyond it gives "incomplete" with bound "max-preemptions"."""
    fewest = _least_preemptive(model, goal, max_states, max_preemptions, out_of_time)
    if not (fewest.is_found or fewest.bound == "max-preemptions"):
        return fewest
    shortest = bfs(model, goal, max_states=max_states, out_of_time=out_of_time)
    return _both(fewest, shortest, shortest_steps=shortest.shortest_steps, shortest=shortest.schedule)


def _both(answer: Exploration, other: Exploration, **changes: Any) -> Exploration:
    """``answer``, counting the work of both passes that produced it."""
    return replace(answer, states=answer.states + other.states, transitions=answer.transitions + other.transitions,
                   depth=max(answer.depth, other.depth), **changes)


def explore(model: Model[S], goal: Goal, *, max_states: int = DEFAULT_MAX_STATES,
            max_preemptions: int | None = None,
            out_of_time: Callable[[], bool] = _never) -> Exploration:
    """The answer for a learner: the fewest-preemption schedule reaching ``goal`` with the
    length of the shortest one, or the proof (from a complete BFS) that none exists.

    When a bound stops the preemption search after the BFS found a schedule, that shortest
    schedule is returned with its preemption count and the bound that stopped the search."""
    shortest = bfs(model, goal, max_states=max_states, out_of_time=out_of_time)
    if shortest.verdict in ("safe", "goal-unreachable"):
        return shortest
    fewest = _least_preemptive(model, goal, max_states, max_preemptions, out_of_time)
    if shortest.is_found and not fewest.is_found and fewest.bound != "max-preemptions":
        return _both(shortest, fewest, bound=fewest.bound, shortest=shortest.schedule)
    return _both(fewest, shortest, shortest_steps=shortest.shortest_steps, shortest=shortest.schedule)


def explore_from(initial: State, prefix: tuple[str, ...], goal: Goal, **bounds: Any) -> Exploration:
    """explore() from the state ``prefix`` reaches, the prefix fixed: the answer's schedule
    runs from step 0 (so it replays as it is), and its preemptions count the prefix's too.
    A prefix that cannot run is the ScheduleError replay() gives."""
    run = replay(initial, prefix)
    found = explore(EngineModel.from_state(run.final, prefix), goal, **bounds)
    if not prefix:
        return found
    extra = preemptions_along(run)
    return replace(found, schedule=prefix + found.schedule if found.is_found else (),
                   depth=found.depth + len(prefix),
                   preemptions=None if found.preemptions is None else found.preemptions + extra,
                   shortest_steps=None if found.shortest_steps is None else found.shortest_steps + len(prefix),
                   shortest=prefix + found.shortest if found.shortest else ())
