"""Walkthrough pages: every stop of every walkthrough renders in the player, in presenter mode,
as notes and embedded; Next and Prev are plain links through every frame; the handout, the
exercise sheet and the embeds' framing rules."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from app.links import stop_href
from app.main import create_app
from fastapi.testclient import TestClient

def rel_links(html: str) -> dict[str, str]:
    out = {}
    for m in re.finditer(r'<a ([^>]*)>', html):
        attrs = dict(re.findall(r'([a-z-]+)="([^"]*)"', m[1]))
        if attrs.get("rel") in ("next", "prev"):
            out[attrs["rel"]] = attrs["href"].replace("&amp;", "&")
    return out


@pytest.fixture(scope="module")
def walkthroughs(app):
    return app.state.walkthroughs


def test_the_list_links_every_walkthrough_and_its_modes(client, walkthroughs):
    html = client.get("/w").text
    for w in walkthroughs.values():
        assert f'href="/w/{w.id}"' in html and w.spec.title in html
        assert f'href="{stop_href(w.stops[0], present=True).replace("&", "&amp;")}"' in html
        assert f'href="/w/{w.id}/handout"' in html


def test_the_contents_list_every_stop_and_say_what_is_coming(client, walkthroughs):
    for w in walkthroughs.values():
        html = client.get(f"/w/{w.id}").text
        for s in w.stops:
            assert f'href="/w/{w.id}/{s.key}"' in html
        for c in w.chapters:
            if c.spec.coming:
                assert "Coming:" in html


def test_next_walks_every_frame_in_the_player_and_prev_walks_back(client, walkthroughs):
    for w in walkthroughs.values():
        frames = len(w.stops) + sum(s.predict is not None for s in w.stops)
        href, seen = f"/w/{w.id}/{w.stops[0].key}", []
        while href:
            r = client.get(href)
            assert r.status_code == 200, (href, r.text[:300])
            seen.append(href)
            nav = rel_links(r.text)
            if len(seen) > 1:
                assert nav["prev"] == seen[-2], href
            href = nav.get("next", "")
        assert len(seen) == frames and len(set(seen)) == frames


def test_every_stop_renders_presenter_notes_and_embed(client, walkthroughs):
    for w in walkthroughs.values():
        for s in w.stops:
            for reveal in ("", "&reveal=1") if s.predict else ("",):
                present = client.get(f"/w/{w.id}/{s.key}?present=1{reveal}")
                assert present.status_code == 200 and escape(s.spec.title) in present.text
                assert 'data-role="present"' in present.text
                notes = client.get(f"/w/{w.id}/{s.key}/notes?{reveal.lstrip('&')}")
                assert notes.status_code == 200 and 'data-role="notes"' in notes.text
                embed = client.get(f"/embed/w/{w.id}/{s.key}?{reveal.lstrip('&')}")
                assert embed.status_code == 200 and '<base target="_top">' in embed.text


def test_a_poll_waits_before_its_step_and_the_reveal_takes_it(client, walkthroughs):
    s = next(s for w in walkthroughs.values() for s in w.stops if s.predict)
    poll = client.get(f"/w/{s.walkthrough}/{s.key}")
    shown = client.get(f"/w/{s.walkthrough}/{s.key}?reveal=1")
    assert poll.context["p"].steps == len(s.before.schedule)
    assert shown.context["p"].steps == len(s.run.schedule)
    assert "✓ the answer" not in poll.text and "✓ the answer" in shown.text
    # the narration tells the answer, so it waits for the reveal too
    narration = escape(s.spec.narration)
    assert narration not in poll.text and narration in shown.text
    assert rel_links(poll.text)["next"].endswith(f"/{s.key}?reveal=1")


def test_the_stop_marks_what_it_changed(client, walkthroughs):
    s = next(s for s in walkthroughs["w3"].stops if s.took and s.spec.panel == "locks")
    page = client.get(f"/w/w3/{s.key}").context["page"]
    assert "locks" in page.changed


def test_stepping_from_a_stop_is_a_player_link_with_a_way_back(client, walkthroughs):
    s = walkthroughs["w3"].stops[0]
    html = client.get(f"/w/w3/{s.key}").text
    assert f'id="w-back">Back to the walkthrough, stop {s.key}' in html
    assert re.search(r'id="step-[A-Z]" [^>]*href="/s/rwsem-basics\?', html)


@pytest.mark.parametrize("path, says", [
    ("/w/nope", "There is no walkthrough 'nope'"),
    ("/w/w3/9.99", "Walkthrough w3 has no stop '9.99'"),
    ("/w/w3/9.99/notes", "Walkthrough w3 has no stop '9.99'"),
    ("/embed/w/w3/x", "Walkthrough w3 has no stop 'x'"),
    ("/embed/x/x99", "There is no exercise 'x99'"),
])
def test_an_unknown_walkthrough_or_stop_is_a_404_with_a_way_on(client, path, says):
    r = client.get(path)
    assert r.status_code == 404 and says in r.text.replace("&#39;", "'")


def test_the_handout_has_every_stop_with_its_diagram_and_fact(client, walkthroughs):
    for w in walkthroughs.values():
        html = client.get(f"/w/{w.id}/handout").text
        assert html.count('class="h-stop"') == len(w.stops)
        assert html.count('class="addr-line"') == len(w.stops)
        for s in w.stops:
            assert f"docs/model.md#{s.spec.fact}" in html


def test_the_exercise_sheet_draws_a_qr_code_per_exercise(client, app):
    html = client.get("/x/sheet?set=x04,x06").text
    assert html.count('<svg role="img"') == 2 and 'class="qr"' in html
    assert "http://testserver/x/x04" in html
    assert client.get("/x/sheet").text.count('class="sheet-row"') == len(app.state.exercises)
    assert client.get("/x/sheet", headers={"host": "evil example"}).text.count('class="qr"') == 0


def test_embeds_may_be_framed_as_configured_and_nothing_else_may():
    client = TestClient(create_app(frame_ancestors="https://course.example.edu"))
    for path in ("/embed/w/w3/1.1", "/embed/x/x04"):
        r = client.get(path)
        assert "frame-ancestors https://course.example.edu;" in r.headers["content-security-policy"]
        assert "x-frame-options" not in r.headers
    for path in ("/w/w3/1.1", "/w/w3/1.1?present=1", "/x/x04", "/"):
        r = client.get(path)
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"] and r.headers["x-frame-options"] == "DENY"


def test_an_embedded_exercise_has_no_site_navigation(client):
    html = client.get("/embed/x/x04").text
    assert '<nav aria-label="Site">' not in html and 'id="check-form"' in html
    assert 'hx-push-url="false"' in html


def test_a_poll_says_which_steps_answer_it(client, walkthroughs):
    polls = [s for w in walkthroughs.values() for s in w.stops if s.predict]
    one = next(s for s in polls if s.took == s.predict.thread)
    several = next(s for s in polls if s.took != s.predict.thread)
    assert f"when {one.predict.thread} takes its next step" in client.get(f"/w/{one.walkthrough}/{one.key}").text
    html = client.get(f"/w/{several.walkthrough}/{several.key}").text
    assert f"after this stop runs <code>{escape(several.spec.run)}</code>" in html
