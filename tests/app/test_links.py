"""Every link builder: canonical run-length schedules, no ``run`` at step 0, the digest."""

import pytest

import engine
from app import links

CATALOG = engine.catalog()
S = CATALOG["realloc-file"]
V1 = "v1-pointer-check"
TIDS = tuple("CCKKKA")


def test_run_href_writes_the_schedule_in_run_length_form_with_the_digest():
    assert links.run_href(S.ref(V1, TIDS)) == f"/s/realloc-file?v={V1}&run=C2K3A&h={S.link_digest(V1)}"


def test_player_href_at_step_0_carries_no_run():
    assert links.player_href(S, V1, ()) == f"/s/realloc-file?v={V1}&h={S.link_digest(V1)}"
    assert links.player_href(S, V1, list(TIDS)) == links.run_href(S.ref(V1, TIDS))


def test_raw_player_href_keeps_the_schedule_as_typed():
    assert links.raw_player_href(S, "v4.8", "CCK0") == f"/s/realloc-file?v=v4.8&run=CCK0&h={S.link_digest('v4.8')}"
    assert "run=" not in links.raw_player_href(S, "v4.8", "")


def test_run_to_href_names_the_mode_and_the_thread():
    assert links.run_to_href(S, V1, TIDS, "lock", "K") == (
        f"/s/realloc-file/run?v={V1}&run=C2K3A&h={S.link_digest(V1)}&to=lock&t=K")
    assert links.run_to_href(S, V1, (), "end") == f"/s/realloc-file/run?v={V1}&h={S.link_digest(V1)}&to=end"


def test_compare_href_names_both_variants():
    assert links.compare_href(S, V1, "v4.8", TIDS) == (
        f"/s/realloc-file/compare?a={V1}&b=v4.8&run=C2K3A&h={S.link_digest(V1, 'v4.8')}")
    assert "run=" not in links.compare_href(S, V1, "v4.8", ())


@pytest.mark.parametrize("build, scenario, expected", [
    (links.catalog_href, None, "/"),
    (links.checks_href, None, "/checks"),
    (links.checks_href, S, "/s/realloc-file/checks"),
    (links.checks_api_href, None, "/api/checks"),
    (links.checks_api_href, S, "/api/scenarios/realloc-file/checks"),
    (links.explore_href, S, "/s/realloc-file/explore"),
    (links.explore_cancel_href, S, "/s/realloc-file/explore/cancel"),
])
def test_page_links_name_the_scenario(build, scenario, expected):
    assert (build(scenario) if scenario is not None else build()) == expected


def test_replay_api_href_is_the_player_links_json_twin():
    assert links.replay_api_href(S, V1, TIDS) == f"/api/scenarios/realloc-file/replay?v={V1}&run=C2K3A"
    assert links.replay_api_href(S, V1, ()) == f"/api/scenarios/realloc-file/replay?v={V1}"


def test_a_schedule_with_odd_characters_is_escaped():
    assert links.raw_player_href(S, V1, "K&h=x") == f"/s/realloc-file?v={V1}&run=K%26h%3Dx&h={S.link_digest(V1)}"


def test_guide_links_go_to_a_page_and_its_anchor():
    assert links.guide_href("model") == "/guide/model"
    assert links.guide_href("authoring", "witness") == "/guide/authoring#witness"
    with pytest.raises(ValueError, match="no guide 'nope'"):
        links.guide_href("nope")


@pytest.mark.parametrize("case, expected", [("C2", "/guide/model#c2"), ("C12", "/guide/model#c12"),
                                            ("§5.1", ""), ("", ""), ("C", "")])
def test_a_case_links_to_its_lower_case_anchor(case, expected):
    assert links.case_href(case) == expected
