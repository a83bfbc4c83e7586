"""The faulted twins of C1 and C2: a write fault gives the reused VMA an anon_vma and a pte
table, so the revalidation has to decide on a VMA that looks collapsible."""

from pathlib import Path

import pytest

import engine
from engine.explore import EngineModel, explore, parse_goal
from engine.facts import khugepaged_address, read

X = 0x7f3a4a000000
SUCCESS = "result(K)=SCAN_SUCCEED & final(vma_at(X).gen)=2 & final(pmd[X])=huge"


def run_out(state):
    """Every thread to its end, K first whenever it can run."""
    while engine.enabled(state):
        can = engine.enabled(state)
        state = engine.step(state, "K" if "K" in can else can[0])
    return state


def until_b_is_done(schedule):
    """The schedule up to B's last step: the fault has run, khugepaged has not looked yet."""
    return schedule[:len(schedule) - schedule[::-1].index("B")]


def search(scenarios, sid, variant, goal):
    return explore(EngineModel(scenarios[sid].initial(variant)), parse_goal(goal))


def final(scenarios, sid, variant, schedule):
    return engine.replay(scenarios[sid].initial(variant), engine.parse_schedule(schedule)).final


def test_v48_collapses_the_new_vma_and_keeps_bs_write(scenarios):
    found = search(scenarios, "realloc-anon-faulted", "v4.8", SUCCESS + " & final(read(X))=new")
    assert found.verdict == "goal-reached" and found.preemptions == 0


def test_with_the_quarantine_the_new_vma_is_another_object_and_v48_collapses_it(scenarios):
    assert search(scenarios, "realloc-anon-faulted-kasan", "v4.8", SUCCESS).verdict == "goal-unreachable"
    uaf = search(scenarios, "realloc-anon-faulted-kasan", "v4.8-rc-stale-vma", "use-after-free:vm_area_struct")
    run = engine.replay(scenarios["realloc-anon-faulted-kasan"].initial("v4.8"), uaf.schedule)
    rest = run_out(run.final)
    first = run.states[0]
    assert khugepaged_address(first) == X
    assert rest.violation is None and rest.thread("K").result == "SCAN_SUCCEED"
    assert read(rest, "vma_at(X).object", X) != read(first, "vma_at(X).object", X)
    assert (read(rest, "vma_at(X).gen", X), read(rest, "pmd[X]", X)) == (1, "huge")


def test_the_stale_pointer_is_caught_by_kasan_and_right_by_luck_without_it(scenarios):
    found = search(scenarios, "realloc-anon-faulted-kasan", "v4.8-rc-stale-vma", "use-after-free:vm_area_struct")
    assert found.verdict == "violation" and found.preemptions == 0
    assert "collapse_huge_page" in found.violation.message
    lucky = final(scenarios, "realloc-anon-faulted", "v4.8-rc-stale-vma", engine.format_schedule(found.schedule))
    assert lucky.violation is None
    rest = run_out(lucky)   # K goes on: it collapses the reused object
    assert rest.thread("K").result == "SCAN_SUCCEED" and rest.violation is None


def test_a_cow_fault_gives_the_private_file_vma_an_anon_vma_and_only_the_vma_check_rejects_it(scenarios):
    found = search(scenarios, "realloc-file-faulted", "v4.8-no-vma-check", "thp-in-ineligible-vma")
    assert found.verdict == "violation"
    fixed = engine.replay(scenarios["realloc-file-faulted"].initial("v4.8"), until_b_is_done(found.schedule))
    assert fixed.final.thread("B").status == "done"
    assert read(fixed.final, "vma_at(X).anon_vma", X) != "NULL"
    assert read(fixed.final, "vma_at(X).file", X) == "/home/user/data.bin"
    assert search(scenarios, "realloc-file-faulted", "v4.8",
                  "returned(hugepage_vma_revalidate)=SCAN_VMA_CHECK").verdict == "goal-reached"


def test_the_shared_file_twin_never_gets_an_anon_vma(scenarios, tmp_path):
    src = scenarios["realloc-file-faulted"].path.read_text()
    private = 'flags = ["VM_READ", "VM_WRITE"] }'
    assert private in src
    shared = tmp_path / "shared.toml"
    shared.write_text(src.replace(private, 'flags = ["VM_READ", "VM_WRITE", "VM_SHARED"] }'))
    found = search(scenarios, "realloc-file-faulted", "v4.8-no-vma-check", "thp-in-ineligible-vma")
    prefix = until_b_is_done(found.schedule)
    cow = engine.replay(scenarios["realloc-file-faulted"].initial("v4.8"), prefix).final
    written = engine.replay(engine.load(shared).initial("v4.8"), prefix).final
    assert cow.thread("B").status == written.thread("B").status == "done"
    assert read(cow, "read(X)", X) == read(written, "read(X)", X) == "new"
    assert read(cow, "vma_at(X).anon_vma", X) != "NULL" and read(written, "vma_at(X).anon_vma", X) == "NULL"


@pytest.mark.parametrize("spelling, same_as", [('"fails"', "false"), ('"succeeds"', "true")])
def test_fault_huge_may_be_spelled_in_words(tmp_path, spelling, same_as):
    src = (Path(engine.__file__).parent / "scenarios" / "pmd-became-huge.toml").read_text()
    assert "fault_huge = true" in src
    words, flag = tmp_path / "words.toml", tmp_path / "flag.toml"
    words.write_text(src.replace("fault_huge = true", f"fault_huge = {spelling}"))
    flag.write_text(src.replace("fault_huge = true", f"fault_huge = {same_as}"))
    assert engine.load(words).initial("v4.8").config == engine.load(flag).initial("v4.8").config


def test_an_unknown_fault_huge_word_is_named(tmp_path):
    src = (Path(engine.__file__).parent / "scenarios" / "pmd-became-huge.toml").read_text()
    path = tmp_path / "bad.toml"
    path.write_text(src.replace("fault_huge = true", 'fault_huge = "sometimes"'))
    with pytest.raises(engine.ScenarioError, match="options.fault_huge.*'succeeds' or 'fails'"):
        engine.load(path)
