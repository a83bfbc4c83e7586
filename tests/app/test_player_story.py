"""The player tells the story: the key moment, the goal picker, a small step response."""

import gzip

import engine
from app import views
from app.views.player import LOG_STEPS, goal_groups
from app.views.threads import thread_views
from engine.kernel.ptr import VM_AREA_STRUCT, Ptr, compared
from tests.app.conftest import HX, SCENARIO, V1

REALLOC = engine.catalog()[SCENARIO]
THROUGH_POINTER_CHECK = "K16A10C2K3"          # step 31: the v1 pointer check passes on a reused object


def run_of(schedule: str, variant: str = V1, scenario=REALLOC):
    return engine.replay(scenario.initial(variant), engine.parse_schedule(schedule))


def test_the_pointer_check_says_it_passes_and_on_which_generations():
    p = views.player(REALLOC, V1, run_of(THROUGH_POINTER_CHECK))
    obj = "0xffff8800a1c4e000"
    assert (f"vma == vma_orig (both {obj}): the pointer check passes, but the object is gen 2 now; "
            "vma_orig was taken at gen 1") in p.narration_text
    assert p.narration.startswith("Step 31: khugepaged looks the vma up again")


def test_a_pointer_comparison_names_both_values_and_a_reused_object():
    vma_orig = Ptr(VM_AREA_STRUCT, 0xffff8800a1c4e000, 0, 1)
    assert compared("vma", None, "vma_orig", vma_orig) == (False, "vma != vma_orig (NULL against 0xffff8800a1c4e000)", "")
    other = Ptr(VM_AREA_STRUCT, 0xffff8800a1c4e180, 3, 1)
    assert compared("vma", other, "vma_orig", vma_orig)[:2] == (
        False, "vma != vma_orig (0xffff8800a1c4e180 against 0xffff8800a1c4e000)")
    assert compared("vma", vma_orig, "vma_orig", vma_orig) == (True, "vma == vma_orig (both 0xffff8800a1c4e000)", "")
    reused = Ptr(VM_AREA_STRUCT, 0xffff8800a1c4e000, 0, 2)
    assert compared("vma", reused, "vma_orig", vma_orig)[2] == "but the object is gen 2 now; vma_orig was taken at gen 1"


def test_the_line_that_just_ran_is_marked_with_the_values_it_decided_on():
    run = run_of(THROUGH_POINTER_CHECK)
    k = next(t for t in thread_views(run.final, run.states[-2], "K") if t.tid == "K")
    code = k.frames[0].code
    assert [line.number for line in code if line.ran] == [5] and [line.number for line in code if line.current] == [6]
    shows = {local.name: local.chip for local in code[4].shows}
    assert list(shows) == ["vma", "vma_orig"]
    assert shows["vma"].text == shows["vma_orig"].text and not shows["vma"].stale
    assert shows["vma_orig"].stale and "taken at gen 1; the object is now gen 2" in shows["vma_orig"].note
    assert all(not line.shows for line in code if not line.ran)


def test_a_call_marks_no_line_and_a_return_marks_the_callers_line():
    run = run_of("K9")                        # step 9: collapse_huge_page calls __collapse_huge_page_swapin
    top = next(t for t in thread_views(run.final, run.states[-2], "K") if t.tid == "K").frames[0]
    assert top.function == "__collapse_huge_page_swapin" and not any(line.ran for line in top.code)
    run = run_of("K16A10C2K")                 # step 29: __lock_page_or_retry and do_swap_page return
    before, after = run.states[-2].thread("K"), run.final.thread("K")
    assert len(after.frames) < len(before.frames)
    top = next(t for t in thread_views(run.final, run.states[-2], "K") if t.tid == "K").frames[0]
    ran = [line for line in top.code if line.ran]
    assert len(ran) == 1 and "do_swap_page(" in ran[0].text and top.function == "__collapse_huge_page_swapin"


def test_only_the_thread_that_ran_has_a_marked_line():
    run = run_of(THROUGH_POINTER_CHECK)
    for t in thread_views(run.final, run.states[-2], "K"):
        if t.tid != "K":
            assert all(not line.ran for f in t.frames for line in f.code)


def test_the_goal_picker_offers_the_declared_violations_first_then_any_then_scan_codes():
    groups = goal_groups(REALLOC, V1)
    values = [[c.value for c in g.choices] for g in groups]
    assert values[0][:2] == list(REALLOC.spec.expect[V1])          # null-deref, rwsem-imbalance: as written
    assert values[1] == ["any"]
    assert "SCAN_VMA_CHECK" not in values[2] or all(v.startswith("SCAN_") for v in values[2])
    fixed = [[c.value for c in g.choices] for g in goal_groups(REALLOC, "v4.8")]
    assert fixed[0][0] == "null-deref" and "SCAN_VMA_CHECK" in fixed[2]     # v4.8 declares none: v1's first


def test_the_player_page_has_the_goal_picker(client):
    r = client.get(f"/s/{SCENARIO}?v={V1}")
    assert '<select name="goal" id="explore-goal">' in r.text
    assert r.text.index('<option value="null-deref">') < r.text.index('<option value="any">')


def test_finished_threads_collapse_to_one_line(client):
    r = client.get(f"/s/{SCENARIO}?v={V1}&run={THROUGH_POINTER_CHECK}")
    finished = r.text[r.text.index('<ul class="finished"'):]
    finished = finished[:finished.index("</ul>")]
    assert finished.count("<li") == 2 and "mmap(MAP_FIXED, file)" in finished and "returned <code>0</code>" in finished
    assert 'aria-labelledby="thread-A-name"' not in r.text


def test_the_step_fragment_is_compressed_and_its_log_shows_the_newest_steps(client):
    url = f"/s/{SCENARIO}?v={V1}&run={THROUGH_POINTER_CHECK}"
    r = client.get(url, headers={**HX, "Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert r.text.count('class="stepref"') == LOG_STEPS and "Show the 20 older steps" in r.text
    whole = client.get(url + "&log=all", headers=HX)
    assert whole.text.count('class="stepref"') == 32
    raw = client.get(url, headers={**HX, "Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers and len(gzip.compress(raw.content)) < len(raw.content) / 3


def test_a_question_sets_its_backticked_spans_as_code_and_escapes_the_rest():
    from app.rendering import code_spans
    assert code_spans("Does `vma != vma_orig` notice <b>?") == "Does <code>vma != vma_orig</code> notice &lt;b&gt;?"
    assert code_spans("no code") == "no code"


def test_the_storys_question_shows_its_code_as_code(client):
    assert "Does <code>vma != vma_orig</code> notice?" in client.get(f"/s/{SCENARIO}?v={V1}").text
