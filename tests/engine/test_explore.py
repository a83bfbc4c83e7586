"""The explorer on toy models small enough to count by hand.

Counter: threads each add one to x; racy (read, write) or under a lock (lock, read,
write, unlock); a lost update is a violation. StaleCheck: the shortest use-after-free
needs two preemptions, a longer one only one. Revalidate: a revalidation returns a
SCAN_* code, and the key leaves the code out, as the protocol allows. Grid: independent
threads, many interleavings of one outcome. LeakedLock: a preemption that leads only where
a schedule without one also goes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from engine.explore import (
    Goal, _least_preemptive, bfs, count_preemptions, explore, fewest_preemptions, parse_goal,
    reachable_violations,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


class Toy:
    """What the toy models share: a state is its own key; no violation, no scan code;
    the search starts at step 0."""

    ran_last = ""

    def key(self, s):
        return s

    def violation(self, s) -> None:
        return None

    def scan_results(self, s) -> tuple[str, ...]:
        return ()


@dataclass(frozen=True)
class Fault:
    kind: str
    object: str | None = None


@dataclass(frozen=True)
class CounterState:
    x: int
    pcs: tuple[int, ...]
    reads: tuple[int, ...]
    holder: str = ""


@dataclass(frozen=True)
class Counter(Toy):
    """Each thread runs x = x + 1; "lost-data" when all are done and x is short."""

    threads: tuple[str, ...] = ("A", "B")
    locked: bool = False

    @property
    def program(self) -> tuple[str, ...]:
        return ("lock", "read", "write", "unlock") if self.locked else ("read", "write")

    def initial(self) -> CounterState:
        zeros = (0,) * len(self.threads)
        return CounterState(0, zeros, zeros)

    def enabled(self, s: CounterState) -> tuple[str, ...]:
        if self.violation(s):
            return ()
        return tuple(t for i, t in enumerate(self.threads) if s.pcs[i] < len(self.program)
                     and not (self.program[s.pcs[i]] == "lock" and s.holder))

    def step(self, s: CounterState, tid: str) -> CounterState:
        i = self.threads.index(tid)
        line = self.program[s.pcs[i]]
        pcs = s.pcs[:i] + (s.pcs[i] + 1,) + s.pcs[i + 1:]
        s = replace(s, pcs=pcs)
        if line == "read":
            return replace(s, reads=s.reads[:i] + (s.x,) + s.reads[i + 1:])
        if line == "write":
            return replace(s, x=s.reads[i] + 1)
        return replace(s, holder=tid if line == "lock" else "")

    def violation(self, s: CounterState) -> Fault | None:
        done = all(pc == len(self.program) for pc in s.pcs)
        return Fault("lost-data") if done and s.x != len(self.threads) else None


@dataclass(frozen=True)
class StaleState:
    a: int = 0
    b: int = 0
    dropped: bool = False
    y: int = 0
    fault: Fault | None = None


class StaleCheck(Toy):
    """A: drop mmap_sem, then check y and use the vma (a use-after-free if y == 1).
    B waits for the drop, then sets y to 1, 2, 1. A B A is shortest (2 preemptions);
    A B B B A lets B finish first, so leaving it is free (1 preemption)."""

    def initial(self) -> StaleState:
        return StaleState()

    def enabled(self, s: StaleState) -> tuple[str, ...]:
        if s.fault:
            return ()
        return ("A",) * (s.a < 2) + ("B",) * (s.b < 3 and s.dropped)

    def step(self, s: StaleState, tid: str) -> StaleState:
        if tid == "B":
            return replace(s, b=s.b + 1, y=(1, 2, 1)[s.b])
        if s.a == 0:
            return replace(s, a=1, dropped=True)
        return replace(s, a=2, fault=Fault("use-after-free", "vm_area_struct") if s.y == 1
                       else None)

    def violation(self, s: StaleState) -> Fault | None:
        return s.fault


@dataclass(frozen=True)
class RevalidateState:
    k: int = 0
    m: int = 0
    vma_ok: bool = True
    scan: tuple[str, ...] = ()


class Revalidate(Toy):
    """K revalidates once; M unmaps the range, then maps it again. The key leaves out
    ``scan``: it is the past, and equal keys still have equal futures."""

    def initial(self) -> RevalidateState:
        return RevalidateState()

    def enabled(self, s: RevalidateState) -> tuple[str, ...]:
        return ("K",) * (s.k < 1) + ("M",) * (s.m < 2)

    def step(self, s: RevalidateState, tid: str) -> RevalidateState:
        if tid == "K":
            code = "SCAN_SUCCEED" if s.vma_ok else "SCAN_ADDRESS_RANGE"
            return replace(s, k=1, scan=(code,))
        return replace(s, m=s.m + 1, vma_ok=s.m == 1, scan=())

    def key(self, s: RevalidateState) -> tuple[int, int, bool]:
        return (s.k, s.m, s.vma_ok)

    def scan_results(self, s: RevalidateState) -> tuple[str, ...]:
        return s.scan


@dataclass(frozen=True)
class Grid(Toy):
    """Independent threads, each counting to ``length``: no races, many interleavings."""

    threads: tuple[str, ...] = ("A", "B")
    length: int = 8

    def initial(self) -> tuple[int, ...]:
        return (0,) * len(self.threads)

    def enabled(self, s: tuple[int, ...]) -> tuple[str, ...]:
        return tuple(t for t, pc in zip(self.threads, s) if pc < self.length)

    def step(self, s: tuple[int, ...], tid: str) -> tuple[int, ...]:
        i = self.threads.index(tid)
        return s[:i] + (s[i] + 1,) + s[i + 1:]


@dataclass(frozen=True)
class LeakedState:
    x: int = 0
    y_holds: bool = False
    scan: tuple[str, ...] = ()


class LeakedLock(Toy):
    """Y takes a lock and exits holding it, reporting SCAN_FAIL if it finds X half-way;
    X runs a step, then takes the lock. Y cutting in after X's first step is a
    preemption, but the state it leads to (X blocked, Y done) is also reached without
    one: Y first, then X. The key leaves the scan code out."""

    def initial(self) -> LeakedState:
        return LeakedState()

    def enabled(self, s: LeakedState) -> tuple[str, ...]:
        x_can_run = s.x == 0 or (s.x == 1 and not s.y_holds)
        return ("X",) * x_can_run + ("Y",) * (s.x < 2 and not s.y_holds)

    def step(self, s: LeakedState, tid: str) -> LeakedState:
        if tid == "X":
            return replace(s, x=s.x + 1, scan=())
        return replace(s, y_holds=True, scan=("SCAN_FAIL",) * (s.x == 1))

    def key(self, s: LeakedState) -> tuple[int, bool]:
        return (s.x, s.y_holds)

    def scan_results(self, s: LeakedState) -> tuple[str, ...]:
        return s.scan


def replay(model, schedule):
    state = model.initial()
    for tid in schedule:
        assert tid in model.enabled(state)
        state = model.step(state, tid)
    return state


def clock(*answers: bool):
    """An out_of_time that gives ``answers`` in turn, then True."""
    remaining = iter(answers)
    return lambda: next(remaining, True)


def determinism_report() -> str:
    """Every search on a three-thread race, as text to compare across processes."""
    model = Counter(threads=("A", "B", "C"))
    return repr([explore(model, Goal()), bfs(model, Goal(), max_states=1000),
                 reachable_violations(model, max_states=1000),
                 explore(Counter(("A", "B", "C"), locked=True), Goal())])


def test_bfs_finds_shortest_lost_update_schedule():
    found = bfs(Counter(), Goal(), max_states=100)
    assert (found.verdict, found.schedule, found.violation) == (
        "violation", ("A", "B", "A", "B"), Fault("lost-data"))
    assert (found.states, found.transitions, found.depth) == (12, 12, 4)
    assert (found.preemptions, found.shortest_steps, found.bound) == (2, 4, None)
    assert Counter().violation(replay(Counter(), found.schedule)) == Fault("lost-data")


def test_lost_update_space_has_13_states_and_14_transitions():
    covered = bfs(Counter(), Goal(kind="deadlock"), max_states=100)
    assert (covered.verdict, covered.states, covered.transitions, covered.depth) == (
        "goal-unreachable", 13, 14, 4)
    assert reachable_violations(Counter(), max_states=100) == (
        True, {"lost-data": ("A", "B", "A", "B")})


def test_fewest_preemptions_lets_the_reader_finish_before_the_lost_write():
    found = fewest_preemptions(Counter(), Goal(), max_states=100)
    assert (found.verdict, found.schedule, found.preemptions, found.shortest_steps) == (
        "violation", ("A", "B", "B", "A"), 1, 4)
    assert explore(Counter(), Goal()) == found


def test_fewest_preemptions_takes_a_longer_schedule_when_it_preempts_less():
    model = StaleCheck()
    shortest = bfs(model, Goal(), max_states=100)
    assert (shortest.schedule, shortest.preemptions) == (("A", "B", "A"), 2)
    fewest = fewest_preemptions(model, Goal(), max_states=100)
    assert (fewest.verdict, fewest.schedule, fewest.preemptions, fewest.shortest_steps) == (
        "violation", ("A", "B", "B", "B", "A"), 1, 3)
    assert fewest.violation == Fault("use-after-free", "vm_area_struct")
    assert explore(model, Goal()) == fewest
    for result in (shortest, fewest):
        assert model.violation(replay(model, result.schedule)) == result.violation
        assert count_preemptions(model, result.schedule) == result.preemptions


def test_locked_counter_is_proved_safe_with_exact_counts():
    proof = explore(Counter(locked=True), Goal())
    assert proof == bfs(Counter(locked=True), Goal(), max_states=100)
    assert (proof.verdict, proof.schedule, proof.bound, proof.preemptions) == (
        "safe", (), None, None)
    assert (proof.states, proof.transitions, proof.depth) == (17, 16, 8)
    assert reachable_violations(Counter(locked=True), max_states=100) == (True, {})


def test_preemption_search_proves_safety_when_no_switch_is_cut():
    proof = fewest_preemptions(Counter(locked=True), Goal(), max_states=100,
                               max_preemptions=0)
    assert (proof.verdict, proof.bound, proof.states) == ("safe", None, 17)


def test_preemption_bound_that_cuts_only_covered_pairs_still_proves_safety():
    proof = fewest_preemptions(LeakedLock(), Goal(), max_states=100, max_preemptions=0)
    assert (proof.verdict, proof.bound, proof.states, proof.transitions) == ("safe", None, 5, 5)


def test_preemption_bound_that_cuts_the_goal_step_is_incomplete_even_into_covered_pairs():
    goal = Goal(scan="SCAN_FAIL")
    stopped = fewest_preemptions(LeakedLock(), goal, max_states=100, max_preemptions=0)
    assert (stopped.verdict, stopped.bound, stopped.shortest_steps) == (
        "incomplete", "max-preemptions", 2)
    found = fewest_preemptions(LeakedLock(), goal, max_states=100, max_preemptions=1)
    assert (found.verdict, found.schedule, found.preemptions) == ("goal-reached", ("X", "Y"), 1)


def test_preemption_search_steps_each_state_and_last_thread_pair_once():
    covered = bfs(Grid(), Goal(), max_states=1000)
    assert (covered.verdict, covered.states, covered.transitions, covered.depth) == (
        "safe", 81, 144, 16)
    proof = fewest_preemptions(Grid(), Goal(), max_states=1000)
    assert (proof.verdict, proof.states) == ("safe", 81)
    assert proof.transitions <= 3 * covered.transitions  # last thread: A, B or none


def is_reached(model, goal, state) -> bool:
    if goal.scan:
        return goal.scan in model.scan_results(state)
    found = model.violation(state)
    return found is not None and goal.is_met_by(found)


def every_schedule(model, goal):
    """Every schedule that reaches ``goal``, by brute force (no deduplication)."""
    found, stack = [], [((), model.initial())]
    while stack:
        schedule, state = stack.pop()
        for tid in model.enabled(state):
            successor = model.step(state, tid)
            if is_reached(model, goal, successor):
                found.append(schedule + (tid,))
            else:
                stack.append((schedule + (tid,), successor))
    return found


@pytest.mark.parametrize("model, goal", [
    (Counter(), Goal()), (Counter(("A", "B", "C")), Goal()), (StaleCheck(), Goal()),
    (Revalidate(), Goal(scan="SCAN_ADDRESS_RANGE")), (Revalidate(), Goal(scan="SCAN_SUCCEED")),
    (LeakedLock(), Goal(scan="SCAN_FAIL")),
])
def test_searches_agree_with_brute_force_and_their_schedules_replay(model, goal):
    schedules = every_schedule(model, goal)
    shortest = min(schedules, key=lambda s: (len(s), s))
    fewest = min(schedules, key=lambda s: (count_preemptions(model, s), len(s), s))
    results = [bfs(model, goal, max_states=1000),
               fewest_preemptions(model, goal, max_states=1000), explore(model, goal)]
    assert [r.schedule for r in results] == [shortest, fewest, fewest]
    assert {r.shortest_steps for r in results} == {len(shortest)}
    for result in results:
        assert is_reached(model, goal, replay(model, result.schedule))
        assert result.preemptions == count_preemptions(model, result.schedule)


def test_goal_with_kind_and_object_matches_only_that_object():
    model = StaleCheck()
    assert explore(model, parse_goal("use-after-free:vm_area_struct")).schedule == (
        "A", "B", "B", "B", "A")
    for text in ("use-after-free:mm_struct", "null-deref"):
        assert explore(model, parse_goal(text)).verdict == "goal-unreachable"
    assert reachable_violations(model, max_states=100) == (True, {
        "use-after-free": ("A", "B", "A"),
        "use-after-free:vm_area_struct": ("A", "B", "A")})


def test_scan_goal_is_reached_by_a_step_into_an_already_visited_key():
    goal = parse_goal("SCAN_ADDRESS_RANGE")
    found = bfs(Revalidate(), goal, max_states=100)
    assert (found.verdict, found.schedule, found.states, found.transitions) == (
        "goal-reached", ("M", "K"), 4, 4)
    assert (found.preemptions, found.shortest_steps) == (1, 2)
    fewest = explore(Revalidate(), goal)
    assert (fewest.verdict, fewest.schedule, fewest.preemptions) == ("goal-reached", ("M", "K"), 1)
    assert "SCAN_ADDRESS_RANGE" in Revalidate().scan_results(replay(Revalidate(), ("M", "K")))


def test_scan_goal_no_step_returns_is_unreachable():
    proof = explore(Revalidate(), parse_goal("SCAN_PMD_NULL"))
    assert (proof.verdict, proof.states, proof.transitions, proof.depth) == (
        "goal-unreachable", 6, 7, 3)


@pytest.mark.parametrize("search", [bfs, fewest_preemptions, explore])
def test_max_states_stops_a_search_as_incomplete(search):
    stopped = search(Counter(), Goal(), max_states=3)
    passes = 2 if search is explore else 1     # explore's preemption pass runs after its BFS; counts add up
    assert (stopped.verdict, stopped.bound, stopped.states, stopped.schedule) == (
        "incomplete", "max-states", 3 * passes, ())


@pytest.mark.parametrize("search", [bfs, fewest_preemptions, explore])
def test_out_of_time_stops_a_search_before_its_first_step(search):
    stopped = search(Counter(), Goal(), max_states=100, out_of_time=lambda: True)
    passes = 2 if search is explore else 1
    assert (stopped.verdict, stopped.bound, stopped.states, stopped.transitions) == (
        "incomplete", "time", passes, 0)


@pytest.mark.parametrize("search", [fewest_preemptions, explore])
def test_a_search_that_runs_two_passes_counts_the_work_of_both(search):
    found = search(Counter(), Goal(), max_states=100)
    shortest = bfs(Counter(), Goal(), max_states=100)
    fewest = _least_preemptive(Counter(), Goal(), 100, None, lambda: False)
    assert found.is_found
    assert (found.states, found.transitions) == (shortest.states + fewest.states,
                                                 shortest.transitions + fewest.transitions)


def test_out_of_time_is_asked_again_while_the_search_runs():
    stopped = bfs(Grid(("A",), 1000), Goal(), max_states=2000, out_of_time=clock(False))
    assert (stopped.verdict, stopped.bound) == ("incomplete", "time")
    assert 1 < stopped.states < 1001
    assert bfs(Grid(("A",), 1000), Goal(), max_states=2000).states == 1001


def test_reachable_violations_reports_an_incomplete_cover():
    assert reachable_violations(Counter(), max_states=3) == (False, {})


def test_max_preemptions_below_every_counterexample_is_incomplete():
    stopped = fewest_preemptions(Counter(), Goal(), max_states=100, max_preemptions=0)
    assert (stopped.verdict, stopped.bound, stopped.schedule, stopped.shortest_steps) == (
        "incomplete", "max-preemptions", (), 4)
    assert explore(Counter(), Goal(), max_preemptions=0) == stopped
    within = fewest_preemptions(Counter(), Goal(), max_states=100, max_preemptions=1)
    assert within.schedule == ("A", "B", "B", "A")


def test_explore_keeps_the_shortest_schedule_when_time_ends_the_preemption_search():
    found = explore(Counter(), Goal(), out_of_time=clock(False))
    assert (found.verdict, found.schedule, found.preemptions, found.bound) == (
        "violation", ("A", "B", "A", "B"), 2, "time")
    assert found.shortest_steps == 4


@pytest.mark.parametrize("text, goal", [
    ("any", Goal()),
    ("null-deref", Goal(kind="null-deref")),
    ("use-after-free:vm_area_struct", Goal(kind="use-after-free", object="vm_area_struct")),
    ("SCAN_ADDRESS_RANGE", Goal(scan="SCAN_ADDRESS_RANGE")),
])
def test_parse_goal_reads_canonical_text_and_gives_it_back(text, goal):
    assert parse_goal(text) == goal
    assert str(goal) == text


@pytest.mark.parametrize("text, reason", [
    ("", "unknown violation kind"),
    ("nul-deref", "unknown violation kind"),
    ("use-after-free:slab", "unknown object 'slab'"),
    ("null-deref:", "unknown object ''"),
    ("scan_address_range", "unknown violation kind"),
    ("SCAN_", "is not a scan code"),
    ("SCANNER", "is not a scan code"),
    ("any:vm_area_struct", "unknown violation kind 'any'"),
])
def test_parse_goal_rejects_bad_text_with_a_sentence_naming_it(text, reason):
    with pytest.raises(ValueError) as error:
        parse_goal(text)
    assert f"The goal {text!r} is not valid" in str(error.value)
    assert reason in str(error.value)


def test_count_preemptions_charges_only_switches_from_a_thread_that_could_continue():
    assert [count_preemptions(Counter(), s) for s in ("", "AABB", "ABBA", "BAAB", "ABAB")] == [
        0, 0, 1, 1, 2]
    assert count_preemptions(StaleCheck(), "ABBBA") == 1  # B is done: leaving it is free
    assert count_preemptions(StaleCheck(), "ABA") == 2
    with pytest.raises(ValueError, match="step 1 runs 'B', which is not enabled"):
        count_preemptions(StaleCheck(), "B")


def test_results_are_identical_across_runs_and_hash_seeds():
    expected = determinism_report()
    assert determinism_report() == expected
    for seed in ("0", "123"):
        env = {**os.environ, "PYTHONHASHSEED": seed,
               "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)])}
        run = subprocess.run(
            [sys.executable, "-c", "import test_explore; print(test_explore.determinism_report())"],
            env=env, cwd=ROOT, capture_output=True, text=True, check=True)
        assert run.stdout == expected + "\n"
