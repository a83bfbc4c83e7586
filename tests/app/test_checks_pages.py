"""The why-checks pages and API: background searches, polling, the 32 sets, and check sets
as variants everywhere a variant is accepted.

The app here serves two quick catalog scenarios only (``builtin=False``), so its background
worker finishes all 64 searches in a few seconds.
"""

from __future__ import annotations

import html
import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

import engine
from tests.app.conftest import ready
from app.main import create_app
from app.search import RETRY_AFTER_SECONDS

QUICK = ("realloc-file", "munmap-nothing-above")
HX = {"HX-Request": "true"}
CATALOG = engine.catalog()


def _app(folder):
    for sid in QUICK:
        (folder / f"{sid}.toml").write_bytes(CATALOG[sid].path.read_bytes())
    return create_app(folder, builtin=False)


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    app = _app(tmp_path_factory.mktemp("quick"))
    yield TestClient(app)
    app.state.searches.close()


def test_the_first_ask_is_202_with_retry_after_and_what_is_still_computing(tmp_path):
    app = _app(tmp_path)
    try:
        client = TestClient(app)
        r = client.get("/api/checks")
        page = client.get("/checks")
    finally:
        app.state.searches.close()
    assert r.status_code == 202 and r.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    body = r.json()
    assert body["status"] == "computing" and sorted(body["computing"] + body["ready"]) == sorted(QUICK)
    assert page.status_code == 200
    assert 'hx-trigger="every 2s"' in page.text and "of 2\n  scenarios done" in page.text


def test_a_scenarios_answer_names_its_minimal_sets_and_links_each_counterexample(quick):
    data = ready(quick, "/api/scenarios/realloc-file/checks")
    assert data["needs"] == "needs hugepage_vma_check or the pmd recheck"
    assert data["minimal"] == [["vma-check"], ["pmd-recheck"]] and data["complete"] is True
    assert len(data["sets"]) == 32
    (one, other) = data["without"]
    assert one["removed"] == "vma-check" and one["variant"] == "v4.8[checks=]"
    link = one["counterexample"]["link"]
    assert link.startswith("/s/realloc-file?v=v4.8%5Bchecks%3D%5D&run=")
    player = quick.get(link)
    assert player.status_code == 200 and html.escape(one["counterexample"]["message"], quote=False) in player.text


def test_the_catalog_answer_gives_the_sets_safe_everywhere(quick):
    data = ready(quick, "/api/checks")
    assert [s["scenario"] for s in data["scenarios"]] == sorted(QUICK)
    assert [c["id"] for c in data["checks"]] == list(engine.variants.ALL_CHECKS)
    # realloc-file needs vma-check or the pmd recheck; munmap-nothing-above the NULL test or
    # the pmd recheck, where vma-check without the NULL test dereferences NULL.
    assert data["everywhere"] == [["pmd-recheck"], ["vma-null", "vma-check"]]


def test_the_ready_pages_show_needs_roles_breaks_and_all_32_sets_and_stop_polling(quick):
    ready(quick, "/api/checks")
    catalog = quick.get("/checks")
    assert catalog.template.name == "checks.html" and "hx-trigger" not in catalog.text
    assert catalog.text.count('<th scope="row">') == 2
    assert "needs hugepage_vma_check or the pmd recheck" in catalog.text
    assert 'class="cell one-way"' in catalog.text and 'href="/s/munmap-nothing-above/checks#breaks"' in catalog.text
    page = quick.get("/s/munmap-nothing-above/checks")
    assert page.template.name == "checks_scenario.html"
    assert 'id="breaks"' in page.text and "Adding a check can break a safe set" in page.text
    assert page.text.count("<tr class=") == 32
    fragment = quick.get("/s/munmap-nothing-above/checks", headers=HX)
    assert fragment.text.lstrip().startswith('<div id="stage"') and "<html" not in fragment.text


def test_an_unknown_scenario_is_a_404_on_every_checks_face(quick):
    for path in ("/s/no-such/checks", "/api/scenarios/no-such/checks"):
        assert quick.get(path).status_code == 404


# -- check sets as variants ----------------------------------------------------------------
def test_the_player_takes_a_check_set_in_any_order_and_links_it_canonically(quick):
    r = quick.get("/s/realloc-file", params={"v": "v4.8[checks=pmd-recheck,vma-check]"})
    assert r.status_code == 200
    assert "v4.8 without the exit test, the find_vma NULL test and the address-range test" in r.text
    assert "v=v4.8%5Bchecks%3Dvma-check%2Cpmd-recheck%5D" in r.text
    assert "not declared" in r.text


@pytest.mark.parametrize("path", ["/api/scenarios/realloc-file/replay", "/api/scenarios/realloc-file/explore"])
def test_the_api_takes_a_check_set_and_answers_under_its_canonical_id(quick, path):
    r = quick.get(path, params={"v": "v4.8[checks=address-range, exit-test]", "run": ""})
    assert r.status_code == 200, r.text
    assert r.json()["variant"] == "v4.8[checks=exit-test,address-range]"


def test_compare_and_diff_take_check_sets(quick):
    r = quick.get("/s/realloc-file/compare", params={"a": "v4.8", "b": "v4.8[checks=]"})
    assert r.status_code == 200 and "<option selected>v4.8[checks=]</option>" in r.text
    diff = quick.get("/api/variants/v4.8/diff/v4.8[checks=vma-check,pmd-recheck]").json()
    assert {c["function"] for c in diff} == {"hugepage_vma_revalidate"}


@pytest.mark.parametrize("path, params, status", [
    ("/s/realloc-file", {"v": "v4.8[checks=exit]"}, 404),
    ("/api/scenarios/realloc-file/replay", {"v": "v4.8[checks=exit]", "run": ""}, 400),
    ("/api/variants/v4.8/diff/v4.8[checks=exit]", {}, 404),
])
def test_an_unknown_check_is_refused_with_a_sentence_naming_it(quick, path, params, status):
    r = quick.get(path, params=params)
    assert r.status_code == status
    assert "unknown check 'exit'; the checks are exit-test, vma-null" in html.unescape(r.text)


def test_the_scenario_page_form_opens_the_player_on_the_ticked_checks(quick):
    ready(quick, "/api/scenarios/realloc-file/checks")
    page = quick.get("/s/realloc-file/checks")
    assert 'action="/s/realloc-file/with-checks"' in page.text and page.text.count('name="c"') == 5
    r = quick.get("/s/realloc-file/with-checks", params=[("c", "pmd-recheck"), ("c", "exit-test")],
                  follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/s/realloc-file?v=v4.8%5Bchecks%3Dexit-test%2Cpmd-recheck%5D")
    none = quick.get("/s/realloc-file/with-checks", follow_redirects=False)
    assert none.headers["location"].startswith("/s/realloc-file?v=v4.8%5Bchecks%3D%5D")
    bad = quick.get("/s/realloc-file/with-checks", params={"c": "exit"})
    assert bad.status_code == 400 and "Unknown check 'exit'; the checks are exit-test" in html.unescape(bad.text)
