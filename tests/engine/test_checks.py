"""The catalog's declared verdicts against complete searches.

Every scenario declares, per variant, the violations reachable (with a witness) or none.
These tests hold the declarations to the explorer: each declared violation is found and its
counterexample replays to it; nothing undeclared is reachable; each era's fixed kernel (v4.8,
v5.8) is proved safe; each check, removed alone, breaks some scenario.  Each scenario is
asked about the variants of its own era.  The searches run once per module.  The 32
check sets are tested in test_check_sets.py.
"""

from __future__ import annotations

import pytest

import engine
from engine.checks import BASELINE, reach, violation_keys
from engine.explore import EngineModel, explore, parse_goal

CATALOG = engine.catalog()


def _declared(sid: str, vid: str) -> frozenset[str]:
    return frozenset(CATALOG[sid].spec.expect[vid])


@pytest.fixture(scope="module")
def reached() -> dict[tuple[str, str], engine.checks.Reach]:
    return {(sid, vid): reach(s, vid) for sid, s in CATALOG.items() for vid in s.variant_ids}


@pytest.fixture(scope="module")
def schedules() -> dict[tuple[str, str, str], str]:
    """(scenario, variant, key) -> the explorer's counterexample for every declared key."""
    out = {}
    for sid, s in CATALOG.items():
        for vid in s.variant_ids:
            for key in _declared(sid, vid):
                found = explore(EngineModel(s.initial(vid)), parse_goal(key))
                assert found.is_found, f"{sid} {vid}: explore found no {key}: {found.verdict}"
                out[(sid, vid, key)] = engine.format_schedule(found.schedule)
    return out


@pytest.mark.parametrize("sid", sorted(CATALOG))
def test_every_declared_violation_is_found_and_its_counterexample_replays_to_it(sid, schedules):
    scenario = CATALOG[sid]
    for vid in scenario.variant_ids:
        for key in _declared(sid, vid):
            schedule = schedules.get((sid, vid, key))
            assert schedule is not None, f"{sid} {vid}: no counterexample for declared {key}"
            final = engine.replay(scenario.initial(vid), engine.parse_schedule(schedule)).final
            assert final.violation is not None, f"{sid} {vid} {schedule}: no violation"
            kind, _, obj = key.partition(":")
            assert (final.violation.kind, final.violation.object or "") == (kind, obj)


@pytest.mark.parametrize("sid", sorted(CATALOG))
def test_every_variant_reaches_exactly_the_declared_violations(sid, reached):
    for vid in CATALOG[sid].variant_ids:
        assert reached[(sid, vid)].is_complete, f"{sid} {vid}: search hit {reached[(sid, vid)].bound}"
        assert reached[(sid, vid)].keys == _declared(sid, vid), f"{sid} {vid}"


@pytest.mark.parametrize("sid", sorted(CATALOG))
def test_the_eras_fixed_kernel_is_proved_safe_by_a_complete_search(sid):
    answer = explore(EngineModel(CATALOG[sid].initial(CATALOG[sid].era.baseline)), parse_goal("any"))
    assert (answer.verdict, answer.bound) == ("safe", None)
    assert answer.states > 1


@pytest.mark.parametrize("ablation", engine.ABLATIONS)
def test_each_check_once_removed_lets_some_scenario_reach_what_v4_8_never_does(ablation, reached):
    broken = [sid for sid, s in CATALOG.items() if s.era.id == BASELINE
              and reached[(sid, ablation)].keys - reached[(sid, BASELINE)].keys]
    assert broken, f"removing {engine.VARIANTS[ablation].removed[0].code} breaks no catalog scenario"


def test_violation_keys_keep_a_bare_kind_only_when_no_key_names_its_object():
    found = {"use-after-free": ("A",), "use-after-free:page-table": ("A",), "bug-on": ("K",)}
    assert violation_keys(found) == {"use-after-free:page-table", "bug-on"}
