"""mremap's move (MREMAP_MAYMOVE | MREMAP_FIXED, the mremap_to path) and the scenario
mremap-move (C6): a new object while the old vma is live, the page tables at the new
address, the old object freed; v1 reads it, v4.8 gives up."""

from __future__ import annotations

from pathlib import Path

import pytest

import engine
from engine.checks import reach
from engine.errors import ScenarioError
from engine.explore import EngineModel, explore, parse_goal
from engine.facts import read
from engine.kernel.pgtable import SWAP
from engine.kernel.slab import ALLOCATED, FREE
from engine.programs import PATHS
from engine.state import RUNNABLE

X, Y = 0x7f3a4a000000, 0x7f3a8a000000
V1 = "v1-pointer-check"


@pytest.fixture(scope="module")
def move() -> engine.Scenario:
    return engine.catalog()["mremap-move"]


def _to_end(state: engine.State, tid: str) -> engine.State:
    while tid in engine.enabled(state):
        state = engine.step(state, tid)
    return state


def _to_line(state: engine.State, tid: str, text: str) -> engine.State:
    while state.thread(tid).top.line != text:
        state = engine.step(state, tid)
    return state


def _moved(state: engine.State) -> engine.State:
    """K drops mmap_sem before allocating the huge page; A then moves the range alone."""
    return _to_end(engine.step(state, "K"), "A")


def _index(state: engine.State, start: int) -> int:
    return next(i for i in state.mm.vmas if state.slab.get(i).vma.start == start)


def test_copy_vma_gets_another_object_while_the_old_vma_is_live(move):
    state = engine.step(move.initial("v4.8"), "K")
    old = _index(state, X)
    state = _to_line(state, "A", "moved_len = move_page_tables(vma, old_addr, new_vma, new_addr, old_len, "
                                 "need_rmap_locks);")
    new = _index(state, Y)
    assert new != old and state.slab.get(old).state == ALLOCATED == state.slab.get(new).state
    assert state.slab.get(new).gen == 1 and state.slab.get(new).vma.anon_vma == state.slab.get(old).vma.anon_vma


def test_the_shrink_keeps_the_same_object(scenarios):
    state = scenarios["mremap-shrink"].initial("v4.8")
    old = _index(state, X)
    state = _moved(state)
    assert _index(state, X) == old and state.slab.get(old).gen == 1
    assert state.slab.get(old).state == ALLOCATED and state.slab.get(old).vma.end == X + 0x100000


def test_the_page_tables_move_and_the_data_reads_back_at_the_new_address(move):
    before = move.initial("v4.8")
    after = _moved(before)
    assert (read(before, "read(X)", X), read(before, "read(X+0x1000)", X)) == ("hello", "world")
    assert read(after, "read(X)", X) == read(after, "read(X+0x1000)", X) == "nothing"
    assert read(after, f"read({Y:#x})", X) == "hello" and read(after, f"read({Y + 0x1000:#x})", X) == "world"
    assert read(after, "pmd[X]", X) == "none" and read(after, f"pmd[{Y:#x}]", X) == "table"
    moved = next(t for t in after.pte_tables if t.live)
    assert moved.pte(Y + 0x1000).kind == SWAP and moved.counts() == before.pte_tables[0].counts()
    assert [t.live for t in after.pmd_tables] == [False, True], "X's pmd table freed, Y's allocated"


def test_the_old_object_is_freed_at_the_end_and_nothing_reuses_it(move):
    state = move.initial("v4.8")
    old = _index(state, X)
    state = _moved(state)
    assert state.slab.get(old).state == FREE and state.slab.freelist[0] == old
    assert [state.slab.get(i).vma.start for i in state.mm.vmas] == [Y]
    assert state.thread("A").result == Y


def test_a_huge_pmd_moves_as_it_is(move):
    state = _to_end(_to_end(move.initial("v4.8"), "C"), "K")
    assert state.thread("K").result == "SCAN_SUCCEED"
    state = _to_end(state, "A")
    assert read(state, f"pmd[{Y:#x}]", X) == "huge" and read(state, f"read({Y:#x})", X) == "hello"
    assert read(state, "pmd[X]", X) == "none"


def test_after_the_retry_v1_finds_another_vma_and_unlocks_twice(move):
    """X22 (a): K sleeps in the swap-in, C completes, A moves; the pointers differ."""
    state = move.initial(V1)
    while state.thread("K").status == RUNNABLE:
        state = engine.step(state, "K")
    state = _to_end(_to_end(state, "C"), "A")
    state = _to_line(state, "K", "vma = find_vma(mm, address); if (vma != vma_orig) return false; }")
    vma_orig = state.thread("K").frames[-1].get("vma_orig")
    assert read(state, "find_vma(X)", X) == state.slab.get(_index(state, Y)).addr != vma_orig.addr
    state = engine.step(state, "K")
    assert any("the pointer check fails" in e.text for e in state.last)
    assert state.thread("K").top.line == "/* swapin failed */ up_read(&mm->mmap_sem); goto out;"
    state = _to_end(state, "K")
    assert state.violation.kind == "rwsem-imbalance"


def test_v1_reads_the_freed_vma_after_down_write(move):
    """X22 (b): C$ K>down_write A$ K$."""
    state = _to_line(_to_end(move.initial(V1), "C"), "K", "down_write(&mm->mmap_sem);")
    state = _to_end(_to_end(state, "A"), "K")
    assert (state.violation.kind, state.violation.object) == ("use-after-free", "vm_area_struct")
    assert "anon_vma" in state.violation.message and "Freed by task A" in state.violation.report
    witness = move.spec.expect[V1]["use-after-free:vm_area_struct"]
    final = engine.replay(move.initial(V1), engine.parse_schedule(witness)).final
    assert (final.violation.kind, final.violation.object) == ("use-after-free", "vm_area_struct")


def test_v1_is_unsafe_and_v48_is_safe_by_complete_search(move):
    assert reach(move, V1).keys == {"rwsem-imbalance", "use-after-free:vm_area_struct"}
    v48 = reach(move, "v4.8")
    assert v48.is_complete and v48.keys == frozenset()


@pytest.mark.parametrize("code, reachable", [("SCAN_ADDRESS_RANGE", True), ("SCAN_VMA_NULL", False)])
def test_v48_gives_up_with_the_range_test_because_the_moved_vma_is_above_x(move, code, reachable):
    """X22 (c): the first vma above X is the moved one, 1 GiB up, so SCAN_ADDRESS_RANGE."""
    found = explore(EngineModel(move.initial("v4.8")), parse_goal(f"result(K)={code}"))
    assert found.is_found == reachable, found.verdict
    if reachable:
        final = engine.replay(move.initial("v4.8"), found.schedule).final
        assert final.violation is None and final.thread("K").result == code


def test_the_shrink_path_runs_the_lines_its_links_were_made_with():
    program = PATHS["mremap"].program
    assert [p.function for p in program.closure()] == ["mremap", "do_munmap"]
    assert [s.line for s in program.steps] == [
        "down_write(&mm->mmap_sem);",
        "if (old_len >= new_len) ret = do_munmap(mm, addr + new_len, old_len - new_len);",
        "up_write(&mm->mmap_sem); return ret;",
    ]


def test_a_range_no_vma_maps_makes_the_move_return_efault_and_change_nothing(move, tmp_path: Path):
    text = move.path.read_text().replace("addr = 0x7f3a4a000000, old_len", "addr = 0x7f3a4a400000, old_len", 1)
    (tmp_path / "m.toml").write_text(text)
    before = engine.step(engine.load(tmp_path / "m.toml").initial("v4.8"), "K")
    after = _to_end(before, "A")
    assert after.thread("A").result == -14
    assert (after.mm, after.slab, after.pmd_tables, after.pte_tables) == (
        before.mm, before.slab, before.pmd_tables, before.pte_tables)


@pytest.mark.parametrize("args, message", [
    ("new_len = 0x100000", "new_len must equal old_len"),
    ("new_addr = 0x7f3a8a001000", "multiples of 2 MiB"),
    ("new_addr = 0x7f3a4a000000", "overlap"),
])
def test_the_loader_refuses_a_move_the_model_does_not_make(move, tmp_path: Path, args, message):
    text = move.path.read_text()
    old = "new_len = 0x200000" if args.startswith("new_len") else "new_addr = 0x7f3a8a000000"
    (tmp_path / "m.toml").write_text(text.replace(old, args, 1))
    with pytest.raises(ScenarioError, match=message):
        engine.load(tmp_path / "m.toml")
