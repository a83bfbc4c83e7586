"""All 32 sets of v4.8's five checks: variants by name, and what the explorer says of them.

The rules: every subset is a variant wherever one is accepted, under one canonical id; a
set is safe only when a complete search finds no violation; the minimal safe sets are safe
and lose safety when any check is taken out; safety is not upward-closed, and the answers
say where.  The scenarios here are the catalog's quick ones (about 7 s for all of them).
"""

from __future__ import annotations

import pytest

import engine
from engine.checks import CheckSets, check_sets, minimal, safe_everywhere, set_result
from engine.errors import VariantError
from engine.explore import EngineModel, explore, parse_goal
from engine.programs.khugepaged import ALL_CHECKS
from engine.variants import CHECK_SETS, every_variant, variant, with_checks

CATALOG = engine.catalog()
QUICK = ("exit", "madvise-nohugepage", "mremap-shrink", "munmap-nothing-above", "munmap-reuse-above",
         "realloc-file", "rwsem-basics")


@pytest.fixture(scope="module")
def sets() -> dict[str, CheckSets]:
    return {sid: check_sets(CATALOG[sid]) for sid in QUICK}


# -- the variants --------------------------------------------------------------------------
def test_there_are_32_sets_smallest_first_and_each_is_a_variant_of_its_own():
    assert len(CHECK_SETS) == 32 == len(set(CHECK_SETS))
    assert [len(s) for s in CHECK_SETS] == sorted(len(s) for s in CHECK_SETS)
    ids = {with_checks(s).id for s in CHECK_SETS}
    assert len(ids) == 32
    assert {v.id for v in every_variant()} >= ids


@pytest.mark.parametrize("text, canonical", [
    ("v4.8[checks=pmd-recheck,vma-check]", "v4.8[checks=vma-check,pmd-recheck]"),
    ("v4.8[checks= vma-check , pmd-recheck ]", "v4.8[checks=vma-check,pmd-recheck]"),
    ("v4.8[checks=vma-check,vma-check]", "v4.8[checks=vma-check]"),
    ("v4.8[checks=]", "v4.8[checks=]"),
    ("v4.8[checks=pmd-recheck,vma-check,address-range,vma-null,exit-test]", "v4.8"),
    ("v4.8[checks=exit-test,vma-null,address-range,vma-check]", "v4.8-no-pmd-recheck"),
    ("v4.8[checks=exit-test,vma-null,vma-check,pmd-recheck]", "v4.8-no-address-range"),
    ("v4.8-no-vma-null", "v4.8-no-vma-null"),
])
def test_a_set_of_checks_names_one_variant_under_its_canonical_id(text, canonical):
    assert variant(text).id == canonical
    assert variant(canonical) is variant(text)


@pytest.mark.parametrize("text, words", [
    ("v4.8[checks=foo]", "unknown check 'foo'; the checks are exit-test"),
    ("v4.8[checks=exit]", "unknown check 'exit'"),
    ("v4.8[vma-check]", "unknown variant"),
    ("v4.7[checks=vma-check]", "or v4.8[checks=...] with any of"),
])
def test_a_bad_set_of_checks_is_an_error_naming_it(text, words):
    with pytest.raises(VariantError, match=words.replace("[", r"\[").replace(".", r"\.")):
        variant(text)


def test_each_ablation_is_v4_8_less_exactly_its_check_and_the_none_set_lacks_every_check_line():
    for vid in engine.ABLATIONS:
        (gone,) = engine.VARIANTS[vid].removed
        assert vid == f"v4.8-no-{gone.id}"
    lines = {line for c in engine.variants.diff("v4.8", "v4.8[checks=]") for line in c.old}
    for needle in ("khugepaged_test_exit", "if (!vma)", "address < hstart", "hugepage_vma_check", "mm_find_pmd(mm, address) != pmd"):
        assert any(needle in line for line in lines), needle
    assert not any(c.new and "hugepage_vma_check" in " ".join(c.new) for c in engine.variants.diff("v4.8", "v4.8[checks=]"))


def test_the_digest_covers_the_code_of_every_check_set():
    """A change to a line only a check set runs must change the scenario's digest."""
    import engine.scenario as sc
    scenario = CATALOG["realloc-file"]
    ids = tuple(v.id for v in every_variant("v4.8"))
    spec_digest = sc._digest(scenario.path.read_bytes(), scenario.paths, ids)
    assert spec_digest == scenario.digest
    assert sc._digest(scenario.path.read_bytes(), scenario.paths, ids[:-1]) != scenario.digest
    texts = {p.text for v in every_variant("v4.8") for path in scenario.paths for p in v.program(path).closure()}
    named = {p.text for vid in scenario.variant_ids for path in scenario.paths
             for p in engine.variant(vid).program(path).closure()}
    assert texts > named


# -- the answers ---------------------------------------------------------------------------
@pytest.mark.parametrize("sid", QUICK)
def test_each_answer_is_the_explorers_and_each_counterexample_replays_to_its_violation(sid, sets):
    scenario = CATALOG[sid]
    answers = sets[sid]
    assert [r.checks for r in answers.results] == list(CHECK_SETS) and answers.is_complete
    for r in answers.results:
        if r.status == "unsafe":
            final = engine.replay(scenario.initial(r.variant), r.counterexample.run.schedule).final
            assert final.violation is not None and final.violation.message == r.counterexample.message
        else:
            assert explore(EngineModel(scenario.initial(r.variant)), parse_goal("any")).verdict == "safe"


@pytest.mark.parametrize("sid", QUICK)
def test_minimal_sets_are_safe_and_taking_out_any_check_makes_them_unsafe(sid, sets):
    answers = sets[sid]
    assert answers.minimal
    for m in answers.minimal:
        assert answers.of(m).status == "safe"
        assert not any(answers.of(s).status == "safe" for s in CHECK_SETS if s < m)
    for m, check, r in answers.neighbours:
        assert check in m and r.checks == m - {check} and r.status == "unsafe"


def test_realloc_file_needs_hugepage_vma_check_or_the_pmd_recheck(sets):
    """The issue's example: removing either alone is safe, removing both is not."""
    answers = sets["realloc-file"]
    assert answers.needs == "needs hugepage_vma_check or the pmd recheck"
    assert answers.of(set(ALL_CHECKS) - {"vma-check"}).status == "safe"
    assert answers.of(set(ALL_CHECKS) - {"pmd-recheck"}).status == "safe"
    assert answers.of(set(ALL_CHECKS) - {"vma-check", "pmd-recheck"}).status == "unsafe"
    roles = {c: answers.role(c) for c in ALL_CHECKS}
    assert roles == {"exit-test": "not needed", "vma-null": "not needed", "address-range": "not needed",
                     "vma-check": "one way", "pmd-recheck": "one way"}


def test_a_check_alone_needed_is_needed(sets):
    assert sets["exit"].needs == "needs the exit test" and sets["exit"].role("exit-test") == "needed"
    assert sets["mremap-shrink"].role("address-range") == "needed"
    assert sets["madvise-nohugepage"].role("vma-check") == "needed"


def test_adding_a_check_that_dereferences_the_vma_breaks_a_safe_set(sets):
    """munmap-nothing-above: with only the pmd recheck khugepaged gives up safely; add the
    address-range test without the NULL test and it reads vm_start of NULL."""
    answers = sets["munmap-nothing-above"]
    assert answers.of({"pmd-recheck"}).status == "safe"
    broken = {(tuple(sorted(b.safe.checks)), b.added): b.unsafe for b in answers.breaks}
    unsafe = broken[(("pmd-recheck",), "address-range")]
    assert unsafe.counterexample.key == "null-deref"
    assert "hugepage_vma_revalidate" in unsafe.counterexample.message
    assert all(b.safe.status == "safe" and b.unsafe.status == "unsafe" and b.unsafe.checks == b.safe.checks | {b.added}
               for b in answers.breaks)
    assert not sets["realloc-file"].breaks


def test_munmap_then_mmap_above_needs_the_pmd_recheck_or_the_null_test_with_a_check_that_rejects(sets):
    """One thread unmaps, then maps above: between the calls find_vma is NULL, after them it
    is the VMA above.  The pmd recheck alone is the smallest fix; the range test alone is
    not, and with the pmd recheck but without the NULL test it dereferences NULL."""
    answers = sets["munmap-reuse-above"]
    assert answers.minimal == (frozenset({"pmd-recheck"}), frozenset({"vma-null", "address-range"}),
                               frozenset({"vma-null", "vma-check"}))
    assert answers.needs == ("needs the pmd recheck, or both the find_vma NULL test and the address-range test, "
                             "or both the find_vma NULL test and hugepage_vma_check")
    assert answers.of({"address-range"}).status == "unsafe"
    assert answers.of({"address-range", "pmd-recheck"}).counterexample.key == "null-deref"
    assert answers.role("vma-null") == "one way" and answers.role("exit-test") == "not needed"


def test_a_scenario_without_khugepaged_needs_no_check_and_shares_one_search(sets):
    answers = sets["rwsem-basics"]
    assert answers.minimal == (frozenset(),) and answers.needs == "needs none of the checks"
    assert len({r.states for r in answers.results}) == 1
    assert all(r.variant == with_checks(r.checks).id for r in answers.results)


def test_the_catalog_wide_minimum_comes_from_the_sets_safe_in_every_scenario(sets):
    """Over these seven the pmd recheck is never the only way, but the NULL test is needed
    because the address-range test would dereference NULL without it."""
    assert safe_everywhere(sets.values()) == (frozenset(ALL_CHECKS) - {"pmd-recheck"},)


def test_a_bound_makes_answers_unknown_and_says_so():
    scenario = CATALOG["realloc-file"]
    by_states = check_sets(scenario, max_states=10)
    assert {r.status for r in by_states.results} == {"unknown"} and by_states.bound == "max-states"
    assert by_states.minimal == () and by_states.needs.startswith("not known")
    by_time = set_result(scenario, frozenset(), out_of_time=lambda: True)
    assert (by_time.status, by_time.bound) == ("unknown", "time")


def test_minimal_keeps_only_sets_without_a_smaller_one_in_the_pool():
    a, ab, c = frozenset({"vma-null"}), frozenset({"vma-null", "vma-check"}), frozenset({"pmd-recheck"})
    assert minimal([ab, a, c]) == (a, c)
    assert minimal([]) == ()
