"""The explorer's answers as JSON and links: what the API, the pages and the CLI print."""

from __future__ import annotations

import pytest

import engine
from app.answers import check_sets_json, checks_json, explore_json
from app.links import run_href
from engine.checks import BASELINE, CheckSets, check_sets
from engine.programs.khugepaged import ALL_CHECKS
from engine.explore import EngineModel, explore, parse_goal

CATALOG = engine.catalog()


@pytest.fixture(scope="module")
def sets() -> CheckSets:
    return check_sets(CATALOG["mremap-shrink"])


def test_a_set_carries_the_fewest_preemption_counterexample_as_a_player_link(sets):
    r = sets.of(set(ALL_CHECKS) - {"address-range"})
    example = r.counterexample
    scenario = CATALOG["mremap-shrink"]
    assert (r.variant, r.status, example.key) == ("v4.8-no-address-range", "unsafe", "huge-pmd-outside-vma")
    assert (example.schedule, example.steps, example.preemptions) == ("AC2K3A8K40", 54, 0)
    assert run_href(example.run) == f"/s/mremap-shrink?v=v4.8-no-address-range&run=AC2K3A8K40&h={scenario.link_digest('v4.8-no-address-range')}"
    assert "huge pmd" in example.message


def test_check_sets_json_says_what_the_scenario_needs_and_lists_all_32_sets(sets):
    doc = check_sets_json(sets)
    assert doc["needs"] == "needs the address-range test" and doc["minimal"] == [["address-range"]]
    assert doc["roles"]["address-range"] == "needed" and doc["roles"]["vma-check"] == "not needed"
    assert [s["checks"] for s in doc["sets"]][:2] == [[], ["exit-test"]]
    (without,) = doc["without"]
    assert (without["removed"], without["checks"], without["status"]) == ("address-range", [], "unsafe")
    assert without["counterexample"]["link"].startswith("/s/mremap-shrink?v=v4.8%5Bchecks%3D%5D&run=")


def test_checks_json_names_each_check_by_id_code_and_name(sets):
    doc = checks_json([sets])
    assert doc["checks"][0] == {"id": "exit-test", "code": "khugepaged_test_exit(mm)", "name": "the exit test"}
    assert doc["everywhere"] == [["address-range"]]
    assert [s["scenario"] for s in doc["scenarios"]] == ["mremap-shrink"]


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
    assert doc["link"] == f"/s/realloc-file?v=v1-pointer-check&run={doc['schedule']}&h={scenario.link_digest('v1-pointer-check')}"
    assert doc["start_link"] == f"/s/realloc-file?v=v1-pointer-check&h={scenario.link_digest('v1-pointer-check')}"


def test_explain_a_proof_has_counts_and_no_schedule():
    scenario = CATALOG["realloc-file"]
    answer = explore(EngineModel(scenario.initial(BASELINE)), parse_goal("any"))
    doc = explore_json(answer, scenario, BASELINE, seconds=0.5)
    assert (doc["verdict"], doc["bound"], doc["schedule"], doc["link"], doc["violation"]) == (
        "safe", None, None, None, None)
    assert doc["start_link"] is None
    assert doc["states"] == answer.states and doc["transitions"] == answer.transitions
