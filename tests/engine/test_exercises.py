"""Exercises: the goal terms, predict queries, the loader's errors and the grader."""

from __future__ import annotations

from pathlib import Path

import pytest

import engine
from engine import exercises as ex
from engine.directives import compile_run
from engine.exercises import goals, predict
from engine.exercises.goals import Attempt
from engine.explore import preemptions_along

SCENARIOS = engine.catalog()


def attempt(sid: str, vid: str, text: str) -> Attempt:
    run = compile_run(engine.replay(SCENARIOS[sid].initial(vid), ()), text)
    return Attempt(run, 0, preemptions_along(run))


def holds(goal: str, a: Attempt) -> list[str]:
    return [why for why in (t.check(a) for t in goals.parse_goal(goal)) if why]


def test_reach_names_kind_and_function_and_says_what_happened_instead():
    crash = attempt("realloc-file", "v1-pointer-check", "C$ K>down_write A$ K$")
    assert holds("reach(null-deref@anon_vma_lock_write) & preemptions <= 1", crash) == []
    assert holds("reach(any)", crash) == []
    [why] = holds("reach(null-deref@collapse_huge_page_isolate)", crash)
    assert "not in collapse_huge_page_isolate" in why
    [why] = holds("reach(use-after-free)", crash)
    assert why.startswith("the run reaches null-deref, not use-after-free")
    [why] = holds("preemptions = 0 & reach(any)", crash)
    assert why == "the schedule has 1 preemption; the goal allows exactly 0"


def test_a_run_without_a_violation_fails_reach_with_its_results():
    fine = attempt("realloc-file", "v4.8", "C$ K>down_write A$ K$")
    [why] = holds("reach(any)", fine)
    assert "no violation" in why and "K returned SCAN_VMA_CHECK" in why
    assert holds("result(K) = SCAN_VMA_CHECK & steps <= 80", fine) == []
    assert holds("result(K) in {SCAN_VMA_NULL, SCAN_VMA_CHECK}", fine) == []
    [why] = holds("result(K)=SCAN_SUCCEED", fine)
    assert why == "K ends with SCAN_VMA_CHECK, not SCAN_SUCCEED"
    assert holds("returned(hugepage_vma_revalidate)=SCAN_VMA_CHECK", fine) == []


def test_a_trylock_is_an_event_and_while_reads_the_state_after_it():
    skipped = attempt("scan-trylock", "v4.8", "B A! K")
    assert holds("event(K, down_read_trylock=0)", skipped) == []
    assert holds("event(K, down_read_trylock=0 while mmap_sem.writer=NULL)", skipped) == []
    [why] = holds("event(K, down_read_trylock=0 while mmap_sem.readers=NULL)", skipped)
    assert "mmap_sem.readers is B" in why
    [why] = holds("event(K, down_read_trylock=1)", skipped)
    assert why == "no step of K has down_read_trylock return 1 (it returns 0)"


def test_final_facts_read_the_last_state():
    run = attempt("realloc-anon-faulted", "v4.8", "C$ A! B! K! A$ B$ K$")
    assert holds("result(K)=SCAN_SUCCEED & final(vma_at(X).gen)=2 & final(pmd[X])=huge", run) == []
    [why] = holds("final(pmd[X])=table", run)
    assert why == "at the end pmd[X] is huge, not table"


@pytest.mark.parametrize("text, says", [
    ("reach(nonsense)", "not a violation kind"),
    ("steps <= 3", "only counts steps"),
    ("steps = 3 & reach(any)", "write steps <= N"),
    ("result(K) = ", "not a goal term"),
    ("reach(any@foo)", "takes no object or function"),
    ("result(K) in {}", "names no result"),
])
def test_a_bad_goal_is_a_sentence(text, says):
    with pytest.raises(ValueError, match=says):
        goals.parse_goal(text)


def run_to(sid: str, vid: str, text: str) -> engine.Run:
    return compile_run(engine.replay(SCENARIOS[sid].initial(vid), ()), text)


def test_predicts_are_answered_by_taking_the_step():
    s = "rwsem-basics"
    q = predict.parse_query("blocks_on(C)")
    before = run_to(s, "v4.8", "A B!")
    after = compile_run(before, "C")
    assert predict.answer(q, before, after, "C") == "mmap_sem"
    assert {c.id for c in predict.choices(q, before, "C")} >= {"mmap_sem", "nothing"}
    before = run_to(s, "v4.8", "A B! C!")
    trylock = predict.parse_query("returns(down_read_trylock)")
    assert predict.answer(trylock, before, compile_run(before, "K2"), "K") == "0"
    holders = predict.parse_query("holders(mmap_sem)")
    assert predict.answer(holders, before, compile_run(before, "A$"), "A") == "B"


def test_find_vma_and_ptr_equal_name_objects_from_the_slab():
    before = run_to("munmap-reuse-above", "v1-pointer-check", "K! C$ A$ K>find_vma")
    after = compile_run(before, "K")
    found = predict.answer(predict.parse_query("find_vma(X)"), before, after, "K")
    assert found == "V1"
    choices = {c.id: c.text for c in predict.choices(predict.parse_query("find_vma(X)"), before, "K")}
    assert "NULL" in choices and "gen 2" in choices[found]
    assert predict.answer(predict.parse_query("ptr_equal(vma, vma_orig)"), before, after, "K") == "equal"


def test_ptr_equal_refuses_a_line_that_does_not_compare_them():
    before = run_to("realloc-file", "v1-pointer-check", "K")
    with pytest.raises(ValueError, match="does not compare vma and vma_orig"):
        predict.answer(predict.parse_query("ptr_equal(vma, vma_orig)"), before, compile_run(before, "K"), "K")


EXERCISE = """
id = "{id}"
title = "t"
quest = "B"
difficulty = 1
minutes = 5
scenario = "realloc-file"
variant = "v1-pointer-check"
learning = "l"
covers = ["C2"]
hints = ["h"]

[[parts]]
task = "t"
{part}
"""


def write(tmp_path: Path, part: str, xid: str = "x90") -> Path:
    path = tmp_path / f"{xid}.toml"
    path.write_text(EXERCISE.format(id=xid, part=part))
    return path


@pytest.mark.parametrize("part, says", [
    ('goal = "reach(any)"\nfrom = "K>no_such_label"\nanswer = "K$"\nwrong = ["K"]',
     r"parts\.0\.from \(line 16\): K>no_such_label: K blocked at step 16"),
    ('goal = "reach(any)"\nscenario = "nope"\nanswer = "K$"\nwrong = ["K"]', r"parts\.0\.scenario .*no scenario 'nope'"),
    ('goal = "event(Z, foo=1)"\nanswer = "K$"\nwrong = ["K"]', r"parts\.0\.goal .*has no thread Z"),
    ('goal = "final(pmd[X])=huge"\nscenario = "rwsem-basics"\nvariant = "v4.8"\nanswer = "A$"\nwrong = ["A"]',
     r"parts\.0\.goal .*no khugepaged thread, so X"),
    ('predict = { at = "K", thread = "K", query = "holders(mmap_sem)", choices = ["A"] }\nanswer = "A"\nwrong = ["B"]',
     r"the answer, found by taking the step, is 'nobody'"),
    ('goal = "reach(any)"\nprove = "any"\nanswer = "K$"\nwrong = ["K"]', "exactly one of goal, predict, prove and fix"),
    ('fix = { scenarios = ["exit"] }\nanswer = "vma-check"\nwrong = ["x"]', "a fix part's answer is a list of checks"),
    ('fix = { scenarios = ["realloc-file-exec"] }\nanswer = ["vma-check"]\nwrong = [["pmd-recheck"]]',
     r"parts\.0\.fix .*realloc-file-exec"),
])
def test_a_bad_exercise_is_an_error_naming_file_part_and_field(tmp_path, part, says):
    with pytest.raises(ex.ExerciseError, match=says):
        ex.load(write(tmp_path, part), SCENARIOS)


def test_an_exercise_file_is_named_after_its_id(tmp_path):
    path = write(tmp_path, 'goal = "reach(any)"\nanswer = "K$"\nwrong = ["K"]')
    path.rename(tmp_path / "x91.toml")
    with pytest.raises(ex.ExerciseError, match=r"must be the file's name \(x91.toml\)"):
        ex.load(tmp_path / "x91.toml", SCENARIOS)


def test_the_grader_refuses_an_answer_of_the_wrong_form(tmp_path):
    x = ex.load(write(tmp_path, 'goal = "reach(any)"\nanswer = "K$"\nwrong = ["K"]'), SCENARIOS)
    with pytest.raises(ex.Refused, match="is a schedule part: send schedule or run, not choice"):
        ex.grade(x.parts[0], ex.Submission(choice="equal"), ex.Computed())
    with pytest.raises(ex.Refused, match="the schedule does not run"):
        ex.grade(x.parts[0], ex.Submission(schedule="A$"), ex.Computed())


class NotYet:
    def prove(self, part):
        return None

    def check_sets(self, scenario):
        return None


def test_a_prove_part_grades_claims_by_the_explorer_and_schedules_by_replay(tmp_path):
    x = ex.load(write(tmp_path, 'prove = "null-deref"\nfrom = "C$"\nmax_preemptions = 0\n'
                                'answer = "unreachable"\nwrong = ["K>down_write A$ K$"]'), SCENARIOS)
    part = x.parts[0]
    with pytest.raises(ex.Pending):
        ex.grade(part, ex.Submission(claim="unreachable"), NotYet())
    verdicts = ex.Computed()
    proven = ex.grade(part, ex.Submission(claim="unreachable"), verdicts)
    assert proven.passed and "complete search" in proven.reason
    late = ex.grade(part, ex.Submission(schedule="K>down_write A$ K$"), verdicts)
    assert not late.passed and "1 preemption; the claim allows at most 0" in late.reason
    run = late.run.schedule
    assert ex.grade(part, ex.Submission(run=run), verdicts).reason == late.reason
    with pytest.raises(ex.Refused, match="must begin with C2"):
        ex.grade(part, ex.Submission(run=run[2:]), verdicts)


CATALOG = ex.catalog(SCENARIOS)
PARTS = [p for x in CATALOG.values() for p in x.parts]


@pytest.fixture(scope="module")
def verdicts():
    return ex.Computed()


@pytest.mark.parametrize("part", PARTS, ids=[p.name for p in PARTS])
def test_every_reference_passes_and_every_wrong_answer_fails(part, verdicts):
    ok = ex.grade(part, ex.as_written(part, part.spec.answer), verdicts)
    assert ok.passed, ok.reason
    for wrong in part.spec.wrong:
        g = ex.grade(part, ex.as_written(part, wrong), verdicts)
        assert not g.passed, (wrong, g.reason)
        assert g.reason.endswith((".", "?")) and g.reason[0].isupper()


def test_the_catalog_ships_the_curriculum():
    assert {f"x{n:02d}" for n in range(1, 26)} <= set(CATALOG)
    assert [x.spec.quest for x in CATALOG.values()] == sorted(x.spec.quest for x in CATALOG.values())


def test_holders_knows_a_lock_by_its_eras_name_and_refuses_an_unknown_one():
    before = after = run_to("realloc-file-exec", "v5.8", "")      # K holds it for read at step 0
    assert predict.answer(predict.parse_query("holders(mmap_lock)"), before, after, "K") == "K"
    assert predict.answer(predict.parse_query("holders(mmap_sem)"), before, after, "K") == "K"
    with pytest.raises(ValueError, match="there is no lock 'nope' here; the locks are .*mmap_lock"):
        predict.answer(predict.parse_query("holders(nope)"), before, after, "K")


def test_the_curriculums_own_notation_is_read_too(tmp_path):
    before = run_to("rwsem-basics", "v4.8", "A B! C!")
    assert predict.answer(predict.parse_query("trylock_result"), before, compile_run(before, "K2"), "K") == "0"
    fine = attempt("realloc-file", "v4.8", "C$ K>down_write A$ K$")
    assert holds("result(K) ∈ {SCAN_VMA_NULL, SCAN_VMA_CHECK} ∧ preemptions ≤ 1", fine) == []
    x = ex.load(write(tmp_path, 'prove = "reach(null-deref)"\nfrom = "C$"\nmax_preemptions = 0\n'
                                'answer = "unreachable"\nwrong = ["K>down_write A$ K$"]'), SCENARIOS)
    assert str(x.parts[0].goal) == "null-deref"
