"""Carrying an interleaving from one variant to another (engine.align)."""

import pytest

import engine
from engine.align import BLOCKS, ENDS, LINE, segments_of, translate

CATALOG = engine.catalog()
REALLOC = CATALOG["realloc-file"]
V1 = "v1-pointer-check"


def preempting_run(scenario, variant_id, steps=60):
    """A run that switches threads every three steps among those that can run."""
    run = engine.replay(scenario.initial(variant_id), ())
    for i in range(steps):
        can = engine.enabled(run.final)
        if not can:
            break
        run = engine.extend(run, (can[(i // 3) % len(can)],))
    return run


@pytest.mark.parametrize("sid", sorted(CATALOG))
def test_carrying_a_run_to_its_own_variant_gives_the_same_schedule(sid):
    scenario = CATALOG[sid]
    for vid in scenario.variant_ids:
        run = preempting_run(scenario, vid)
        al = translate(run, scenario.initial(vid))
        assert al.target.schedule == run.schedule, (sid, vid)
        assert al.parted is None and all(s.kept and s.same and not s.note for s in al.segments)


def test_segments_are_the_maximal_runs_of_one_thread():
    assert segments_of(tuple("KKKAAK")) == [("K", 0, 3), ("A", 3, 5), ("K", 5, 6)]
    assert segments_of(()) == []


def test_the_v1_story_carried_to_v4_8_ends_in_the_revalidation_giving_up():
    v1 = engine.replay(REALLOC.initial(V1), engine.parse_schedule("K16A10C2K9"))
    al = translate(v1, REALLOC.initial("v4.8"))
    assert engine.format_schedule(al.target.schedule) == "K18A10C2K9"
    assert [s.mark.how for s in al.segments] == [BLOCKS, ENDS, ENDS, ENDS]
    assert v1.final.violation.kind == "null-deref" and al.target.final.violation is None
    codes = [e.code for s in al.target.states for e in s.last if e.kind == "scan-result" and e.code]
    assert codes == ["SCAN_VMA_CHECK"]
    assert al.parted == 3 and [s.same for s in al.segments] == [True, True, True, False]


def test_a_preemption_before_a_line_the_other_side_lacks_falls_back_to_its_lock_operations():
    v1 = engine.replay(REALLOC.initial(V1), engine.parse_schedule("K3C2"))
    first = translate(v1, REALLOC.initial("v4.8")).segments[0]
    assert first.mark.how == LINE and first.mark.lock_ops == 2       # up_read, then down_read again
    assert first.b == (1, 3) and "as many lock operations (2)" in first.note and first.same


def test_a_preemption_before_a_shared_line_stops_at_that_line_on_the_other_side():
    v48 = engine.replay(REALLOC.initial("v4.8"), engine.parse_schedule("K10C2K5"))
    al = translate(v48, REALLOC.initial(V1))
    last = al.segments[-1]
    assert last.mark.how == LINE and last.mark.function == "do_swap_page" and last.note == ""
    t = al.target.final.thread("K").top
    assert (t.program.function, t.program.steps[t.pc].line) == (last.mark.function, last.mark.line)


def test_a_thread_that_cannot_run_on_the_other_side_is_skipped_with_the_reason():
    gup = CATALOG["gup-fast"]
    run = engine.replay(gup.initial("v4.8"), engine.parse_schedule("K17G3K6GK5G4K13"))
    al = translate(run, gup.initial(V1))
    skipped = [s for s in al.segments if s.b is None]
    assert skipped and all(not s.kept and not s.same for s in skipped)
    assert "K cannot run here: it is waiting for its TLB-flush IPI to G's CPU" in skipped[0].note
    assert al.parted is not None and al.parted <= al.segments.index(skipped[0])
