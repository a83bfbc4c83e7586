"""One rule for (scenario, variant, digest), on the pages and in the API alike."""

import pytest

import engine

from tests.app.conftest import SCENARIO, V1

PLAYER = f"/s/{SCENARIO}"
REPLAY = f"/api/scenarios/{SCENARIO}/replay"
EXPLORE_PAGE = f"/s/{SCENARIO}/explore"
EXPLORE_API = f"/api/scenarios/{SCENARIO}/explore"
RUN_TO = f"/s/{SCENARIO}/run"
COMPARE = f"/s/{SCENARIO}/compare"


@pytest.mark.parametrize("path", ["/s/nope", "/s/nope/run", "/s/nope/compare", "/s/nope/explore",
                                  "/s/nope/checks", "/api/scenarios/nope", "/api/scenarios/nope/replay?v=v4.8",
                                  "/api/scenarios/nope/explore", "/api/scenarios/nope/checks"])
def test_an_unknown_scenario_is_404_everywhere(client, path):
    r = client.get(path)
    assert r.status_code == 404
    said = r.json()["detail"] if path.startswith("/api/") else r.text.replace("&#39;", "'").lower()
    assert "unknown scenario 'nope'" in said


def test_an_unknown_variant_is_a_404_page_and_a_400_in_the_api_naming_the_variants(client):
    page = client.get(PLAYER, params={"v": "v9", "run": "C2"})
    api = client.get(REPLAY, params={"v": "v9", "run": "C2"})
    assert (page.status_code, api.status_code) == (404, 400)
    assert page.template.name == "error.html" and "'v9'" in page.context["message"]
    hrefs = [href for _, href in page.context["links"]]
    assert len(hrefs) == len(engine.variants.era_variants("v4.8")) and all("run=C2" in href for href in hrefs)
    assert "unknown variant 'v9'; the v4.8 era's variants are v1-pointer-check" in api.json()["detail"]
    assert "or v4.8[checks=...] with any of exit-test" in api.json()["detail"]


@pytest.mark.parametrize("path", [RUN_TO, EXPLORE_PAGE])
def test_other_pages_refuse_an_unknown_variant_the_same_way(client, path):
    assert client.get(path, params={"v": "v9"}).status_code == 404


def test_compare_refuses_an_unknown_variant_on_either_side(client):
    assert client.get(COMPARE, params={"a": V1, "b": "v9"}).status_code == 404
    assert client.get(COMPARE, params={"a": "v9", "b": V1}).status_code == 404


@pytest.mark.parametrize("path, params", [(PLAYER, {"v": V1}), (RUN_TO, {"v": V1, "t": "K"}),
                                          (COMPARE, {}), (REPLAY, {"v": V1}), (EXPLORE_API, {"v": V1}),
                                          (EXPLORE_PAGE, {"v": V1})])
def test_a_digest_of_another_version_is_409_everywhere(client, path, params):
    r = client.get(path, params={**params, "h": "0000000000"})
    assert r.status_code == 409


def test_a_stale_page_offers_the_same_link_on_the_current_version(client, digest):
    r = client.get(RUN_TO, params={"v": V1, "run": "C2", "h": "0000000000"})
    assert r.template.name == "stale.html"
    assert r.context["current_href"] == f"/s/{SCENARIO}?v={V1}&run=C2&h={digest}"
    r = client.get(COMPARE, params={"a": V1, "b": "v4.8", "h": "0000000000"})
    pair_digest = engine.catalog()[SCENARIO].link_digest(V1, "v4.8")
    assert r.context["current_href"] == f"/s/{SCENARIO}/compare?a={V1}&b=v4.8&h={pair_digest}"


@pytest.mark.parametrize("path, params", [(PLAYER, {"v": V1}), (COMPARE, {}), (REPLAY, {"v": V1}),
                                          (EXPLORE_API, {"v": "v4.8"}), (EXPLORE_PAGE, {"v": "v4.8"})])
def test_an_empty_digest_is_no_digest_and_is_accepted_everywhere(client, path, params):
    assert client.get(path, params={**params, "h": ""}).status_code == 200


def test_the_current_digest_is_accepted(client, digest):
    assert client.get(PLAYER, params={"v": V1, "h": digest}).status_code == 200
    assert client.get(REPLAY, params={"v": V1, "h": digest}).status_code == 200


def test_an_unknown_variant_is_named_before_a_stale_digest(client):
    assert client.get(PLAYER, params={"v": "v9", "h": "0000000000"}).status_code == 404
    assert client.get(REPLAY, params={"v": "v9", "h": "0000000000"}).status_code == 400
