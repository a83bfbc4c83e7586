"""Run-until directives compile, by stepping the model, to the schedules the curriculum means."""

import pytest

import engine
from engine.directives import compile_run, is_directives, next_is
from engine.explore import EngineModel, count_preemptions

CATALOG = engine.catalog()


def compiled(sid, variant, text):
    start = engine.replay(CATALOG[sid].initial(variant), ())
    return compile_run(start, text)


def test_each_form_runs_what_it_says():
    run = compiled("realloc-file", "v1-pointer-check", "K K3 C!")
    assert run.schedule[:4] == ("K",) * 4 and set(run.schedule[4:]) == {"C"}
    assert run.final.thread("C").status == "done"
    to_end = compiled("realloc-file", "v1-pointer-check", "C$ K$")
    assert to_end.final.violation is not None or to_end.final.thread("K").status == "done"


@pytest.mark.parametrize("label", ["down_read", "__collapse_huge_page_swapin", "hugepage_vma_revalidate"])
def test_until_label_stops_with_that_line_next(label):
    run = compiled("realloc-file", "v4.8", f"C$ K>{label}")
    assert next_is(run.final, "K", label)
    assert not any(next_is(state, "K", label) for state in run.states[3:-1])   # the first time, after C


def test_a_label_is_a_step_label_a_function_or_a_call():
    called = compiled("realloc-file", "v4.8", "C$ K>hugepage_vma_revalidate")
    assert "= hugepage_vma_revalidate(" in called.final.thread("K").frames[-1].line
    entered = compile_run(called, "K").final.thread("K").frames[-1]
    assert (entered.program.function, entered.pc) == ("hugepage_vma_revalidate", 0)
    assert next_is(compile_run(called, "K").final, "K", "hugepage_vma_revalidate")
    again = compiled("scan-trylock", "v4.8", "B2A K K>khugepaged_scan_mm_slot")
    k = again.final.thread("K").frames[-1]
    assert k.program.steps[k.pc].label == "khugepaged_scan_mm_slot" and len(again.schedule) == 5


def test_a_run_length_schedule_is_a_directive_sequence_too():
    assert compiled("realloc-file", "v1-pointer-check", "K16A10C2K9").schedule == engine.parse_schedule("K16A10C2K9")
    assert compiled("realloc-file", "v1-pointer-check", "K16 A10  C2 K9").schedule == engine.parse_schedule("K16A10C2K9")
    assert not is_directives("K16A10C2K9") and is_directives("K16 A10") and is_directives("K>down_write")


def test_the_curriculums_reference_answers_compile_to_what_they_claim():
    move = compiled("mremap-move", "v1-pointer-check", "C$ K>down_write A$ K$")
    assert engine.format_schedule(move.schedule) == "C2K21A27K2"
    assert (move.final.violation.kind, move.final.violation.object) == ("use-after-free", "vm_area_struct")
    null = compiled("munmap-reuse-above", "v4.8", "C$ A! K! A! K$")
    assert null.final.thread("K").result == "SCAN_VMA_NULL"
    assert count_preemptions(EngineModel(null.states[0]), null.schedule) == 0
    above = compiled("munmap-reuse-above", "v4.8", "C$ A! K2 A$ K$")
    assert above.final.thread("K").result == "SCAN_ADDRESS_RANGE"
    hole = compiled("fault-needs-write", "v4.8-collapse-under-read", "K>__collapse_huge_page_isolate B$ K$")
    assert hole.final.violation.kind == "bug-on"


@pytest.mark.parametrize("text, message", [
    ("K>down_writex", "K>down_writex: K blocked at step 16, waiting for page 0x12a001 (PG_locked) until it is "
                      "unlocked: held by C, before reaching down_writex"),
    ("C$ C$", "step 3: thread C (swap-in I/O) has finished"),
    ("C$ K$ K>down_read", "step 42: thread K (khugepaged) has finished"),
    ("K!", None),
    ("Q$", "step 1: there is no thread Q"),
])
def test_a_directive_that_cannot_be_met_names_itself_and_why(text, message):
    if message is None:
        assert compiled("realloc-file", "v1-pointer-check", text).final.thread("K").status == "blocked"
        return
    with pytest.raises(engine.ScheduleError) as e:
        compiled("realloc-file", "v1-pointer-check", text)
    assert message in str(e.value)
    assert e.value.valid is not None and e.value.prefix == engine.format_schedule(e.value.valid.schedule)


def test_a_directive_is_bounded_by_the_step_limit():
    start = engine.replay(CATALOG["realloc-file"].initial("v4.8"), ())
    with pytest.raises(engine.ScheduleError, match=r"C\$: C runs past 1 steps without reaching its end"):
        compile_run(start, "C$", max_steps=1)
