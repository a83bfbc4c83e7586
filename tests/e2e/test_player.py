from playwright.sync_api import expect

import engine
from tests.e2e.steps import wait_step

SCENARIO = "realloc-file"
V1 = "v1-pointer-check"
# khugepaged sleeps on the page lock with mmap_sem dropped, the process maps the file over
# the range, the I/O completes, and v1's pointer check (vma != vma_orig) passes on the
# reused object: anon_vma_lock_write(NULL).
THROUGH_POINTER_CHECK = "K16A10C2K9"


def test_live_region_reads_the_step_after_a_keyboard_step(browser, base_url):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(f"{base_url}/s/{SCENARIO}?v={V1}&run=K16A10C2K8")
    page.keyboard.press("k")
    wait_step(page, 37)
    expect(page.locator("#narration")).to_contain_text("Step 37")
    expect(page.locator("#narration")).to_contain_text("dereferences NULL vma->anon_vma")


def test_keyboard_play_reaches_the_null_deref_through_the_pointer_check(browser, base_url, artifacts):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(f"{base_url}/s/{SCENARIO}?v={V1}")
    tids = engine.parse_schedule(THROUGH_POINTER_CHECK)
    for n, tid in enumerate(tids, start=1):
        page.keyboard.press(tid.lower())
        wait_step(page, n)
        if n == 31:
            assert "compares the pointer with vma_orig" in page.locator(".narration").inner_text()
    assert page.locator(".violation-report h2").inner_text().startswith("⚠ null-deref at step 37")
    assert "NULL pointer dereference" in page.locator("pre.report").inner_text()
    assert f"run={THROUGH_POINTER_CHECK}" in page.url
    page.screenshot(path=str(artifacts / "player-1280x720.png"), caret="initial")
    page.screenshot(path=str(artifacts / "player-1280-full.png"), full_page=True, caret="initial")

    page.go_back()
    wait_step(page, 36)
    assert "run=K16A10C2K8&" in page.url
    page.keyboard.press("ArrowLeft")
    wait_step(page, 35)
    page.keyboard.press("r")
    wait_step(page, 0)
    assert errors == []


def test_copied_link_opens_the_same_state_in_a_fresh_context(browser, base_url):
    page = browser.new_page()
    page.goto(f"{base_url}/s/{SCENARIO}?v={V1}&run=K16A3")
    page.keyboard.press("a")
    wait_step(page, 20)
    link = page.locator("#share-link").input_value()
    narration = page.locator(".narration").inner_text()
    assert link.endswith("run=K16A4&h=" + engine.catalog()[SCENARIO].link_digest(V1))
    fresh = browser.new_context()
    other = fresh.new_page()
    other.goto(link)
    wait_step(other, 20)
    assert other.locator(".narration").inner_text() == narration
    assert other.locator("#h-threads").is_visible()
    fresh.close()


def test_player_works_without_javascript(browser, base_url, artifacts):
    ctx = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = ctx.new_page()
    page.goto(f"{base_url}/s/{SCENARIO}?v={V1}")
    page.click("#step-C")
    wait_step(page, 1)
    page.click("#step-K")
    wait_step(page, 2)
    assert "run=CK&" in page.url
    page.click("#back")
    wait_step(page, 1)
    page.screenshot(path=str(artifacts / "player-390x844.png"), caret="initial")
    page.screenshot(path=str(artifacts / "player-390-full.png"), full_page=True, caret="initial")
    ctx.close()


def test_mobile_player_with_a_violation_is_screenshot(browser, base_url, artifacts):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{base_url}/s/{SCENARIO}?v={V1}&run={THROUGH_POINTER_CHECK}")
    wait_step(page, 37)
    page.screenshot(path=str(artifacts / "violation-390x844.png"), caret="initial")
    page.goto(f"{base_url}/")
    page.screenshot(path=str(artifacts / "catalog-390x844.png"), caret="initial")


def test_catalog_and_compare_are_screenshot_at_projector_size(browser, base_url, artifacts):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(f"{base_url}/")
    page.screenshot(path=str(artifacts / "catalog-1280x720.png"), caret="initial")
    page.goto(f"{base_url}/s/{SCENARIO}/compare?a={V1}&b=v4.8&run={THROUGH_POINTER_CHECK}")
    page.screenshot(path=str(artifacts / "compare-1280-full.png"), full_page=True, caret="initial")
    assert page.locator("tbody.parted").count() == 1


def test_code_listing_scrolls_the_current_line_into_view(browser, base_url):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base_url}/s/{SCENARIO}?v={V1}&run=K16A10C2K8")
    box = page.locator('ol.code[aria-label="code of collapse_huge_page"]')
    top, bottom, line_top, line_bottom = box.evaluate(
        "b => { const l = b.querySelector('li.current').getBoundingClientRect();"
        " const r = b.getBoundingClientRect(); return [r.top, r.bottom, l.top, l.bottom]; }")
    assert top <= line_top and line_bottom <= bottom
