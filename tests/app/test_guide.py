"""The guide pages render docs/*.md with their explicit anchors."""

import re

from app.guide import guide_html
from app.links import GUIDES


def test_the_model_guide_is_a_page_with_its_anchors(client):
    r = client.get("/guide/model")
    assert r.status_code == 200 and r.template.name == "guide.html"
    assert 'id="c2"' in r.text and 'id="slab-reuse"' in r.text
    assert "<h1>" in r.text and "<html" in r.text
    assert '<a href="/guide/model" aria-current="page">' in r.text


def test_the_authoring_guide_is_a_page(client):
    assert client.get("/guide/authoring").status_code == 200


def test_an_unknown_guide_page_is_the_404_problem_page(client):
    r = client.get("/guide/nope")
    assert r.status_code == 404 and r.template.name == "error.html"
    assert "'nope'" in r.context["message"]
    assert [href for _, href in r.context["links"]] == ["/guide/model", "/guide/authoring", "/guide/exercises"]


def test_every_page_links_the_guide(client):
    assert '<a href="/guide/model">Guide</a>' in client.get("/").text


def test_raw_html_anchors_and_code_survive_the_markdown(tmp_path):
    (tmp_path / "model.md").write_text('# Title\n\n<a id="c9"></a>\n## C9\n\nSee `mmap_sem` and *this*.\n')
    html = guide_html("model", tmp_path)
    assert '<a id="c9"></a>' in html and "<h2>C9</h2>" in html
    assert "<code>mmap_sem</code>" in html and "<em>this</em>" in html


def test_tables_in_the_docs_render_as_tables(tmp_path):
    (tmp_path / "model.md").write_text("| field | meaning |\n|---|---|\n| `id` | one letter |\n")
    html = str(guide_html("model", tmp_path))
    assert "<table tabindex=\"0\">" in html and "<td><code>id</code></td>" in html


def test_every_anchor_a_scenario_cites_exists_in_the_model_guide(client):
    import re

    import engine
    page = client.get("/guide/model").text
    cited = {m for s in engine.catalog().values() for a in s.spec.assumptions
             for m in re.findall(r"^docs/model\.md#([a-z0-9-]+)", a)}
    cited |= {s.spec.case.lower() for s in engine.catalog().values()}
    assert cited and all(f'id="{anchor}"' in page for anchor in cited), cited


def test_every_link_between_guide_pages_opens_a_page_at_an_anchor_it_has():
    pages = {n: str(guide_html(n)) for n in GUIDES}
    for name, html in pages.items():
        assert not re.search(r'href="[a-z]+\.md', html), f"{name} links a .md file the browser cannot open"
        for target, anchor in re.findall(r'href="/guide/([a-z]+)(?:#([a-z0-9-]+))?"', html):
            assert target in pages, (name, target)
            assert not anchor or f'id="{anchor}"' in pages[target], (name, target, anchor)
