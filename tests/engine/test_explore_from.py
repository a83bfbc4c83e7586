"""Searching from a state: the prefix is fixed, answers run from step 0."""

import pytest

import engine
from engine.explore import EngineModel, count_preemptions, explore, explore_from, parse_goal

V1 = "v1-pointer-check"


@pytest.fixture(scope="module")
def start():
    return engine.catalog()["realloc-file"].initial(V1)


def test_from_step_zero_is_the_plain_search(start):
    assert explore_from(start, (), parse_goal("null-deref")) == explore(EngineModel(start), parse_goal("null-deref"))


@pytest.mark.parametrize("prefix", ["K16", "K16A10", "C2", "C2K"])
def test_an_answer_starts_with_the_prefix_and_replays_from_step_zero(start, prefix):
    tids = engine.parse_schedule(prefix)
    found = explore_from(start, tids, parse_goal("null-deref"))
    assert found.verdict == "violation" and found.schedule[:len(tids)] == tids
    final = engine.replay(start, found.schedule).final
    assert final.violation.kind == "null-deref" and final.violation.step == len(found.schedule)
    assert found.preemptions == count_preemptions(EngineModel(start), found.schedule)
    assert found.shortest_steps >= explore(EngineModel(start), parse_goal("null-deref")).shortest_steps


def test_leaving_the_thread_that_ran_last_counts_as_a_preemption(start):
    after_c = engine.replay(start, ("C",)).final
    assert "C" in engine.enabled(after_c)
    assert explore(EngineModel.from_state(after_c, ("C",)), parse_goal("null-deref")).preemptions == 1
    fresh = explore(EngineModel(after_c), parse_goal("null-deref"))
    assert fresh.preemptions == 0 and fresh.schedule[0] == "K"


def test_a_prefix_can_make_the_goal_unreachable(start):
    assert explore(EngineModel(start), parse_goal("null-deref")).is_found
    gone = explore_from(start, ("A",), parse_goal("null-deref"))
    assert gone.verdict == "goal-unreachable" and gone.schedule == ()


def test_a_prefix_that_cannot_run_names_its_step(start):
    with pytest.raises(engine.ScheduleError, match="step 1: there is no thread Z"):
        explore_from(start, ("Z",), parse_goal("any"))


def test_a_prefix_that_reaches_the_goal_is_its_own_answer(start):
    tids = engine.parse_schedule("K16A10C2K9")
    found = explore_from(start, tids, parse_goal("null-deref"))
    assert found.schedule == tids and found.preemptions == 0
