"""The app by era: each scenario shows, accepts and links only its era's variants; v5.8's
runs read mmap_lock and v4.8's mmap_sem (with one note of the modern name); the why-checks
pages leave a later era's scenario out with a sentence instead of a dead end.

The app here serves realloc-file and realloc-file-exec only (``builtin=False``), so the
background check sets (32 searches, of realloc-file alone) finish in seconds.
"""

from __future__ import annotations

import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

import engine
from app import views
from app.main import create_app
from tests.app.conftest import ready

CATALOG = engine.catalog()
EXEC, FILE = "realloc-file-exec", "realloc-file"
V48 = engine.variants.era_variants("v4.8")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    folder = tmp_path_factory.mktemp("eras")
    for sid in (FILE, EXEC):
        (folder / f"{sid}.toml").write_bytes(CATALOG[sid].path.read_bytes())
    app = create_app(folder, builtin=False)
    yield TestClient(app)
    app.state.searches.close()


# -- variants by era --------------------------------------------------------------------------
def test_the_catalog_lists_each_scenarios_own_eras_variants(client):
    cards = {c.id: c for c in client.get("/").context["cards"]}
    assert [v.id for v in cards[EXEC].variants] == ["v5.4", "v5.8"]
    assert [v.id for v in cards[FILE].variants] == list(V48)
    assert cards[EXEC].href.startswith(f"/s/{EXEC}?v=v5.4") and cards[EXEC].kernel == "v5.4"
    assert [v.verdict for v in cards[EXEC].variants] == ["null-deref", "safe"]


def test_a_player_link_without_a_variant_opens_the_eras_first_and_its_menu_is_the_eras(client):
    p = client.get(f"/s/{EXEC}").context["p"]
    assert p.variant.id == "v5.4" and [v.id for v in p.variants] == ["v5.4", "v5.8"]
    assert "a=v5.4&b=v5.8" in p.compare_href
    assert client.get(f"/s/{FILE}").context["p"].variant.id == "v1-pointer-check"


@pytest.mark.parametrize("sid, vid, era_variants", [(EXEC, "v4.8", ("v5.4", "v5.8")), (FILE, "v5.4", V48),
                                                    (EXEC, "v4.8[checks=vma-check]", ("v5.4", "v5.8"))])
def test_a_variant_of_another_era_is_a_404_page_and_a_400_in_the_api_naming_the_eras_variants(
        client, sid, vid, era_variants):
    page = client.get(f"/s/{sid}", params={"v": vid, "run": "AB"})
    api = client.get(f"/api/scenarios/{sid}/replay", params={"v": vid, "run": "AB"})
    assert (page.status_code, api.status_code) == (404, 400)
    assert page.context["title"] == "Variant of another era" and api.json()["title"] == "Variant of another era"
    hrefs = [href for _, href in page.context["links"]]
    assert [h.split("v=")[1].split("&")[0] for h in hrefs] == list(era_variants) and all("run=AB" in h for h in hrefs)
    era = engine.variant(vid).era
    assert f"is of the {era} era" in api.json()["detail"] and ", ".join(era_variants) in api.json()["detail"]


@pytest.mark.parametrize("path", [f"/s/{EXEC}/compare?a=v4.8", f"/s/{EXEC}/explore?v=v1-pointer-check",
                                  f"/api/scenarios/{EXEC}/explore?v=v4.8", f"/s/{FILE}/compare?b=v5.8",
                                  f"/s/{EXEC}/run?v=v4.8&t=K"])
def test_every_face_refuses_another_eras_variant(client, path):
    assert client.get(path).status_code in (400, 404)


def test_compare_and_the_explorer_default_to_the_eras_variants(client):
    c = client.get(f"/s/{EXEC}/compare").context["c"]
    assert (c.a.variant.id, c.b.variant.id, c.variants) == ("v5.4", "v5.8", ["v5.4", "v5.8"])
    assert any(ch.kind == "added" and "Anon VMA expected" in ch.new[0] for ch in c.code_changes)
    x = client.get(f"/s/{EXEC}/explore").context["x"]
    assert x.search.variant == "v5.8" and x.variants == ("v5.4", "v5.8") and x.answer["verdict"] == "safe"
    found = client.get(f"/api/scenarios/{EXEC}/explore", params={"v": "v5.4"}).json()
    assert (found["schedule"], found["violation"]["kind"]) == ("ABK3A9B7K26", "null-deref")


def test_the_api_lists_each_scenarios_variants_and_their_digests(client):
    data = {d["id"]: d for d in client.get("/api/scenarios").json()}
    assert data[EXEC]["variants"] == ["v5.4", "v5.8"] and set(data[EXEC]["link_digests"]) == {"v5.4", "v5.8"}
    assert data[FILE]["variants"] == list(V48)


# -- names by era -----------------------------------------------------------------------------
def test_v5_8_shows_mmap_lock_in_code_sentences_locks_and_timeline_and_v4_8_mmap_sem(client):
    r = client.get(f"/s/{EXEC}", params={"v": "v5.8", "run": "ABK3"})
    p = r.context["p"]
    assert "· Linux v5.8)" in r.text and p.variant.kernel == "v5.8"
    assert p.locks[0].name == "mmap_lock" and p.locks[0].note == ""
    assert "mmap_lock (read)" in p.narration and "mmap_sem" not in p.narration
    k = next(t for t in p.threads if t.tid == "K")
    code = [line.text for f in k.frames for line in f.code]
    assert "mmap_read_lock(mm);" in code and not any("mmap_sem" in line for line in code)
    assert all("mmap_sem" not in b.title for b in p.timeline.bars) and any("mmap_lock" in b.title for b in p.timeline.bars)
    assert "Called mmap_sem before Linux 5.8" in p.glossary["mmap_sem"]
    old = client.get(f"/s/{FILE}", params={"v": "v4.8", "run": "AK3"}).context["p"]
    assert old.locks[0].name == "mmap_sem" and old.locks[0].note == "mmap_lock from v5.8"
    assert "mmap_sem" in old.narration and "Called mmap_lock since Linux 5.8" in old.glossary["mmap_sem"]


def test_the_api_replay_of_v5_8_reads_mmap_lock(client):
    data = client.get(f"/api/scenarios/{EXEC}/replay", params={"v": "v5.8", "run": "ABK3"}).json()
    k = next(t for t in data["threads"] if t["id"] == "K")
    assert (k["line"], k["waiting_for"]) == ("mmap_read_lock(mm);", "mmap_lock (read)")
    v54 = client.get(f"/api/scenarios/{EXEC}/replay", params={"v": "v5.4", "run": "ABK3"}).json()
    assert next(t for t in v54["threads"] if t["id"] == "K")["line"] == "down_read(&mm->mmap_sem);"


# -- the why-checks pages ---------------------------------------------------------------------
def test_the_checks_pages_leave_a_later_eras_scenario_out_with_a_sentence(client):
    data = ready(client, "/api/checks")
    assert [s["scenario"] for s in data["scenarios"]] == [FILE]
    assert [d["scenario"] for d in data["left_out"]] == [EXEC] and "v4.8[checks=...]" in data["left_out"][0]["why"]
    page = client.get("/checks")
    assert page.status_code == 200 and [left.card.id for left in page.context["page"].left] == [EXEC]
    assert "Scenarios of later eras" in page.text and page.text.count('<th scope="row">') == 1


def test_a_later_eras_own_checks_page_explains_instead_of_a_dead_end(client):
    page = client.get(f"/s/{EXEC}/checks")
    assert page.status_code == 200 and page.template.name == "checks_era.html"
    assert "32 sets of checks are sets of v4.8&#39;s five checks" in page.text and "compare" in page.text
    for path in (f"/api/scenarios/{EXEC}/checks", f"/s/{EXEC}/with-checks?c=vma-check"):
        r = client.get(path)
        assert r.status_code == 404 and "v4.8-era scenarios" in r.text


def test_a_later_eras_check_sets_are_never_searched(client):
    assert not engine.checks.has_check_sets(CATALOG[EXEC]) and engine.checks.has_check_sets(CATALOG[FILE])
    assert client.app.state.searches.check_sets is not None
    with pytest.raises(engine.VariantError):
        engine.checks.set_result(CATALOG[EXEC], frozenset())
    page = views.checks_page({EXEC: CATALOG[EXEC]}, {}, "/checks", "/api/checks")
    assert page.rows == () and page.left[0].why.startswith(f"{EXEC} is a scenario of the v5.4 era")
