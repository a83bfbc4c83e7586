"""The scenario editor and scenarios carried in links: the live check names line and field,
a token round-trips to the player and every link keeps it, and each limit is a 4xx that
names it."""

from __future__ import annotations

import base64
import html
import re
import zlib
from urllib.parse import parse_qs, urlsplit

import pytest
from markupsafe import escape

import engine
from app import links, sources
from app.search import LINKED_MAX_STATES
from tests.app.conftest import HX

TEXT = engine.catalog()["realloc-file"].path.read_text()
MINE = TEXT.replace('id = "realloc-file"', 'id = "my-realloc"').replace(
    'title = "Same object, now a file mapping"', 'title = "My own realloc"')
V1 = "v1-pointer-check"
LINK_ATTRS = re.compile(r'(?:href|hx-get|hx-post|action|data-href)="([^"]*)"')


def esc(text: str) -> str:
    """``text`` as the templates write it."""
    return str(escape(text))


def token(text: str = MINE) -> str:
    return sources.encode(text)


def player(text: str = MINE, run: str = "", **params: str) -> str:
    """The player link the app hands out for ``text`` at ``run``, with more ``params``."""
    s = sources.from_text(text)
    href = links.player_href(s, s.era.default, engine.parse_schedule(run))
    return href + "".join(f"&{k}={v}" for k, v in params.items())


def scenario_links(page: str) -> list[str]:
    """Every link of a page about a scenario: anchors, htmx requests, forms, the share box."""
    return [html.unescape(h) for h in LINK_ATTRS.findall(page)
            if h.startswith(("/s/", "/api/scenarios/", "/author?"))]


def check(client, text: str, fragment: bool = True):
    return client.post("/author/check", data={"text": text}, headers=HX if fragment else {})


# -- the live check --------------------------------------------------------------------------
def test_a_valid_text_checks_as_valid_with_its_play_and_share_links(client):
    r = check(client, MINE)
    assert r.status_code == 200
    assert 'id="author-check"' in r.text and "<textarea" not in r.text        # the fragment only
    assert "valid: 3 threads, 2 VMAs" in r.text and "My own realloc" in r.text
    play = html.unescape(re.search(r'id="author-play" href="([^"]+)"', r.text)[1])
    assert play.startswith(f"/s/my-realloc?v={V1}&h=") and f"src={token()}" in play
    share = html.unescape(re.search(r'id="author-share" type="text" readonly value="([^"]+)"', r.text)[1])
    assert share == play


def test_a_broken_field_names_its_line_and_the_field(client):
    broken = MINE.replace('program = "mmap_region"', 'program = "mmap_regoin"')
    line = broken.splitlines().index('program = "mmap_regoin"') + 1
    r = check(client, broken)
    assert r.status_code == 200
    text = html.unescape(r.text)
    assert f"line {line}, threads[1].program</strong>: Value error, unknown program 'mmap_regoin'" in text
    assert 'id="author-play"' not in r.text


def test_invalid_toml_names_its_line(client):
    r = check(client, MINE.replace("version = 1", "version = = 1"))
    assert "line 3</strong>: invalid TOML" in r.text


def test_a_missing_thread_argument_shows_when_the_check_plays_it(client):
    r = check(client, re.sub(r"args = \{ addr = [^\n]*\}", "args = {}", MINE, count=1))
    text = html.unescape(r.text)
    assert "played to the end on v1-pointer-check (lowest thread id first)" in text
    assert "thread A in mmap_region(): the thread's arguments do not fit its program (no argument 'addr')" in text


def test_the_check_works_without_javascript_and_keeps_the_text(client):
    r = check(client, MINE.replace("\n", "\r\n"), fragment=False)
    assert r.status_code == 200 and "<textarea" in r.text and 'id="author-text"' in r.text
    assert esc('id = "my-realloc"') in r.text and "valid: 3 threads" in r.text
    assert f"src={token()}" in r.text          # the browser's CRLF is the same text as the file's LF


def test_an_over_long_text_and_an_over_long_form_are_refused_with_the_limit(client):
    big = MINE + "#" * (sources.MAX_TEXT_BYTES + 1 - len(MINE.encode()))
    assert "a scenario in a link is at most 16 KiB" in check(client, big).text
    r = client.post("/author/check", content=b"text=" + b"x" * (3 * sources.MAX_TEXT_BYTES + 2048),
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and "The form is over 49 KiB" in r.text


# -- the page --------------------------------------------------------------------------------
def test_the_editor_starts_from_the_example_a_catalog_scenario_or_a_link(client):
    assert esc('id = "realloc-file"') in client.get("/author").text
    assert esc('id = "exit"') in client.get("/author", params={"from": "exit"}).text
    r = client.get("/author", params={"src": token()})
    assert r.status_code == 200 and esc('id = "my-realloc"') in r.text
    assert client.get("/author", params={"from": "nope"}).status_code == 404


def test_the_site_nav_links_the_editor(client):
    assert '<a href="/author">Author</a>' in client.get("/").text


# -- a token round-trip ------------------------------------------------------------------------
def test_a_token_opens_the_player_and_every_link_on_it_keeps_the_scenario(client):
    r = client.get(player(run="C2K3AK18"))
    assert r.status_code == 200 and "My own realloc" in r.text and "Step 24" in r.text
    found = scenario_links(r.text)
    kinds = {urlsplit(h).path for h in found}
    assert {"/s/my-realloc", "/s/my-realloc/run", "/s/my-realloc/compare", "/s/my-realloc/explore",
            "/s/my-realloc/checks", "/s/my-realloc/explore/cancel"} <= kinds
    lost = [h for h in found if parse_qs(urlsplit(h).query).get("src") != [token()]]
    assert lost == []
    for href in {h for h in found if urlsplit(h).path in ("/s/my-realloc", "/s/my-realloc/compare")}:
        assert client.get(href).status_code == 200, href


def test_the_forms_of_its_player_and_compare_pages_send_the_scenario(client):
    for page in (player(run="C2"), f"/s/my-realloc/compare?a={V1}&b=v4.8&run=C2&src={token()}"):
        html = client.get(page).text
        forms = re.findall(r'<form[^>]*method="get".*?</form>', html, re.S)
        assert forms, page
        for form in forms:
            assert f'<input type="hidden" name="src" value="{token()}">' in form, page


def test_the_links_a_step_and_a_run_to_answer_keep_the_scenario(client):
    step = client.get(player(run="C2"), headers=HX)
    assert step.status_code == 200 and all("src=" in h for h in scenario_links(step.text))
    run = client.get(f"/s/my-realloc/run?v={V1}&to=end&src={token()}", follow_redirects=False)
    assert run.status_code == 303 and f"src={token()}" in run.headers["location"]


def test_a_seeded_instance_of_a_linked_scenario_keeps_both(client):
    r = client.get(player(run="C2", seed="7"))
    assert r.status_code == 200
    steps = [h for h in scenario_links(r.text) if urlsplit(h).path in ("/s/my-realloc", "/s/my-realloc/run")]
    assert steps and all("seed=7" in h and f"src={token()}" in h for h in steps)


def test_the_api_replays_a_linked_scenario(client):
    r = client.get("/api/scenarios/my-realloc/replay", params={"v": V1, "run": "K16A10C2K9", "src": token()})
    assert r.status_code == 200 and [v["kind"] for v in r.json()["violations"]] == ["null-deref"]


# -- what is refused -------------------------------------------------------------------------
def test_a_corrupted_token_opens_the_editor_with_a_sentence(client):
    t = token()
    bad = t[:100] + ("A" if t[100] != "A" else "B") + t[101:]
    r = client.get(f"/s/my-realloc?v={V1}&src={bad}")
    assert r.status_code == 400 and 'id="author-text"' in r.text
    assert "The scenario in this link cannot be opened: the src token is damaged" in html.unescape(r.text)


def test_a_cut_token_opens_the_editor_on_the_text_it_could_recover(client):
    r = client.get(f"/s/my-realloc?v={V1}&src={token()[:900]}")
    assert r.status_code == 400 and "the src token is cut short" in r.text
    assert esc('id = "my-realloc"') in r.text         # the beginning of the text survives


def test_a_token_that_is_not_base64url_is_a_400_page_and_a_400_problem(client):
    page = client.get("/s/my-realloc", params={"src": "not*base64"})
    api = client.get("/api/scenarios/my-realloc/replay", params={"v": V1, "src": "not*base64"})
    assert page.status_code == api.status_code == 400 and 'id="author-text"' in page.text
    assert api.json()["detail"].startswith("the scenario in this link cannot be opened: the src token has "
                                           "characters that are not base64url")


def test_a_text_that_fails_validation_opens_the_editor_with_its_mistakes(client):
    broken = MINE.replace('program = "mmap_region"', 'program = "mmap_regoin"')
    r = client.get(f"/s/my-realloc?v={V1}&src={token(broken)}")
    assert r.status_code == 400 and "threads[1].program" in r.text and "mmap_regoin" in r.text


def test_an_over_long_token_is_refused_with_the_limit(client):
    long_token = "A" * (sources.MAX_TOKEN_CHARS + 1)
    r = client.get(f"/s/my-realloc?src={long_token}")
    assert r.status_code == 400 and f"a link carries a scenario of at most {sources.MAX_TOKEN_CHARS}" in r.text
    r = client.get(f"/s/my-realloc?src={'A' * 4100}")
    assert r.status_code == 414 and "longer than 4096 characters" in r.text


def test_a_text_over_16_kib_is_refused_before_it_is_inflated(client):
    bomb = base64.urlsafe_b64encode(zlib.compress(b"#" * 2_000_000, 9)).rstrip(b"=").decode()
    assert len(bomb) < sources.MAX_TOKEN_CHARS
    r = client.get(f"/s/my-realloc?src={bomb}")
    assert r.status_code == 400 and "over 16 KiB once inflated" in r.text
    with pytest.raises(sources.BadSource, match="16 KiB"):
        sources.decode(bomb)


def test_a_token_whose_id_is_not_the_paths_is_a_400(client):
    r = client.get(f"/s/realloc-file?v={V1}&src={token()}")
    assert r.status_code == 400 and 'id="author-text"' in r.text
    assert esc("The scenario in this link has the id 'my-realloc', but the link's path names 'realloc-file'") in r.text
    api = client.get("/api/scenarios/realloc-file/replay", params={"v": V1, "src": token()})
    assert api.status_code == 400 and "has the id 'my-realloc'" in api.json()["detail"]


def test_an_altered_scenario_with_the_old_digest_is_the_stale_page(client):
    old = player(run="C2")
    h = parse_qs(urlsplit(old).query)["h"][0]
    altered = MINE.replace("version = 1", "version = 2")
    r = client.get(f"/s/my-realloc?v={V1}&run=C2&h={h}&src={token(altered)}")
    assert r.status_code == 409 and "This link was made for an older version of “My own realloc”" in r.text
    assert f"src={token(altered)}" in html.unescape(r.text)      # the same schedule on the text it carries
    api = client.get("/api/scenarios/my-realloc/replay", params={"v": V1, "run": "C2", "h": h, "src": token(altered)})
    assert api.status_code == 409


def test_a_linked_scenario_is_searched_within_its_own_bound(client):
    q = {"v": "v4.8", "src": token(), "max_states": str(LINKED_MAX_STATES + 1)}
    r = client.get("/api/scenarios/my-realloc/explore", params=q)
    assert r.status_code == 400
    assert f"more than a scenario from a link may ask for: at most {LINKED_MAX_STATES} states" in r.json()["detail"]
    found = client.get("/api/scenarios/my-realloc/explore", params={"v": V1, "src": token(), "goal": "null-deref"})
    assert found.status_code == 200 and found.json()["verdict"] == "violation"
    assert f"src={token()}" in found.json()["link"]


def test_a_linked_scenario_has_no_check_sets(client):
    r = client.get("/s/my-realloc/checks", params={"src": token()})
    assert r.status_code == 400 and "only for the scenarios it serves" in r.text
    assert client.get("/api/scenarios/my-realloc/checks", params={"src": token()}).status_code == 400


def test_a_thread_whose_arguments_do_not_fit_is_the_longest_valid_prefix_not_a_crash(client):
    text = re.sub(r"args = \{ addr = [^\n]*\}", "args = {}", MINE, count=1)
    r = client.get(player(text, run="K16A2"))
    assert r.status_code == 400 and esc("step 18, thread A in mmap_region(): the thread's arguments do not fit "
                                        "its program (no argument 'addr')") in r.text
    assert "Showing the longest valid prefix (K16A)" in r.text
    api = client.get("/api/scenarios/my-realloc/replay", params={"v": V1, "run": "K16A2", "src": token(text)})
    assert api.status_code == 422 and api.json()["prefix"] == "K16A" and "no argument 'addr'" in api.json()["detail"]
    ran = client.get(f"/s/my-realloc/run?v={V1}&run=K16&to=block&t=A&src={token(text)}", follow_redirects=False)
    assert ran.status_code == 400 and "no argument" in ran.text           # run-to steps the engine directly


# -- the token itself --------------------------------------------------------------------------
def test_the_token_is_the_text_zlib_compressed_and_base64url_without_padding():
    t = token()
    assert re.fullmatch(r"[A-Za-z0-9_-]+", t) and len(t) < 2000
    assert zlib.decompress(base64.urlsafe_b64decode(t + "=" * (-len(t) % 4))).decode() == MINE
    assert sources.decode(t) == MINE
    assert sources.from_token(t).source == t and sources.from_text(MINE).source == t


def test_a_linked_scenario_hashes_its_text_as_a_file_does():
    linked, served = sources.from_text(TEXT), engine.catalog()["realloc-file"]
    assert linked.link_digest(V1) == served.link_digest(V1) and linked.digest == served.digest
