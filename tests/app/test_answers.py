"""The explorer's answers as JSON and links: what the API, the pages and the CLI print."""

from __future__ import annotations

import pytest

import engine
from app.answers import checks_json, explore_json
from app.links import run_href
from engine.checks import BASELINE, ChecksTable, why_checks
from engine.explore import EngineModel, explore, parse_goal

CATALOG = engine.catalog()


@pytest.fixture(scope="module")
def table() -> ChecksTable:
    return why_checks({sid: CATALOG[sid] for sid in ("mremap-shrink", "exit")})


def test_a_cell_carries_the_fewest_preemption_counterexample_as_a_player_link(table):
    cell = table.cell("v4.8-no-address-range", "mremap-shrink")
    (example,) = cell.counterexamples
    scenario = CATALOG["mremap-shrink"]
    assert example.key == "huge-pmd-outside-vma"
    assert (example.schedule, example.steps, example.preemptions) == ("AC2K3A8K40", 54, 0)
    assert run_href(example.run) == f"/s/mremap-shrink?v=v4.8-no-address-range&run=AC2K3A8K40&h={scenario.digest}"
    assert "huge pmd" in example.message


def test_table_json_names_each_check_and_its_cells(table):
    doc = checks_json(table)
    assert doc["scenarios"] == ["mremap-shrink", "exit"]
    first = doc["checks"][0]
    assert (first["ablation"], first["check"]) == ("v4.8-no-exit-test", "khugepaged_test_exit(mm)")
    assert first["needed"] is True
    assert [c["scenario"] for c in first["cells"]] == doc["scenarios"]


def test_explain_a_counterexample_gives_the_schedule_its_report_a_link_to_it_and_one_to_step_zero():
    scenario = CATALOG["realloc-file"]
    answer = explore(EngineModel(scenario.initial("v1-pointer-check")), parse_goal("any"))
    doc = explore_json(answer, scenario, "v1-pointer-check", seconds=0.01234)
    assert doc["verdict"] == "violation"
    assert doc["seconds"] == 0.012
    assert doc["steps"] == len(engine.parse_schedule(doc["schedule"]))
    assert doc["shortest_steps"] <= doc["steps"]
    assert set(doc["violation"]) == {"kind", "object", "step", "thread", "message"}
    assert doc["violation"]["step"] == doc["steps"]
    assert doc["link"] == f"/s/realloc-file?v=v1-pointer-check&run={doc['schedule']}&h={scenario.digest}"
    assert doc["start_link"] == f"/s/realloc-file?v=v1-pointer-check&h={scenario.digest}"


def test_explain_a_proof_has_counts_and_no_schedule():
    scenario = CATALOG["realloc-file"]
    answer = explore(EngineModel(scenario.initial(BASELINE)), parse_goal("any"))
    doc = explore_json(answer, scenario, BASELINE, seconds=0.5)
    assert (doc["verdict"], doc["bound"], doc["schedule"], doc["link"], doc["violation"]) == (
        "safe", None, None, None, None)
    assert doc["start_link"] is None
    assert doc["states"] == answer.states and doc["transitions"] == answer.transitions
