"""Walkthroughs in a browser: the clicker's keys, presenter mode on one screen at projector
sizes, the notes window that follows, and the way back after exploring."""

from __future__ import annotations

import pytest

from app.links import stop_href
from app.views.walkthroughs import frames
from engine import catalog
from engine.walkthroughs import catalog as walkthrough_catalog

WALKTHROUGHS = walkthrough_catalog(catalog())
SCREENS = [(1280, 720), (1920, 1080)]


def test_page_down_in_presenter_mode_moves_stop_and_url(browser, base_url):
    w = WALKTHROUGHS["w1"]
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(base_url + stop_href(w.stops[0], present=True))
    seen = [(page.url, page.locator("h1").inner_text())]
    for _ in range(3):
        page.keyboard.press("PageDown")
        page.wait_for_function("url => location.href !== url", arg=seen[-1][0])
        page.wait_for_load_state()
        seen.append((page.url, page.locator("h1").inner_text()))
    expected = [base_url + stop_href(f.stop, reveal=f.revealed, present=True) for f in frames(w)[:4]]
    assert [u for u, _ in seen] == expected
    assert len({h for _, h in seen}) >= 3
    page.keyboard.press("PageUp")
    page.wait_for_function("url => location.href !== url", arg=seen[-1][0])
    assert page.url == seen[-2][0]
    page.close()


@pytest.mark.parametrize("width, height", SCREENS)
def test_every_presenter_frame_fits_one_screen(browser, base_url, width, height):
    page = browser.new_page(viewport={"width": width, "height": height})
    tall = []
    for w in WALKTHROUGHS.values():
        for f in frames(w):
            page.goto(base_url + stop_href(f.stop, reveal=f.revealed, present=True))
            scroll, inner = page.evaluate("[document.documentElement.scrollHeight, innerHeight]")
            wide = page.evaluate("document.documentElement.scrollWidth")
            if scroll > inner or wide > width:
                tall.append(f"{w.id}/{f.stop.key}{'+reveal' if f.revealed else ''}: {wide}×{scroll}")
    page.close()
    assert tall == [], f"presenter frames that scroll at {width}×{height}: {tall}"


def test_presenter_code_is_readable_from_the_back_at_1080p(browser, base_url):
    stops = [s for w in WALKTHROUGHS.values() for s in w.stops if s.spec.panel == "threads" and s.took]
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    for s in stops[:5]:
        page.goto(base_url + stop_href(s, reveal=True, present=True))
        sizes = page.eval_on_selector_all(".p-focus .code code", "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))")
        assert sizes and min(sizes) >= 18, (s.key, sizes)
    page.close()


def test_the_notes_window_follows_the_presenter(browser, base_url):
    w = WALKTHROUGHS["w3"]
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    presenter = ctx.new_page()
    presenter.goto(base_url + stop_href(w.stops[0], present=True))
    with ctx.expect_page() as opened:
        presenter.keyboard.press("n")
    notes = opened.value
    notes.wait_for_load_state()
    assert notes.url.endswith(f"/w/w3/{w.stops[0].key}/notes")
    presenter.keyboard.press("ArrowRight")
    second = frames(w)[1]
    notes.wait_for_url(f"**/w/w3/{second.stop.key}/notes" + ("?reveal=1" if second.revealed else ""))
    notes.locator('a[rel="next"]').click()
    third = frames(w)[2]
    presenter.wait_for_url("**" + stop_href(third.stop, reveal=third.revealed, present=True))
    ctx.close()


def test_exploring_from_a_stop_offers_the_way_back(browser, base_url):
    w = WALKTHROUGHS["w3"]
    s = next(s for s in w.stops if not s.predict and s.run.final.threads)
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(base_url + stop_href(s))
    assert page.locator("#w-away").is_hidden()
    step = page.locator("#stage a.step").first
    step.click()
    page.wait_for_url("**/s/**")
    page.locator("#w-away").wait_for(state="visible")
    page.locator("#w-back").click()
    page.wait_for_url("**" + stop_href(s))
    page.close()
