"""split_huge_page against khugepaged's collapse (scenario split-vs-collapse, claim 10).

The split takes the page lock and the anon_vma lock, finds the pmd through the rmap and never
asks for mmap_sem: khugepaged's mmap_sem write hold does not stop it, its anon_vma write hold
does.  Every rule has its "can happen" twin.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import engine
from engine.errors import ScenarioError
from engine.explore import EngineModel, explore, parse_goal
from engine.kernel.locks import MMAP_SEM, anon_vma_lock, pmd_lock
from engine.kernel.pgtable import HUGE, TABLE
from engine.kernel.rwsem import WRITE
from tests.conftest import run, with_threads

X = 0x7f3a4a000000
THP = X + 0x200000
SID = "split-vs-collapse"


@pytest.fixture
def start(scenarios) -> engine.State:
    return scenarios[SID].initial("v4.8")


def _until(state: engine.State, tid: str, done) -> engine.State:
    """Step ``tid`` until ``done(state)``."""
    while not done(state):
        state = engine.step(state, tid)
    return state


def _holds(state: engine.State, lock, tid: str, mode: str | None = None) -> bool:
    lk = state.lock(lock)
    held = lk.holds(tid) if lk else None
    return held is not None and (mode is None or held == mode)


def _k_holds_anon_vma(state: engine.State) -> bool:
    return _holds(state, anon_vma_lock(1), "K", WRITE)


def _to_done(state: engine.State, tid: str) -> engine.State:
    return _until(state, tid, lambda s: s.thread(tid).status == "done")


def _every_state(scenario: engine.Scenario, variant: str):
    start = scenario.initial(variant)
    seen, todo = {start}, [start]
    while todo:
        state = todo.pop()
        yield state
        for tid in engine.enabled(state):
            nxt = engine.step(state, tid)
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)


def _pmd(state: engine.State, addr: int):
    (table,) = [t for t in state.pmd_tables if t.live]
    return table.entry(addr)


def test_split_blocks_on_the_anon_vma_lock_while_khugepaged_holds_it(start):
    state = _until(start, "K", _k_holds_anon_vma)
    assert _holds(state, MMAP_SEM, "K", WRITE)
    state = run(state, "SS")    # lock_page; page_get_anon_vma + anon_vma_lock_write
    assert state.thread("S").status == "blocked"
    assert state.thread("S").waiting == (anon_vma_lock(1), WRITE)
    assert engine.waiting_for(state, "S") == "anon_vma 1 (write): held by K (write)"


def test_split_runs_straight_through_while_khugepaged_holds_mmap_sem_for_write(start):
    state = _until(start, "K", lambda s: _holds(s, MMAP_SEM, "K", WRITE))
    assert not _holds(state, anon_vma_lock(1), "K")
    state = _to_done(state, "S")
    assert state.thread("S").result == 0 and _pmd(state, THP).kind == TABLE
    assert _holds(state, MMAP_SEM, "K", WRITE)


def test_anon_vma_unlock_write_after_isolation_is_the_step_that_lets_split_run(start):
    state = run(_until(start, "K", _k_holds_anon_vma), "SS")
    while state.thread("S").status == "blocked":
        line = state.thread("K").top.line
        state = engine.step(state, "K")
    assert line == "anon_vma_unlock_write(vma->anon_vma);"
    assert state.thread("K").top.line.startswith("__collapse_huge_page_copy")
    assert _holds(state, anon_vma_lock(1), "S", WRITE) and state.thread("S").status == "runnable"


def test_khugepaged_blocks_on_the_anon_vma_lock_while_split_holds_it(start):
    state = run(start, "SS")
    state = _until(state, "K", lambda s: s.thread("K").status == "blocked")
    assert state.thread("K").waiting == (anon_vma_lock(1), WRITE)
    assert _holds(state, MMAP_SEM, "K", WRITE) and _holds(state, anon_vma_lock(1), "S", WRITE)


def test_split_never_takes_mmap_sem_in_any_schedule_of_any_variant(scenarios):
    for variant in scenarios[SID].variant_ids:
        touched = set()
        for state in _every_state(scenarios[SID], variant):
            mmap_sem = state.lock(MMAP_SEM)
            assert mmap_sem is None or ("S" not in mmap_sem.holders() and
                                        all(t != "S" for t, _ in mmap_sem.queue)), variant
            touched |= {lk.name for lk in state.locks if "S" in lk.holders()}
        assert touched == {"anon_vma 1", "page 0x12a001 (PG_locked)", "pmd_lock 0x3b100"}, variant


def test_khugepaged_can_wait_for_the_pmd_lock_split_holds_because_both_pmds_share_one_table(scenarios):
    found = [s for s in _every_state(scenarios[SID], "v4.8")
             if s.thread("K").waiting == (pmd_lock(0x3B100), WRITE) and _holds(s, pmd_lock(0x3B100), "S")]
    assert found and all(not _holds(s, anon_vma_lock(1), "K") for s in found)


def test_the_pmd_split_makes_a_pte_table_that_maps_the_same_data(start):
    state = run(start, "SSSSS")    # up to and including pmd_lock
    assert _pmd(state, THP).kind == HUGE and state.read_user(THP) == "thp"
    state = run(state, "S")
    entry = _pmd(state, THP)
    assert entry.kind == TABLE and state.read_user(THP) == "thp"
    table = next(t for t in state.pte_tables if t.pfn == entry.target)
    assert table.counts() == {"present": 512, "swap": 0, "none": 0, "young": 512, "writable": 512}
    assert table.pte(THP).page == 0x12A001
    state = _to_done(state, "S")
    assert state.read_user(THP) == "thp" and not state.page(0x12A001).huge
    assert state.lock(pmd_lock(0x3B100)) is None and state.lock(anon_vma_lock(1)) is None


def test_collapse_and_split_both_finish_in_either_order(start):
    k_first = _to_done(_to_done(start, "K"), "S")
    s_first = _to_done(_to_done(start, "S"), "K")
    for state in (k_first, s_first):
        assert state.violation is None
        assert (state.thread("K").result, state.thread("S").result) == ("SCAN_SUCCEED", 0)
        assert _pmd(state, X).kind == HUGE and _pmd(state, THP).kind == TABLE
        assert state.read_user(X) == "hello" and state.read_user(THP) == "thp"


MUNMAP = '''
[[threads]]
id = "A"
name = "munmap the huge page"
program = "vm_munmap"
args = { start = 0x7f3a4a200000, len = 0x200000 }
'''


def test_a_split_of_a_page_unmapped_first_gives_ebusy_and_after_the_walk_succeeds(tmp_path):
    scenario = with_threads(tmp_path, SID, MUNMAP)
    unmapped = _to_done(_to_done(run(scenario.initial("v4.8"), "K"), "A"), "S")
    assert unmapped.thread("S").result == -16 and unmapped.thread("S").returns == (-16,)
    results = {s.thread("S").result for s in _every_state(scenario, "v4.8") if s.thread("S").status == "done"}
    assert results == {0, -16}
    assert explore(EngineModel(scenario.initial("v4.8")), parse_goal("any")).verdict == "safe"


def _spec(tmp_path: Path, old: str, new: str) -> Path:
    text = (Path(engine.__file__).parent / "scenarios" / f"{SID}.toml").read_text()
    assert old in text
    path = tmp_path / "split.toml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize("old, new, message", [
    ("address = 0x7f3a4a200000\ndata", "address = 0x7f3a4a201000\ndata", "must be 2 MiB-aligned"),
    ("address = 0x7f3a4a200000\ndata", "address = 0x7f3a4a400000\ndata", "must map 2 MiB inside one vma"),
    ("address = 0x7f3a4a200000\ndata", "address = 0x7f3a4a000000\ndata", "declared twice"),
    ("args = { address = 0x7f3a4a200000 }", "args = { address = 0x7f3a4a000000 }", "no huge pmd maps 0x7f3a4a000000"),
], ids=["misaligned", "outside-the-vma", "also-a-pte-table", "split-without-a-huge-page"])
def test_a_bad_huge_pmd_is_refused_with_a_sentence(tmp_path, old, new, message):
    with pytest.raises(ScenarioError, match=message):
        engine.load(_spec(tmp_path, old, new))


def test_s_names_the_split_thread_in_schedules_and_goals(scenarios):
    assert engine.format_schedule(engine.parse_schedule("KKSS")) == "K2S2"
    found = explore(EngineModel(scenarios[SID].initial("v4.8")), parse_goal("result(S)=0 & final(pmd[X])=huge"))
    assert found.verdict == "goal-reached" and engine.format_schedule(found.schedule) == "S10K38"
