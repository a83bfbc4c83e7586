"""The scenario editor as a teacher uses it: type, see the mistake with its line, fix it,
play, step, copy the link, and open the link somewhere that has never seen the scenario."""

from __future__ import annotations

from playwright.sync_api import expect

import engine

TEXT = engine.catalog()["realloc-file"].path.read_text()
MINE = TEXT.replace('id = "realloc-file"', 'id = "my-realloc"').replace(
    'title = "Same object, now a file mapping"', 'title = "My own realloc"')
BROKEN_LINE = 'program = "mmap_regoin"'


def test_type_fix_play_step_and_share_a_scenario_that_lives_in_its_link(browser, base_url, artifacts):
    ctx = browser.new_context(viewport={"width": 1280, "height": 720},
                              permissions=["clipboard-read", "clipboard-write"])
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(f"{base_url}/author")
    editor = page.get_by_label("Scenario file (TOML)")
    expect(page.locator("#author-check")).to_contain_text("valid: 3 threads, 2 VMAs")

    broken = MINE.replace('program = "mmap_region"', BROKEN_LINE)
    line = broken.splitlines().index(BROKEN_LINE) + 1
    editor.fill(broken[:-40])
    editor.press("End")
    editor.press_sequentially(broken[-40:], delay=5)          # the last keystrokes typed, as a person does
    mistakes = page.locator("#author-check .mistakes")
    expect(mistakes).to_contain_text(f"line {line}, threads[1].program: Value error, unknown program 'mmap_regoin'")
    expect(page.locator("#author-play")).to_have_count(0)
    page.screenshot(path=str(artifacts / "author-mistake-1280x720.png"))

    editor.fill(MINE)
    expect(page.locator("#author-check")).to_contain_text("valid: 3 threads, 2 VMAs")
    share = page.locator("#author-share").input_value()       # made absolute by static/author.js
    assert share.startswith(f"{base_url}/s/my-realloc?v=v1-pointer-check&h=") and "&src=" in share

    page.locator("#author-play").click()
    page.wait_for_selector('#stage[data-step="0"]')
    expect(page.locator("h1")).to_contain_text("My own realloc")
    page.locator("#step-K").click()
    page.wait_for_selector('#stage[data-step="1"]')
    assert "src=" in page.url and "run=K" in page.url

    page.locator('[data-copy="#share-link"]').click()
    expect(page.locator(".share .copy-status")).to_have_text("Link copied.")
    link = page.evaluate("navigator.clipboard.readText()")
    assert link == page.locator("#share-link").input_value() and link.startswith(base_url) and "src=" in link
    narration = page.locator(".narration").inner_text()
    assert errors == []
    ctx.close()

    fresh = browser.new_context(viewport={"width": 390, "height": 844})
    other = fresh.new_page()
    response = other.goto(link)
    assert response.status == 200
    expect(other.locator("h1")).to_contain_text("My own realloc")
    expect(other.locator("#stage")).to_have_attribute("data-step", "1")
    assert other.locator(".narration").inner_text() == narration
    other.screenshot(path=str(artifacts / "author-shared-player-390x844.png"))
    fresh.close()


def test_the_editor_checks_without_javascript(browser, base_url):
    ctx = browser.new_context(java_script_enabled=False)
    page = ctx.new_page()
    page.goto(f"{base_url}/author")
    page.get_by_label("Scenario file (TOML)").fill(TEXT.replace("version = 1", "version = = 1"))
    page.locator("#author-submit").click()
    expect(page.locator("#author-check .mistakes")).to_contain_text("line 3: invalid TOML")
    expect(page.get_by_label("Scenario file (TOML)")).to_have_value(TEXT.replace("version = 1", "version = = 1"))
    ctx.close()


def test_every_control_of_the_editor_is_reachable_by_keyboard(browser, base_url):
    page = browser.new_page()
    page.goto(f"{base_url}/author")
    seen = []
    for _ in range(40):
        page.keyboard.press("Tab")
        seen.append(page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()"))
    for control in ("author-from", "author-text", "author-submit", "author-play", "author-share", "Copy link"):
        assert control in seen, (control, seen)
    page.close()
