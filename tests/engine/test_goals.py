"""Goals the explorer can see: every revalidation's return, mm_find_pmd's answer, every
thread's final result; and goals no program can produce are errors, never proofs."""

from __future__ import annotations

import pytest

from engine.errors import GoalError
from engine.explore import EngineModel, check_goal, explore, parse_goal


def _explore(scenarios, sid, variant, goal):
    start = scenarios[sid].initial(variant)
    check_goal(parse_goal(goal), start, f"{sid} under {variant}")
    return explore(EngineModel(start), parse_goal(goal))


def test_a_collapse_that_succeeds_is_a_goal_a_search_can_reach(scenarios):
    found = _explore(scenarios, "realloc-anon", "v4.8", "SCAN_SUCCEED")
    assert found.verdict == "goal-reached"
    assert _explore(scenarios, "realloc-anon", "v4.8", "result:K=SCAN_SUCCEED").verdict == "goal-reached"


def test_a_final_scan_fail_is_reached_and_so_is_a_revalidation_code(scenarios):
    assert _explore(scenarios, "realloc-file", "v4.8", "SCAN_FAIL").verdict == "goal-reached"
    assert _explore(scenarios, "realloc-file", "v4.8", "SCAN_VMA_CHECK").verdict == "goal-reached"


def test_mm_find_pmd_finding_no_pmd_is_a_goal(scenarios):
    # a huge fault (pmd-became-huge) or a freed table (swapin-retry-pmd) leaves no pte table
    assert _explore(scenarios, "pmd-became-huge", "v4.8", "SCAN_PMD_NULL").verdict == "goal-reached"
    assert _explore(scenarios, "swapin-retry-pmd", "v4.8", "SCAN_PMD_NULL").verdict == "goal-reached"
    assert _explore(scenarios, "realloc-file", "v4.8", "SCAN_PMD_NULL").verdict == "goal-unreachable"


def test_a_result_goal_needs_the_thread_done_with_that_result_and_no_violation(scenarios):
    # nothing in realloc-file exits, so khugepaged never ends with SCAN_ANY_PROCESS
    assert _explore(scenarios, "realloc-file", "v4.8", "result:K=SCAN_ANY_PROCESS").verdict == "goal-unreachable"
    assert _explore(scenarios, "exit", "v4.8", "result:K=SCAN_ANY_PROCESS").verdict == "goal-reached"
    assert _explore(scenarios, "realloc-file", "v4.8", "result:A=0").verdict == "goal-reached"


@pytest.mark.parametrize("goal, message", [
    ("SCAN_EXCEED_NONE_PTE", "no thread of realloc-file under v4.8 can return SCAN_EXCEED_NONE_PTE"),
    ("result:B=0", "realloc-file under v4.8 has no thread B"),
    ("result:K=SCAN_LACK_REFERENCED_PAGE", "can return SCAN_LACK_REFERENCED_PAGE"),
])
def test_a_goal_no_program_can_produce_is_an_error_not_a_proof(scenarios, goal, message):
    with pytest.raises(GoalError, match=message):
        check_goal(parse_goal(goal), scenarios["realloc-file"].initial("v4.8"), "realloc-file under v4.8")


def test_a_check_a_variant_lacks_cannot_be_asked_for(scenarios):
    start = scenarios["exit"].initial("v4.8-no-exit-test")
    with pytest.raises(GoalError, match="can return SCAN_ANY_PROCESS"):
        check_goal(parse_goal("SCAN_ANY_PROCESS"), start, "exit under v4.8-no-exit-test")
    check_goal(parse_goal("SCAN_ANY_PROCESS"), scenarios["exit"].initial("v4.8"), "exit under v4.8")


@pytest.mark.parametrize("text", ["result:K", "result:K=", "result:Z=0", "result:=0"])
def test_a_malformed_result_goal_says_how_to_write_one(text):
    with pytest.raises(ValueError, match="result"):
        parse_goal(text)


def test_a_result_goal_keeps_its_text(scenarios):
    assert str(parse_goal("result:K=SCAN_SUCCEED")) == "result:K=SCAN_SUCCEED"
    assert parse_goal("result:A=-12").result == -12
