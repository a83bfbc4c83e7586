"""Codes the UI shows link to their place in the guide: a scenario's case, an assumption's
docs/model.md#anchor prefix."""

import warnings

import pytest

import engine
from app import links
from app.main import create_app
from app.views.catalog import Assumption, assumption, scenario_card

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.mark.parametrize("text, expected", [
    ("docs/model.md#slab-reuse [I]: mmap(MAP_FIXED) frees ...",
     Assumption("docs/model.md#slab-reuse", "/guide/model#slab-reuse", " [I]: mmap(MAP_FIXED) frees ...")),
    ("docs/authoring.md#witness: every declared violation has a witness",
     Assumption("docs/authoring.md#witness", "/guide/authoring#witness", ": every declared violation has a witness")),
    ("§4.3 [I]: mmap(MAP_FIXED) frees ...", Assumption("", "", "§4.3 [I]: mmap(MAP_FIXED) frees ...")),
    ("docs/nope.md#x [I]: not a guide page", Assumption("", "", "docs/nope.md#x [I]: not a guide page")),
    ("see docs/model.md#c2 later", Assumption("", "", "see docs/model.md#c2 later")),
])
def test_an_assumption_links_its_guide_prefix_and_keeps_the_rest(text, expected):
    assert assumption(text) == expected


def test_a_case_links_to_its_lower_case_anchor_and_a_section_number_does_not():
    catalog = engine.catalog()
    assert scenario_card(catalog["realloc-file"]).case_href == "/guide/model#c2"
    assert scenario_card(catalog["pmd-became-huge"]).case_href == "/guide/model#c12"
    assert scenario_card(catalog["split-vs-collapse"]).case_href == "/guide/model#claim-10"
    assert scenario_card(catalog["rwsem-basics"]).case_href == "/guide/model#rwsem"
    assert links.case_href("3.4") == links.case_href("claim 10") == ""


@pytest.fixture(scope="module")
def own_client():
    """An app of its own: the checks pages fill the search cache, which the shared app's
    busy-server tests rely on being empty."""
    app = create_app()
    yield TestClient(app)
    app.state.searches.close()


def test_catalog_player_and_checks_pages_link_the_case(own_client):
    link = '<a href="/guide/model#c2" title="this case in the model guide">C2</a>'
    for path in ("/", "/s/realloc-file", "/s/realloc-file/checks", "/checks"):
        assert link in own_client.get(path).text, path


def test_the_player_shows_a_guide_assumption_as_a_link_and_an_old_one_as_text(tmp_path):
    source = engine.catalog()["realloc-file"].path.read_text()
    new = "docs/model.md#v1-patch [I]: v1's out label"
    assert new in source
    (tmp_path / "realloc-file.toml").write_text(source.replace(new, "§1 item 1 [I]: v1's out label"))
    app = create_app(tmp_path)
    try:
        text = TestClient(app).get("/s/realloc-file").text
    finally:
        app.state.searches.close()
    assert '<li><a href="/guide/model#slab-reuse">docs/model.md#slab-reuse</a> [I]: mmap(MAP_FIXED)' in text
    assert "<li>§1 item 1 [I]: v1&#39;s out label" in text


def test_a_scenario_without_declarations_shows_not_declared(tmp_path):
    source = engine.catalog()["realloc-file"].path.read_text()
    (tmp_path / "realloc-file.toml").write_text(source.partition("[expect]")[0])
    app = create_app(tmp_path)
    try:
        client = TestClient(app)
        card = client.get("/").text
        player = client.get("/s/realloc-file?v=v4.8")
    finally:
        app.state.searches.close()
    assert '<span class="badge none">not declared</span>' in card
    assert player.status_code == 200 and '<span class="badge none">not declared</span>' in player.text


def test_a_card_lists_each_call_a_thread_makes(tmp_path):
    from app.views.catalog import scenario_card
    source = engine.catalog()["realloc-file"].path.read_text()
    one = 'program = "mmap_region"\nargs = { addr = 0x7f3a4a000000, len = 0x200000, file = "/home/user/data.bin", flags = ["VM_READ", "VM_SHARED"] }'
    two = ('calls = [{ program = "vm_munmap", args = { start = 0x7f3a4a000000, len = 0x200000 } }, '
           '{ program = "mmap_region", args = { addr = 0x7f3a4a000000, len = 0x200000 } }]')
    assert one in source
    (tmp_path / "s.toml").write_text(source.replace(one, two))
    card = scenario_card(engine.load(tmp_path / "s.toml"))
    assert any("(vm_munmap, then mmap_region)" in t for t in card.threads)
