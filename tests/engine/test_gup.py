"""GUP-fast against the collapse (docs/model.md#gup-fast): interrupts off on G's CPU hold up
the TLB-flush IPI of pmdp_collapse_flush, and a page G pinned makes isolate fail on its count;
the what-if flush that waits for no CPU lets G pin a page after isolate, and G's write is lost."""

from __future__ import annotations

from pathlib import Path

import pytest

import engine
from engine.explore import EngineModel, explore, parse_goal
from engine.facts import read
from engine.kernel.locks import irqs_off
from engine.variants import diff

X = 0x7f3a4a000000


def read_fact(state: engine.State, path: str):
    return read(state, path.replace("X", hex(X)), X)
WHAT_IF = "v4.8-flush-no-wait"
TO_FLUSH = 28         # K's steps from the start up to and including pmdp_collapse_flush


@pytest.fixture(scope="module")
def gup() -> engine.Scenario:
    return engine.catalog()["gup-fast"]


def play(s: engine.Scenario, schedule: str, variant: str = "v4.8") -> engine.State:
    return engine.replay(s.initial(variant), engine.parse_schedule(schedule)).final


def events(s: engine.Scenario, schedule: str, variant: str = "v4.8") -> list[str]:
    run = engine.replay(s.initial(variant), engine.parse_schedule(schedule))
    return [e.text for st in run.states for e in st.last]


def test_the_flush_waits_while_gup_fast_has_interrupts_off(gup):
    state = play(gup, f"G2K{TO_FLUSH}")
    k = state.thread("K")
    assert (k.status, k.waiting) == ("blocked", (irqs_off("G"), "wait"))
    assert k.top.line == "_pmd = pmdp_collapse_flush(vma, address, pmd);"
    assert read_fact(state, "pmd[X]") == "none"            # cleared first; the IPI is what waits
    assert engine.enabled(state) == ("G",)
    assert engine.waiting_for(state, "K") == "its TLB-flush IPI to G's CPU, where interrupts are off"
    held = {lk.name: lk.holders() for lk in state.locks}
    assert held["mmap_sem"] == ("K",) and not any(name.startswith("interrupts") and "K" in h
                                                   for name, h in held.items())


def test_the_flush_does_not_wait_once_gup_fast_enabled_interrupts_again(gup):
    state = play(gup, f"G6K{TO_FLUSH}")
    assert state.thread("K").status == "runnable"
    assert state.lock(irqs_off("G")) is None
    assert read_fact(state, "pmd[X]") == "none"


def test_enabling_interrupts_lets_the_waiting_flush_run_on_past_its_line(gup):
    state = play(gup, f"G2K{TO_FLUSH}G4")
    k = state.thread("K")
    assert (k.status, k.waiting) == ("runnable", None)
    assert k.top.line == "spin_unlock(pmd_ptl);"
    assert "khugepaged is woken and runs on" in [e.text for e in state.last]


def test_isolate_fails_on_the_page_gup_fast_pinned_and_khugepaged_gives_up(gup):
    schedule = f"G2K{TO_FLUSH}G4K7"
    state = play(gup, schedule)
    assert state.thread("K").result == "SCAN_FAIL"
    assert any("page_count 2, not 1 (SCAN_PAGE_COUNT)" in text for text in events(gup, schedule))
    assert read_fact(state, "pmd[X]") == "table"           # the old pte table is put back
    done = play(gup, schedule + "G2")
    assert (done.thread("G").result, read_fact(done, "read(X)")) == (1, "from disk")
    assert all(p.refs == 0 for p in done.pages)


def test_isolate_succeeds_without_the_extra_reference(gup):
    state = play(gup, "G8K41")
    assert (state.thread("G").result, state.thread("K").result) == (1, "SCAN_SUCCEED")
    assert read_fact(state, "pmd[X]") == "huge"
    assert read_fact(state, "read(X)") == "from disk"      # written before the copy, so copied


def test_gup_fast_that_reads_a_cleared_pmd_pins_nothing(gup):
    state = play(gup, f"K{TO_FLUSH}G5")
    assert state.thread("G").result == 0 and state.thread("G").status == "done"
    assert all(p.refs == 0 for p in state.pages)


def test_the_what_if_reaches_lost_data_with_its_witness(gup):
    witness = gup.spec.expect[WHAT_IF]["lost-data"]
    state = play(gup, witness, WHAT_IF)
    v = state.violation
    assert (v.kind, v.thread, v.step) == ("lost-data", "G", len(engine.parse_schedule(witness)))
    assert "already copied that page into a huge page" in v.report and "'hello'" in v.report
    assert "fast GUP race against THP collapse" in v.check.text
    found = explore(EngineModel(gup.initial(WHAT_IF)), parse_goal("lost-data"))
    assert engine.format_schedule(found.schedule) == witness


def test_v48_is_safe_and_can_end_either_way(gup):
    assert explore(EngineModel(gup.initial("v4.8")), parse_goal("any")).verdict == "safe"
    for result in ("SCAN_SUCCEED", "SCAN_FAIL"):
        assert explore(EngineModel(gup.initial("v4.8")), parse_goal(f"result(K)={result}")).is_found


def test_the_what_if_differs_from_v48_in_the_flush_line_only():
    (change,) = diff("v4.8", WHAT_IF)
    assert change.function == "collapse_huge_page" and change.kind == "replaced"
    assert change.old == ("_pmd = pmdp_collapse_flush(vma, address, pmd);",)
    assert "sends no IPI" in change.new[0]
    assert engine.variant(WHAT_IF).checks is None and engine.variant("v4.8").checks is not None


def test_a_flush_waits_for_every_cpu_with_interrupts_off(tmp_path):
    text = (Path(engine.__file__).parent / "scenarios" / "gup-fast.toml").read_text().partition("[expect]")[0]
    path = tmp_path / "two-gups.toml"
    path.write_text(text + '[[threads]]\nid = "H"\nname = "second GUP"\nprogram = "get_user_pages_fast"\n'
                           'args = { address = 0x7f3a4a000000, write = false }\n')
    s = engine.load(path)
    state = play(s, f"G2H2K{TO_FLUSH}")
    assert state.thread("K").waiting == (irqs_off("G"), "wait")
    state = play(s, f"G2H2K{TO_FLUSH}G4")
    assert (state.thread("K").status, state.thread("K").waiting) == ("blocked", (irqs_off("H"), "wait"))
    assert "khugepaged is woken and still waits for interrupts off (CPU of H)" in [e.text for e in state.last]
    state = play(s, f"G2H2K{TO_FLUSH}G4H4")
    assert state.thread("K").status == "runnable"
    assert explore(EngineModel(s.initial("v4.8")), parse_goal("any")).verdict == "safe"
