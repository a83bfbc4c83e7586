"""Claim 9: the write lock across the pmd conversion is what lets a page fault walk ptes
under mmap_sem read without pmd_lock (scenario fault-needs-write).  Under the what-if
v4.8-collapse-under-read a fault fills the pmd khugepaged cleared and khugepaged hits its own
BUG_ON; under v4.8 the same fault waits, and so does every later fault.  Each "this can
happen" has its "this never happens" twin."""

from __future__ import annotations

import pytest

import engine
from engine import fixes
from engine.checks import reach
from engine.directives import compile_run, next_is
from engine.kernel.locks import MMAP_SEM, pmd_lock
from engine.kernel.pgtable import TABLE, Pmd
from engine.kernel.rwsem import READ, WAIT, WRITE
from engine.state import BLOCKED, DONE, RUNNABLE
from engine.variants import BASELINE, diff, variant, with_checks
from engine.programs.khugepaged import ALL_CHECKS

WHAT_IF = "v4.8-collapse-under-read"
X = 0x7f3a4a000000
B_ADDR = X + 0x2000
ISOLATE = "__collapse_huge_page_isolate"


@pytest.fixture(scope="module")
def scenario() -> engine.Scenario:
    return engine.catalog()["fault-needs-write"]


def directives(state: engine.State, text: str) -> engine.State:
    """The curriculum's run-until directives from ``state`` (engine.directives)."""
    return compile_run(engine.Run((), (state,)), text).final


def pmd_at(state: engine.State, addr: int) -> Pmd:
    return next(t for t in state.pmd_tables if t.live and t.base <= addr < t.base + (1 << 30)).entry(addr)


def _pmd_lock(state: engine.State) -> engine.kernel.locks.LockId:
    return pmd_lock(next(t for t in state.pmd_tables if t.live).pfn)


# -- the what-if: a fault runs between pmdp_collapse_flush and set_pmd_at ---------------------
def test_under_the_what_if_a_fault_fills_the_cleared_pmd_and_khugepaged_hits_its_bug_on(scenario):
    start = scenario.initial(WHAT_IF)
    table_t = pmd_at(start, X).target
    state = directives(start, f"K>{ISOLATE}")
    assert pmd_at(state, X) == Pmd()                      # no page table at X for a moment
    assert state.thread("K").top.get("_pmd") == table_t   # T lives only in K's _pmd
    assert state.lock(MMAP_SEM).readers == ("K",)          # K kept mmap_sem for read
    state = directives(state, "B")
    assert set(state.lock(MMAP_SEM).readers) == {"B", "K"}
    state = directives(state, "B$")
    t2 = pmd_at(state, X)
    assert t2.kind == TABLE and t2.target != table_t and state.read_user(B_ADDR) == "B's data"
    final = directives(state, "K$")
    v = final.violation
    assert (v.kind, v.thread, v.check) == ("bug-on", "K", fixes.WRITE_FOR_COLLAPSE)
    assert "BUG_ON(!pmd_none(*pmd))" in v.report and "RIP: collapse_huge_page" in v.report
    assert next_is(final, "K", "set_pmd_at")
    huge = final.page(final.thread("K").top.get("new_page"))
    assert huge.at(X) == "hello" and huge.at(B_ADDR) is None        # K copied T, without B's page


def test_under_v48_the_same_fault_is_blocked_between_the_flush_and_set_pmd_at(scenario):
    state = directives(scenario.initial(BASELINE), f"K>{ISOLATE}")
    assert pmd_at(state, X) == Pmd() and state.lock(MMAP_SEM).writer == "K"
    state = directives(state, "B")
    assert state.thread("B").status == BLOCKED and state.thread("B").waiting == (MMAP_SEM, READ)
    assert "B" not in engine.enabled(state)
    final = directives(state, "K$ B$")
    assert final.violation is None and final.thread("K").result == "SCAN_SUCCEED"
    assert pmd_at(final, X).kind == "huge"


def test_under_the_what_if_the_flush_is_not_itself_reported_the_harm_is(scenario):
    state = directives(scenario.initial(WHAT_IF), f"K>{ISOLATE}")
    assert state.violation is None
    texts = [e.text for s in engine.replay(scenario.initial(WHAT_IF), ("K",) * 27).states for e in s.last]
    assert any("holding mmap_sem only for read" in t for t in texts)
    final = directives(state, "K$")        # alone, the what-if collapses fine
    assert final.violation is None and final.thread("K").result == "SCAN_SUCCEED"


# -- the fault path: a none pmd is filled under mmap_sem read; a table is walked without pmd_lock --
def test_a_fault_installs_a_pte_table_into_a_none_pmd_holding_only_mmap_sem_read(scenario):
    state = directives(scenario.initial(WHAT_IF), f"K>{ISOLATE} B4")
    assert next_is(state, "B", "__pte_alloc") and pmd_at(state, X) == Pmd()
    state = directives(state, "B")
    assert state.lock(MMAP_SEM).holds("B") == READ and state.lock(_pmd_lock(state)) is None
    assert pmd_at(state, X).kind == TABLE


def test_a_fault_whose_pmd_lock_khugepaged_holds_waits_and_then_rechecks_the_pmd(scenario):
    state = directives(scenario.initial(WHAT_IF), "K>spin_unlock B5")    # K holds pmd_lock, the pmd is none
    lock = _pmd_lock(state)
    assert state.lock(lock).writer == "K"
    assert state.thread("B").status == BLOCKED and state.thread("B").waiting == (lock, WAIT)
    assert pmd_at(state, X) == Pmd()
    state = directives(state, "K")                    # spin_unlock(pmd_ptl) wakes B on the same line
    assert state.thread("B").status == RUNNABLE and next_is(state, "B", "__pte_alloc")
    state = directives(state, "B")
    assert pmd_at(state, X).kind == TABLE


def test_under_v48_a_fault_on_a_pmd_that_points_to_a_table_never_meets_a_pmd_lock(scenario):
    run = engine.replay(scenario.initial(BASELINE), ("B",) * 8)
    assert run.final.thread("B").status == DONE and run.final.read_user(B_ADDR) == "B's data"
    assert not any("pmd_lock" in e.text for s in run.states for e in s.last)
    assert all(s.lock(_pmd_lock(s)) is None for s in run.states)


def test_under_the_what_if_a_fault_that_saw_the_table_writes_through_the_cleared_pmd(scenario):
    state = directives(scenario.initial(WHAT_IF), "B6")
    assert next_is(state, "B", "pte_offset_map_lock") and pmd_at(state, X).kind == TABLE
    final = directives(state, "K27 B")
    v = final.violation
    assert (v.kind, v.thread, v.check) == ("pgtable-corruption", "B", fixes.WRITE_FOR_COLLAPSE)
    assert "physical page 0" in v.message


def test_under_v48_a_fault_that_saw_the_table_finishes_before_khugepaged_converts_it(scenario):
    state = directives(scenario.initial(BASELINE), "B6 K>down_write K")
    assert state.thread("K").status == BLOCKED and state.thread("K").waiting == (MMAP_SEM, WRITE)
    final = directives(state, "B$ K$")
    assert final.violation is None and final.thread("K").result == "SCAN_SUCCEED"
    huge = final.page(pmd_at(final, X).target)
    assert huge.at(B_ADDR) == "B's data"      # K rechecked the pmd and collapsed B's page with the others


# -- stop 11: every new fault waits while khugepaged waits for or holds mmap_sem (write) ------------
def test_under_v48_a_second_fault_queues_behind_khugepaged_s_down_write(scenario):
    state = directives(scenario.initial(BASELINE), "B K>down_write K")
    assert state.thread("K").waiting == (MMAP_SEM, WRITE) and state.lock(MMAP_SEM).readers == ("B",)
    state = directives(state, "D")
    assert state.thread("D").waiting == (MMAP_SEM, READ)     # only a reader holds it, yet D waits
    assert [t for t, _ in state.lock(MMAP_SEM).queue] == ["K", "D"]
    state = directives(state, "B$")
    assert state.lock(MMAP_SEM).writer == "K" and state.thread("D").status == BLOCKED
    final = directives(state, "K$ D$")
    assert final.violation is None and final.thread("D").status == DONE


def test_under_v48_a_fault_waits_while_khugepaged_holds_mmap_sem_for_write(scenario):
    state = directives(scenario.initial(BASELINE), f"K>{ISOLATE} D")
    assert state.thread("D").status == BLOCKED and state.thread("D").waiting == (MMAP_SEM, READ)


def test_under_the_what_if_the_second_fault_runs_beside_khugepaged(scenario):
    state = directives(scenario.initial(WHAT_IF), f"K>{ISOLATE} D$")
    assert state.violation is None and state.thread("D").status == DONE


# -- the variant and the declarations ----------------------------------------------------------
def test_the_what_if_differs_from_v48_by_the_lock_around_the_conversion_only():
    changes = diff(BASELINE, WHAT_IF)
    assert [(c.function, c.old, c.new) for c in changes] == [
        ("collapse_huge_page", ("up_read(&mm->mmap_sem);", "down_write(&mm->mmap_sem);"),
         ("/* what-if: keep mmap_sem for read across the conversion */",)),
        ("collapse_huge_page", ("out: up_write(&mm->mmap_sem);",), ("out: up_read(&mm->mmap_sem);",)),
    ]
    v = variant(WHAT_IF)
    assert "what-if" in v.title.lower() and "not a kernel that existed" in v.summary.lower()
    assert v.checks is None and not v.is_ablation and with_checks(ALL_CHECKS).id == BASELINE


def test_every_variant_reaches_exactly_what_the_scenario_declares(scenario):
    for vid in scenario.variant_ids:
        found = reach(scenario, vid)
        assert found.is_complete and found.keys == frozenset(scenario.spec.expect[vid]), vid
    assert scenario.spec.expect[BASELINE] == {} and set(scenario.spec.expect) == set(scenario.variant_ids)


def test_the_walkthrough_reference_reaches_the_bug_on(scenario):
    final = directives(scenario.initial(WHAT_IF), f"K>{ISOLATE} B$ K$")
    assert final.violation.kind == "bug-on" and engine.format_schedule(_schedule(scenario, final)) == "K29B8K8"


def _schedule(scenario: engine.Scenario, final: engine.State) -> tuple[str, ...]:
    """The schedule of the reference directives, rebuilt step by step for its canonical text."""
    state, out = scenario.initial(WHAT_IF), []
    for d, n in (("K", 29), ("B", 8), ("K", 8)):
        for _ in range(n):
            state = engine.step(state, d)
            out.append(d)
    assert state == final
    return tuple(out)


def test_under_the_what_if_a_fault_wholly_before_the_flush_is_collapsed_with_the_rest(scenario):
    final = directives(scenario.initial(WHAT_IF), "B$ K$")
    assert final.violation is None and final.thread("K").result == "SCAN_SUCCEED"
    assert final.page(pmd_at(final, X).target).at(B_ADDR) == "B's data"
