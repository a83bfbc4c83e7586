"""Codes the UI shows link to their place in the guide: a scenario's case, an assumption's
docs/model.md#anchor prefix."""

import warnings

import pytest

import engine
from app import links
from app.guide import sections
from app.main import create_app
from app.views.catalog import START, Assumption, assumption, catalog, catalog_order, scenario_card
from engine.walkthroughs import catalog as walkthrough_catalog

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


# -- the "Start here" order ------------------------------------------------------------------------
def _variant_of(source: str, tmp_path, sid: str, case: str | None) -> engine.Scenario:
    """realloc-file under another id and case (``None``: no case at all)."""
    text = source.replace('id = "realloc-file"', f'id = "{sid}"', 1)
    text = text.replace('case = "C2"\n', "" if case is None else f'case = "{case}"\n', 1)
    (tmp_path / f"{sid}.toml").write_text(text)
    return engine.load(tmp_path / f"{sid}.toml")


def test_the_catalog_starts_with_the_story_then_takes_the_cases_in_the_guides_order():
    order = catalog_order(engine.catalog().values(), sections("model"))
    assert order[0].id == START == "realloc-file"
    cases = [s.spec.case for s in order[1:]]
    anchors = [a for a, _ in sections("model")]
    assert cases == sorted(cases, key=lambda c: anchors.index(c.lower()))      # the guide's order
    assert [c for i, c in enumerate(cases) if c not in cases[:i]] == [
        "rwsem", "C1", "C2", "C4", "C5", "C6", "C7", "C8", "C9", "C12",
        "claim-1", "claim-9", "claim-10", "claim-11"]
    c2 = [s.id for s in order if s.spec.case == "C2"]
    assert c2 == ["realloc-file", "realloc-file-faulted", "realloc-file-exec"]      # v4.8 before v5.4


def test_a_scenario_added_later_finds_its_case_or_goes_after_the_known_ones(tmp_path):
    source = engine.catalog()["realloc-file"].path.read_text()
    added = [_variant_of(source, tmp_path, sid, case) for sid, case in
             (("a-no-case", None), ("a-shmem", "C3"), ("a-own-topic", "topic-x"), ("a-claim", "claim-2"))]
    order = [s.id for s in catalog_order(list(engine.catalog().values()) + added, sections("model"))]
    assert order.index("realloc-file-exec") < order.index("a-shmem") < order.index("munmap-nothing-above")   # C2 < C3 < C4
    assert order.index("scan-trylock") < order.index("a-claim") < order.index("fault-needs-write")    # claim 1 < 2 < 9
    assert order[-2:] == ["a-own-topic", "a-no-case"]      # a case the guide lacks, then none at all


def test_the_catalog_groups_the_rest_under_the_guides_headings():
    c = catalog(engine.catalog().values(), sections("model"), walkthrough_catalog(engine.catalog()).values())
    assert c.start.id == "realloc-file"
    assert c.start_href.startswith("/s/realloc-file?v=v1-pointer-check")     # the variant walkthrough 1 tells it with
    assert (c.walkthrough_title, c.walkthrough_href) == ("Same address, different VMA", "/w/w1")
    c2 = next(g for g in c.groups if g.case == "C2")
    assert (c2.title, c2.href, c2.anchor) == ("C2: same slot, now a file VMA", "/guide/model#c2", "case-c2")
    assert [card.id for card in c2.cards] == ["realloc-file-faulted", "realloc-file-exec"]
    assert sorted(card.id for card in c.cards) == sorted(engine.catalog())     # each scenario once


def test_a_folder_without_the_story_has_no_start_card(tmp_path):
    source = engine.catalog()["realloc-file"].path.read_text()
    c = catalog([_variant_of(source, tmp_path, "mine", None)], sections("model"))
    assert c.start is None and [(g.title, g.href, g.anchor) for g in c.groups] == [("Other scenarios", "", "case-other")]


def test_the_catalog_page_shows_the_start_card_first(own_client):
    r = own_client.get("/")
    cards = r.context["cards"]
    assert cards[0].id == "realloc-file" and r.context["c"].start is cards[0]
    text = r.text
    assert text.index('<h2 id="h-start">Start here</h2>') < text.index('id="scenario-realloc-file"') < text.index(
        'id="case-rwsem"') < text.index('id="case-c1"')
