"""khugepaged's pass: the trylock steps aside, the next pass collapses (scan-trylock)."""

import pytest

import engine
from engine.explore import EngineModel, explore, parse_goal
from engine.kernel.locks import MMAP_SEM

V48 = "v4.8"


@pytest.fixture(scope="module")
def scan():
    return engine.catalog()["scan-trylock"]


def run(scenario, schedule, variant=V48):
    return engine.replay(scenario.initial(variant), engine.parse_schedule(schedule)).final


def test_a_queued_writer_makes_the_trylock_fail_and_khugepaged_does_not_queue(scan):
    state = run(scan, "B2AK")              # B holds read, A waits to write, K trylocks
    k = state.thread("K")
    assert k.status == "runnable" and k.frames[-1].get("result") == "skipped: mmap_sem contended"
    assert [h for h in state.lock(MMAP_SEM).holders()] == ["B"]
    assert "fails, A waits in the queue" in " ".join(e.text for e in state.last)


def test_with_only_a_reader_the_trylock_succeeds(scan):
    state = run(scan, "B2K")               # no writer queued: readers share
    assert state.lock(MMAP_SEM).readers == ("B", "K")


def to_end(state, tid):
    while tid in engine.enabled(state):
        state = engine.step(state, tid)
    return state


def test_the_next_pass_takes_the_lock_and_enters_collapse_holding_read(scan):
    state = run(scan, "B2AK2")            # pass 1 skipped; K is back at the trylock
    assert state.thread("K").frames[-1].program.labels["khugepaged_scan_mm_slot"] == state.thread("K").frames[-1].pc
    state = to_end(to_end(state, "B"), "A")
    assert state.thread("A").status == state.thread("B").status == "done"
    k = engine.replay(state, ("K",) * 6).final
    assert [f.program.function for f in k.thread("K").frames] == [
        "khugepaged_do_scan", "khugepaged_scan_pmd", "collapse_huge_page"]
    assert k.lock(MMAP_SEM).readers == ("K",) and k.thread("K").frames[-1].pc == 0


def test_khugepaged_skips_the_mm_on_both_passes_when_it_stays_contended(scan):
    state = run(scan, "B2AK4")
    assert state.thread("K").status == "done"
    assert state.thread("K").result == "skipped: mmap_sem contended"


def test_the_scan_collapses_the_range_when_the_mm_is_quiet(scan):
    found = explore(EngineModel(scan.initial(V48)), parse_goal("result(K)=SCAN_SUCCEED & final(pmd[X])=huge"))
    assert found.verdict == "goal-reached" and found.preemptions == 0 and found.schedule[0] == "K"


def test_the_pte_count_can_make_the_scan_give_up_before_collapse(scan, tmp_path):
    path = tmp_path / "sparse.toml"
    path.write_text(scan.path.read_text().replace('fault_huge = "fails"', 'fault_huge = "fails"\nmax_ptes_none = 0'))
    sparse = engine.load(path)
    state = engine.replay(sparse.initial(V48), ("K",) * 8).final
    assert state.thread("K").status == "done" and state.thread("K").result == "SCAN_EXCEED_NONE_PTE"
    assert state.lock(MMAP_SEM) is None


@pytest.mark.parametrize("variant", ["v1-pointer-check", "v4.8-rc-stale-vma", V48])
def test_every_variant_runs_its_own_collapse_from_the_scan(scan, variant):
    scan_program = engine.variant(variant).program("khugepaged_do_scan")
    assert engine.variant(variant).program("collapse_huge_page") in scan_program.closure()
