"""Later kernel eras: v5.4's hugepage_vma_check, v5.8's anon test and names, and the rule
that a scenario runs only the variants of its era (engine.eras).

Each "this never happens" has its twin: v5.4 accepts the read-only file text and v4.8
rejects it; v5.8's anon test rejects it; v5.8 says mmap_lock and v4.8 mmap_sem; v5.4
reaches the 2020 NULL dereference and v5.8 is proved safe.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import engine
from engine.checks import reach
from engine.eras import ERAS, has_mmap_lock, lock_name, rename
from engine.explore import EngineModel, explore, parse_goal
from engine.kernel.locks import MMAP_SEM, anon_vma_lock
from engine.programs import PATHS
from engine.programs.khugepaged import Code
from engine.variants import VARIANTS, diff, era_variants, every_variant, in_era, variant

CATALOG = engine.catalog()
EXEC = "realloc-file-exec"
WITNESS = "ABK3A9B7K26"          # v5.4's null-deref, declared in the file
BEFORE_K = "ABK3A9B7"            # A remapped the range to text, B read it; K's turn


def _k_to_end(state: engine.State) -> engine.State:
    while "K" in engine.enabled(state):
        state = engine.step(state, "K")
    return state


def _k_events(scenario: engine.Scenario, vid: str) -> tuple[engine.State, list[engine.Event]]:
    """Replay the remap and the read, then run K alone until it ends; its events."""
    state = engine.replay(scenario.initial(vid), engine.parse_schedule(BEFORE_K)).final
    events = []
    while "K" in engine.enabled(state):
        state = engine.step(state, "K")
        events += state.last
    return state, events


def _as_v48(tmp_path: Path) -> engine.Scenario:
    """realloc-file-exec as a v4.8-era scenario: the same address space and threads."""
    text = CATALOG[EXEC].path.read_text().partition("[expect]")[0].replace('kernel = "v5.4"', 'kernel = "v4.8"')
    path = tmp_path / "exec-in-v48.toml"
    path.write_text(text)
    return engine.load(path)


# -- v5.4's hugepage_vma_check and v5.8's anon test --------------------------------------------
def test_v5_4s_check_accepts_the_read_only_file_text_before_any_anonymous_test():
    state, events = _k_events(CATALOG[EXEC], "v5.4")
    said = [e.text for e in events]
    assert any("read-only file text (VM_DENYWRITE): hugepage_vma_check returns true" in t for t in said)
    assert [e.code for e in events if e.kind == "scan-result"] == [None, None]     # both revalidations pass
    assert state.violation.kind == "null-deref" and "anon_vma_lock_write" in state.violation.message


def test_v4_8s_check_rejects_the_same_vma_because_it_is_not_anonymous(tmp_path):
    state, events = _k_events(_as_v48(tmp_path), "v4.8")
    assert [e.code for e in events if e.kind == "scan-result"] == ["SCAN_VMA_CHECK"]
    assert state.violation is None and state.thread("K").result == "SCAN_VMA_CHECK"
    assert not any("VM_DENYWRITE" in e.text for e in events)


def test_v5_8s_anon_test_rejects_what_hugepage_vma_check_accepted():
    state, events = _k_events(CATALOG[EXEC], "v5.8")
    said = [e.text for e in events]
    accepted = next(i for i, t in enumerate(said) if "hugepage_vma_check returns true" in t)
    rejected = next(i for i, t in enumerate(said) if "returns SCAN_VMA_CHECK" in t)
    assert accepted < rejected and any("not the anonymous vma the collapse needs" in t for t in said)
    assert state.violation is None and state.thread("K").result == "SCAN_VMA_CHECK"
    assert len(engine.parse_schedule(BEFORE_K)) + 10 == state.steps     # K gives up 10 lines in


def test_the_check_needs_the_file_offset_aligned_with_vm_start(tmp_path):
    text = CATALOG[EXEC].path.read_text().replace("pgoff = 0,", "pgoff = 1,")
    path = tmp_path / "misaligned.toml"
    path.write_text(text.partition("[expect]")[0])
    state, events = _k_events(engine.load(path), "v5.4")
    assert any("the file offset is not 2 MiB-aligned" in e.text for e in events)
    assert state.violation is None and state.thread("K").result == "SCAN_VMA_CHECK"


def test_v5_8_differs_from_v5_4_by_the_anon_test_and_the_names_only():
    changes = diff("v5.4", "v5.8")
    added = [c for c in changes if c.kind == "added"]
    assert [(c.function, c.new) for c in added] == [
        ("hugepage_vma_revalidate", ("/* Anon VMA expected */ if (!vma->anon_vma || vma->vm_ops) return SCAN_VMA_CHECK;",))]
    for c in changes:
        if c.kind == "replaced":
            assert tuple(rename(line, "v5.8") for line in c.old) == c.new, c


def test_v5_4_differs_from_v4_8_in_hugepage_vma_check_alone():
    changes = diff("v4.8", "v5.4")
    assert {c.function for c in changes} == {"hugepage_vma_revalidate", "hugepage_vma_check"}
    check = next(c for c in changes if c.function == "hugepage_vma_check")
    assert check.kind == "added" and "VM_DENYWRITE" in check.new[1] and "anon_vma" in check.new[2]


# -- the verdicts -----------------------------------------------------------------------------
def test_v5_4_reaches_the_2020_null_deref_and_v5_8_is_proved_safe():
    s = CATALOG[EXEC]
    assert s.spec.expect == {"v5.4": {"null-deref": WITNESS}, "v5.8": {}}
    bad, good = reach(s, "v5.4"), reach(s, "v5.8")
    assert (bad.is_complete, bad.keys) == (True, {"null-deref"})
    assert (good.is_complete, good.keys) == (True, frozenset())
    found = explore(EngineModel(s.initial("v5.4")), parse_goal("null-deref"))
    assert (engine.format_schedule(found.schedule), found.preemptions) == (WITNESS, 0)
    final = engine.replay(s.initial("v5.4"), engine.parse_schedule(WITNESS)).final
    assert final.violation.check.id == "anon-vma-expected" and "594cced14ad3" in str(final.violation.check)


def test_v5_8_ends_with_scan_vma_check_where_v5_4_crashes():
    s = CATALOG[EXEC]
    goal = parse_goal("returned(hugepage_vma_revalidate)=SCAN_VMA_CHECK")
    assert explore(EngineModel(s.initial("v5.8")), goal).is_found
    assert explore(EngineModel(s.initial("v5.4")), goal).verdict == "goal-unreachable"


# -- eras -------------------------------------------------------------------------------------
def test_every_variant_not_marked_otherwise_is_of_the_v4_8_era():
    assert Code("made-up").kernel == "v4.8"
    assert {vid: VARIANTS[vid].era for vid in ("v5.4", "v5.8")} == {"v5.4": "v5.4", "v5.8": "v5.4"}
    assert all(v.era == "v4.8" for v in every_variant() if v.id not in ("v5.4", "v5.8"))
    assert variant("v4.8[checks=vma-check]").era == "v4.8"
    assert era_variants("v5.4") == ("v5.4", "v5.8") and "v1-pointer-check" in era_variants("v4.8")
    assert {v.id for v in every_variant("v5.4")} == {"v5.4", "v5.8"}


def test_programs_say_which_kernel_they_model():
    for vid in ("v5.4", "v5.8"):
        v = VARIANTS[vid]
        assert {p.kernel for path in PATHS for p in v.program(path).closure()} == {vid}
    assert {p.kernel for path in PATHS for p in VARIANTS["v4.8"].program(path).closure()} == {"v4.8"}


def test_a_v4_8_variant_on_realloc_file_exec_is_a_clear_error():
    with pytest.raises(engine.VariantError, match=r"'v4\.8' is of the v4\.8 era .*a v5\.4 scenario runs only "
                                                  r"the v5\.4 era's variants: v5\.4, v5\.8"):
        CATALOG[EXEC].initial("v4.8")
    with pytest.raises(engine.VariantError, match=r"v4\.8\[checks=vma-check\]' is of the v4\.8 era"):
        CATALOG[EXEC].initial("v4.8[checks=vma-check]")


def test_v5_4_on_realloc_file_is_a_clear_error_and_so_is_an_unknown_variant():
    with pytest.raises(engine.VariantError, match=r"'v5\.4' is of the v5\.4 era .*the v4\.8 era's variants: "
                                                  r"v1-pointer-check, .*or v4\.8\[checks=\.\.\.\]"):
        CATALOG["realloc-file"].initial("v5.4")
    with pytest.raises(engine.VariantError, match=r"unknown variant 'v5\.9'; the v5\.4 era's variants are v5\.4, v5\.8"):
        in_era("v5.9", "v5.4")


@pytest.mark.parametrize("base, old, new, words", [
    ("realloc-file", '"v4.8-no-pmd-recheck" = {}', '"v5.8" = {}',
     r"expect \(line \d+\): .*expect names v5\.8 \(the v5\.4 era\), but kernel = 'v4\.8': a v4\.8 scenario "
     r"declares only its era's variants, v1-pointer-check"),
    (EXEC, '"v5.8" = {}', '"v4.8" = {}',
     r"expect \(line \d+\): .*expect names v4\.8 \(the v4\.8 era\), but kernel = 'v5\.4'.*variants, v5\.4, v5\.8"),
    (EXEC, 'kernel = "v5.4"', 'kernel = "v5.8"', r"kernel \(line 7\): Input should be 'v4\.8' or 'v5\.4'"),
    (EXEC, '"VM_DENYWRITE"] }', '"VM_DENYWRIT"] }', r"thread A: mmap_region flag 'VM_DENYWRIT' is not one"),
])
def test_a_file_naming_another_eras_variant_is_a_load_error_naming_file_field_and_variants(tmp_path, base, old, new,
                                                                                          words):
    text = CATALOG[base].path.read_text()
    assert old in text
    path = tmp_path / "other-era.toml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(engine.ScenarioError, match=rf"other-era\.toml: {words}"):
        engine.load(path)


def test_the_scenario_digest_covers_its_eras_code_only():
    s = CATALOG["realloc-file"]
    assert s.digest == engine.scenario._digest(s.path.read_bytes(), s.paths,
                                               tuple(v.id for v in every_variant("v4.8")))
    e = CATALOG[EXEC]
    assert e.digest == engine.scenario._digest(e.path.read_bytes(), e.paths, ("v5.4", "v5.8"))
    assert e.link_digest("v5.4") != e.link_digest("v5.8")


# -- names ------------------------------------------------------------------------------------
def test_v5_8_shows_mmap_lock_names_and_v4_8_and_v5_4_mmap_sem():
    lines = {vid: [s.line for path in PATHS for p in VARIANTS[vid].program(path).closure() for s in p.steps]
             for vid in ("v4.8", "v5.4", "v5.8")}
    assert not any("mmap_sem" in line or "down_read" in line or "up_write" in line for line in lines["v5.8"])
    assert "mmap_read_lock(mm);" in lines["v5.8"] and "out: mmap_write_unlock(mm);" in lines["v5.8"]
    assert any("mmap_read_trylock(mm)" in line for line in lines["v5.8"])
    for vid in ("v4.8", "v5.4"):
        assert "down_read(&mm->mmap_sem);" in lines[vid] and not any("mmap_lock" in line for line in lines[vid])


def test_v5_8s_sentences_waits_and_lock_names_say_mmap_lock_and_v5_4s_mmap_sem():
    s = CATALOG[EXEC]
    for vid, name in (("v5.4", "mmap_sem"), ("v5.8", "mmap_lock")):
        state = engine.replay(s.initial(vid), engine.parse_schedule("ABK3")).final
        assert f"khugepaged waits for {name} (read)" in engine.narrate(state)
        assert engine.waiting_for(state, "K").startswith(f"{name} (read): held by A (write)")
        assert lock_name(MMAP_SEM, state.config.kernel) == name and state.config.kernel == vid
        other = {"mmap_sem": "mmap_lock", "mmap_lock": "mmap_sem"}[name]
        assert not any(other in e.text for st in engine.replay(s.initial(vid), engine.parse_schedule(BEFORE_K + "K10")).states
                       for e in st.last)


def test_rename_changes_only_the_mmap_lock_and_its_calls():
    assert rename("down_read(&mm->mmap_sem);", "v5.8") == "mmap_read_lock(mm);"
    assert rename("if (!down_read_trylock(&mm->mmap_sem)) goto breakouterloop_mmap_sem;", "v5.8") == \
        "if (!mmap_read_trylock(mm)) goto breakouterloop_mmap_lock;"
    assert rename("K calls up_read(mmap_sem) but does not hold it", "v5.8") == \
        "K calls mmap_read_unlock(mm) but does not hold it"
    assert rename("down_write, called from anon_vma_lock_write", "v5.8") == "down_write, called from anon_vma_lock_write"
    assert rename("down_read(&mm->mmap_sem);", "v5.4") == "down_read(&mm->mmap_sem);"
    assert lock_name(anon_vma_lock(1), "v5.8") == "anon_vma 1"
    assert [has_mmap_lock(k) for k in ("v4.8", "v5.4", "v5.8")] == [False, False, True]
    assert set(ERAS) == {"v4.8", "v5.4"}
