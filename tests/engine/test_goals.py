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


# -- returned(FUNC)=CODE -------------------------------------------------------------------
def test_a_functions_return_is_a_goal_and_another_function_returning_it_is_not(scenarios):
    """munmap-reuse-above: the revalidation returns SCAN_ADDRESS_RANGE (find_vma gives the
    VMA above, after A's mmap) and SCAN_VMA_NULL (between A's munmap and mmap); do_swap_page
    never returns a SCAN_* code."""
    reached = _explore(scenarios, "munmap-reuse-above", "v4.8", "returned(hugepage_vma_revalidate)=SCAN_ADDRESS_RANGE")
    assert reached.verdict == "goal-reached"
    final = scenarios["munmap-reuse-above"].initial("v4.8")
    import engine
    last = engine.replay(final, reached.schedule).final
    assert ("hugepage_vma_revalidate", "SCAN_ADDRESS_RANGE") in last.return_codes
    assert _explore(scenarios, "munmap-reuse-above", "v4.8",
                    "returned(hugepage_vma_revalidate)=SCAN_VMA_NULL").verdict == "goal-reached"
    assert _explore(scenarios, "munmap-reuse-above", "v4.8",
                    "returned(do_swap_page)=SCAN_VMA_NULL").verdict == "goal-unreachable"


def test_do_swap_page_asking_for_a_retry_is_a_goal(scenarios):
    assert _explore(scenarios, "swapin-retry-pmd", "v4.8", "returned(do_swap_page)=VM_FAULT_RETRY").verdict == "goal-reached"


def test_a_function_no_thread_runs_is_an_error(scenarios):
    with pytest.raises(GoalError, match="no thread of exit under v4.8 runs do_swap_pagex; its functions are"):
        check_goal(parse_goal("returned(do_swap_pagex)=0"), scenarios["exit"].initial("v4.8"), "exit under v4.8")


# -- final(PATH)=VALUE ---------------------------------------------------------------------
def test_a_new_vma_collapsed_correctly_is_a_state_goal(scenarios):
    """realloc-anon under v4.8: K may collapse the new VMA (object generation 2) into a
    huge pmd; a collapse that succeeded while the old VMA is still mapped leaves its pmd
    huge, never empty."""
    goal = "result(K)=SCAN_SUCCEED & final(vma_at(X).gen)=2 & final(pmd[X])=huge"
    found = _explore(scenarios, "realloc-anon", "v4.8", goal)
    assert found.verdict == "goal-reached" and found.violation is None
    assert _explore(scenarios, "realloc-anon", "v4.8",
                    "result(K)=SCAN_SUCCEED & final(vma_at(X).gen)=1 & final(pmd[X])=none").verdict == "goal-unreachable"


def test_a_file_vma_never_gets_a_huge_pmd_and_an_anonymous_one_can(scenarios):
    assert _explore(scenarios, "realloc-file", "v4.8", "final(pmd[X])=huge & final(vma_at(X).file)=NULL").verdict == "goal-reached"
    assert _explore(scenarios, "madvise-nohugepage", "v4.8",
                    "final(pmd[X])=huge & final(vma_at(X).end)=0").verdict == "goal-unreachable"


def test_find_vma_and_vma_at_differ_after_the_range_is_unmapped(scenarios):
    """find_vma answers the first VMA ending above X, vma_at the one containing X."""
    goal = "final(vma_at(X))=NULL & final(find_vma(X).start)=0x7f3a4a400000"
    found = _explore(scenarios, "munmap-reuse-above", "v4.8", goal)
    assert found.verdict == "goal-reached" and str(parse_goal(goal)).endswith("start)=0x7f3a4a400000")


def test_the_mm_counters_are_facts(scenarios):
    assert _explore(scenarios, "exit", "v4.8", "final(mm.users)=0").verdict == "goal-reached"
    assert _explore(scenarios, "realloc-file", "v4.8", "final(mm.users)=0").verdict == "goal-unreachable"


@pytest.mark.parametrize("text, words", [
    ("final(pmd[X])=hugee", "a pmd holds none, table, huge"),
    ("final(vma_at(X).color)=1", "a VMA's fields are gen, start"),
    ("final(pmd[Y])=huge", "is not a state path"),
    ("final(pmd[X])", "write final(…)=VALUE"),
    ("result(K)=0 & any", "combine with &"),
    ("result(K)=0 & result(A)=0", "only one result"),
    ("returned(Foo)=0", "is not a kernel function name"),
])
def test_a_malformed_state_goal_says_what_is_wrong(text, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        parse_goal(text)


def test_x_needs_a_khugepaged_thread(scenarios):
    with pytest.raises(GoalError, match="has no khugepaged thread"):
        check_goal(parse_goal("final(pmd[X])=huge"), scenarios["rwsem-basics"].initial("v4.8"), "rwsem-basics")
    check_goal(parse_goal("final(mm.users)=1"), scenarios["rwsem-basics"].initial("v4.8"), "rwsem-basics")
