"""The catalog's declared verdicts against complete searches, and the why-checks table.

Every scenario declares, per variant, the violations reachable (with a witness) or none.
These tests hold the declarations to the explorer: each declared violation is found and its
counterexample replays to it; nothing undeclared is reachable; v4.8 is proved safe; the
ablation table lists exactly what each scenario declares beyond v4.8; every check is
needed somewhere. The searches run once per module (about 20 s for the catalog).
"""

from __future__ import annotations

import pytest

import engine
from engine.checks import (
    BASELINE, ChecksTable, combine, reach, violation_keys, why_checks,
)
from engine.explore import EngineModel, explore, parse_goal

CATALOG = engine.catalog()
WHOLE = ("v1-pointer-check", "v4.8-rc-stale-vma", BASELINE)  # the variants that are not ablations


def _declared(sid: str, vid: str) -> frozenset[str]:
    return frozenset(CATALOG[sid].spec.expect[vid])


@pytest.fixture(scope="module")
def table() -> ChecksTable:
    return why_checks(CATALOG)


@pytest.fixture(scope="module")
def reached() -> dict[tuple[str, str], engine.checks.Reach]:
    return {(sid, vid): reach(s, vid) for sid, s in CATALOG.items() for vid in WHOLE}


@pytest.fixture(scope="module")
def schedules(table: ChecksTable) -> dict[tuple[str, str, str], str]:
    """(scenario, variant, key) -> the explorer's counterexample for every declared key:
    ablations from the table, the other variants from explore() with that goal."""
    out = {(c.scenario, c.ablation, x.key): x.schedule for c in table.cells for x in c.counterexamples}
    for sid, s in CATALOG.items():
        for vid in WHOLE:
            for key in _declared(sid, vid):
                found = explore(EngineModel(s.initial(vid)), parse_goal(key))
                assert found.is_found, f"{sid} {vid}: explore found no {key}: {found.verdict}"
                out[(sid, vid, key)] = engine.format_schedule(found.schedule)
    return out


@pytest.mark.parametrize("sid", sorted(CATALOG))
def test_every_declared_violation_is_found_and_its_counterexample_replays_to_it(sid, schedules):
    scenario = CATALOG[sid]
    for vid in engine.VARIANT_IDS:
        for key in _declared(sid, vid):
            schedule = schedules.get((sid, vid, key))
            assert schedule is not None, f"{sid} {vid}: no counterexample for declared {key}"
            final = engine.replay(scenario.initial(vid), engine.parse_schedule(schedule)).final
            assert final.violation is not None, f"{sid} {vid} {schedule}: no violation"
            kind, _, obj = key.partition(":")
            assert (final.violation.kind, final.violation.object or "") == (kind, obj)


@pytest.mark.parametrize("sid", sorted(CATALOG))
def test_every_variant_reaches_exactly_the_declared_violations(sid, reached, table):
    baseline = reached[(sid, BASELINE)]
    for vid in WHOLE:
        assert reached[(sid, vid)].is_complete, f"{sid} {vid}: search hit {reached[(sid, vid)].bound}"
        assert reached[(sid, vid)].keys == _declared(sid, vid), f"{sid} {vid}"
    for ablation in engine.ABLATIONS:
        cell = table.cell(ablation, sid)
        assert cell.status != "incomplete", f"{sid} {ablation}: search hit {cell.bound}"
        assert cell.keys | baseline.keys == _declared(sid, ablation), f"{sid} {ablation}"


@pytest.mark.parametrize("sid", sorted(CATALOG))
def test_v4_8_is_proved_safe_by_a_complete_search(sid):
    answer = explore(EngineModel(CATALOG[sid].initial(BASELINE)), parse_goal("any"))
    assert (answer.verdict, answer.bound) == ("safe", None)
    assert answer.states > 1


@pytest.mark.parametrize("sid", sorted(CATALOG))
def test_each_ablation_cell_lists_what_the_scenario_declares_beyond_v4_8(sid, table):
    for ablation in engine.ABLATIONS:
        expected = _declared(sid, ablation) - _declared(sid, BASELINE)
        cell = table.cell(ablation, sid)
        assert cell.keys == expected, f"{sid} {ablation}"
        assert cell.status == ("needed" if expected else "not needed here")


@pytest.mark.parametrize("ablation", engine.ABLATIONS)
def test_each_check_is_needed_somewhere_in_the_catalog(ablation, table):
    assert table.is_needed(ablation), f"{engine.VARIANTS[ablation].removed}: {table.summary(ablation)}"
    assert table.summary(ablation).startswith("needed: without it")


def test_a_check_needed_by_no_scenario_is_reported_as_needed_nowhere():
    only = why_checks({"rwsem-basics": CATALOG["rwsem-basics"]})
    for ablation in engine.ABLATIONS:
        assert not only.is_needed(ablation)
        assert only.cell(ablation, "rwsem-basics").status == "not needed here"
        assert only.summary(ablation).startswith("needed nowhere")


def test_a_search_stopped_by_a_bound_gives_incomplete_cells_that_name_it():
    scenarios = {"realloc-file": CATALOG["realloc-file"]}
    by_states = why_checks(scenarios, max_states=10)
    by_time = why_checks(scenarios, out_of_time=lambda: True)
    for ablation in engine.ABLATIONS:
        assert by_states.cell(ablation, "realloc-file").bound == "max-states"
        assert by_time.cell(ablation, "realloc-file").bound == "time"
        assert by_time.cell(ablation, "realloc-file").status == "incomplete"
    assert by_time.summary(engine.ABLATIONS[0]).startswith("not shown to be needed")


def test_tables_combine_column_by_column():
    one = why_checks({"realloc-file": CATALOG["realloc-file"]}, max_states=10)
    two = why_checks({"exit": CATALOG["exit"]}, max_states=10)
    both = combine([one, two])
    assert both.scenarios == ("realloc-file", "exit")
    assert both.cell(engine.ABLATIONS[0], "exit") == two.cell(engine.ABLATIONS[0], "exit")


def test_violation_keys_keep_a_bare_kind_only_when_no_key_names_its_object():
    found = {"use-after-free": ("A",), "use-after-free:page-table": ("A",), "bug-on": ("K",)}
    assert violation_keys(found) == {"use-after-free:page-table", "bug-on"}
