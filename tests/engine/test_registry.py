"""The registry of kernel paths, the programs it lists, and how variants differ."""

from __future__ import annotations

import pytest

import engine
from engine.program import Program
from engine.programs import PATHS
from engine.variants import BASELINE, VARIANTS, diff


def _all_programs() -> list[Program]:
    return [p for v in VARIANTS.values() for path in PATHS for p in v.program(path).closure() + v.exit_mm.closure()]


def test_every_program_a_scenario_names_comes_from_the_registry():
    from engine.scenario import ThreadSpec
    with pytest.raises(ValueError) as e:
        ThreadSpec(id="A", name="a", program="no_such_path")
    assert all(name in str(e.value) for name in PATHS)


def test_every_program_names_its_kernel_version_and_every_line_is_one_step():
    for v in VARIANTS.values():
        for p in (p for path in PATHS for p in v.program(path).closure() + v.exit_mm.closure()):
            assert p.kernel == v.kernel, (v.id, p)
            assert p.steps and all(s.line.strip() for s in p.steps), p
    assert {v.kernel for v in VARIANTS.values()} == {"v4.8", "v5.4", "v5.8"}


def test_labels_are_unique_within_each_program():
    for p in _all_programs():
        labels = [s.label for s in p.steps if s.label]
        assert len(labels) == len(set(labels)), p


def test_a_line_may_only_call_a_program_it_declares(scenarios):
    undeclared = Program("caller", "v4.8", "test", (), ())
    state = scenarios["realloc-file"].initial(BASELINE)
    ctx = engine.state.Ctx(state, "K")
    with pytest.raises(AssertionError, match="does not declare"):
        ctx.call(undeclared)


def test_the_baseline_runs_the_registry_and_its_eras_variants_replace_only_khugepaged():
    assert VARIANTS[BASELINE].programs == {}
    for v in VARIANTS.values():
        if v.era == BASELINE:
            assert set(v.programs) <= {"collapse_huge_page", "khugepaged_do_scan"}
            assert v.program("vm_munmap") is PATHS["vm_munmap"].program


def test_a_later_kernels_variant_runs_its_own_copy_of_every_path():
    for vid in ("v5.4", "v5.8"):
        v = VARIANTS[vid]
        assert set(v.programs) == set(PATHS)
        assert all(p.key == (p.function, vid) for path in PATHS for p in v.program(path).closure())
        assert v.exit_mm.key == ("mmput", vid)
        assert [s.effect for s in v.program("vm_munmap").steps] == [s.effect for s in PATHS["vm_munmap"].program.steps]


def test_an_ablation_differs_from_v48_by_exactly_the_check_it_removes():
    (change,) = diff(BASELINE, "v4.8-no-exit-test")
    assert change.function == "hugepage_vma_revalidate" and change.kind == "removed"
    assert change.old == ("if (unlikely(khugepaged_test_exit(mm))) return SCAN_ANY_PROCESS;",)


def test_removing_the_pmd_recheck_removes_both_rechecks_and_nothing_else():
    changes = diff(BASELINE, "v4.8-no-pmd-recheck")
    gone = {c.function for c in changes for line in c.old if "mm_find_pmd(mm, address) != pmd" in line}
    assert gone == {"collapse_huge_page", "__collapse_huge_page_swapin"}
    assert not any("!= pmd" in line for c in changes for line in c.new)
    assert sum(len(c.old) - len(c.new) for c in changes) == 2


def test_a_variant_does_not_differ_from_itself():
    assert all(diff(v, v) == () for v in VARIANTS)


def test_v1_differs_from_v48_in_the_swapin_retry_and_after_down_write():
    changes = diff("v1-pointer-check", BASELINE)
    swapin = [c for c in changes if c.function == "__collapse_huge_page_swapin"]
    assert any("vma != vma_orig" in line for c in swapin for line in c.old)
    assert any("hugepage_vma_revalidate" in line for c in swapin for line in c.new)
    collapse_new = [line for c in changes if c.function == "collapse_huge_page" for line in c.new]
    assert any("goto out;" in line and "hugepage_vma_revalidate" in line for line in collapse_new)


def test_the_digest_changes_with_a_program_the_scenario_runs_and_not_with_others(scenarios, monkeypatch):
    from engine import scenario as scenario_module
    s = scenarios["rwsem-basics"]
    raw = s.path.read_bytes()
    def digest() -> str:
        return scenario_module._digest(raw, s.paths, s.variant_ids)
    before = digest()
    runs = {call.program for t in s.spec.threads for call in t.sequence}
    other = next(name for name in PATHS if name not in runs and name not in ("collapse_huge_page", "khugepaged_do_scan"))
    changed = Program(PATHS[other].program.function, "v4.8", "common", (), PATHS[other].program.steps[:1])
    monkeypatch.setitem(PATHS, other, engine.program.Path(other, changed))
    assert digest() == before
    used = sorted(runs)[0]
    shorter = Program(PATHS[used].program.function, "v4.8", "common", (), PATHS[used].program.steps[:1])
    monkeypatch.setitem(PATHS, used, engine.program.Path(used, shorter))
    assert digest() != before
