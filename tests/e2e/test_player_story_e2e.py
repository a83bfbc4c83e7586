"""The story as a learner sees it: the key moment, compare, the goal picker, one screen."""

from playwright.sync_api import expect

import engine
from tests.e2e.steps import wait_step

SCENARIO = "realloc-file"
V1 = "v1-pointer-check"
REALLOC = engine.catalog()[SCENARIO]


def test_step_31_says_the_pointer_check_passes_on_a_reused_object_and_marks_the_line(browser, base_url):
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(f"{base_url}/s/{SCENARIO}?v={V1}&run=K16A10C2K2")
    page.keyboard.press("k")
    wait_step(page, 31)
    narration = page.locator(".narration").inner_text()
    assert "vma == vma_orig (both 0xffff8800a1c4e000): the pointer check passes" in narration
    assert "the object is gen 2 now; vma_orig was taken at gen 1" in narration
    k = page.locator('article.thread:has(#thread-K-name)')
    ran, current = k.locator(".code li.ran"), k.locator(".code li.current")
    expect(ran).to_have_count(1)
    assert "vma != vma_orig" in ran.inner_text() and "fe.pte = pte_offset_map" in current.inner_text()
    shows = ran.locator(".shows")
    assert "vma_orig" in shows.inner_text() and "taken at gen 1; the object is now gen 2" in shows.inner_text()
    for box in (ran, current, shows):           # the proof is on the first screen, not 1,250 px down
        b = box.bounding_box()
        assert b is not None and b["y"] + b["height"] <= 1080


def test_at_1080p_threads_code_and_locks_fit_one_screen_with_code_of_16px(browser, base_url):
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(f"{base_url}/s/{SCENARIO}?v={V1}&run=K5")
    for sel in ("#h-threads", "#h-locks", ".locks-panel table"):
        b = page.locator(sel).bounding_box()
        assert b["y"] + b["height"] <= 1080, sel
    for line in page.locator("article.thread .code li.current").all():
        b = line.bounding_box()
        assert b["y"] + b["height"] <= 1080
    sizes = page.eval_on_selector_all(".code li > code", "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))")
    assert sizes and min(sizes) >= 16


def test_on_a_phone_the_threads_come_before_the_second_row_of_controls(browser, base_url):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{base_url}/s/{SCENARIO}?v={V1}&run=K5")
    threads = page.locator("#h-threads").bounding_box()["y"]
    assert page.locator("#step-K").bounding_box()["y"] < threads
    for later in ("#lock-K", "#share-link", "#compare-link"):
        assert page.locator(later).bounding_box()["y"] > threads, later


def test_compare_carries_the_v1_story_to_v4_8_which_gives_up_in_the_revalidation(browser, base_url):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    h = REALLOC.link_digest(V1, "v4.8")
    page.goto(f"{base_url}/s/{SCENARIO}/compare?a={V1}&b=v4.8&run=K16A10C2K9&h={h}")
    assert "null-deref" in page.locator("#outcome-1").inner_text()
    right = page.locator("#outcome-2").inner_text()
    assert "hugepage_vma_revalidate returns SCAN_VMA_CHECK" in right and "no violation" in right
    assert page.locator(".side").nth(1).locator(".violation-report").count() == 0
    parted = page.locator("tbody.parted")
    expect(parted).to_have_count(1)
    assert "the runs part ways here" in parted.inner_text() and "SCAN_VMA_CHECK" in parted.inner_text()
    page.goto(f"{base_url}/s/{SCENARIO}/compare?a={V1}&b=v4.8&run=K16&h={h}")
    page.keyboard.press("a")
    page.wait_for_url("**run=K16A**")
    assert "K16A" in page.locator(".side-run").first.inner_text()


def test_the_goal_picker_finds_the_null_deref_in_realloc_file_under_v1(browser, base_url):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(f"{base_url}/s/{SCENARIO}?v={V1}&run=K5")
    assert page.locator("#explore-goal").input_value() == "null-deref"     # the story's own goal first
    page.click("#find-bad")
    headline = page.locator("#explore-result .verdict-line")
    headline.wait_for(timeout=60_000)
    assert "null-deref" in headline.inner_text()
    for link in ("#explore-fewest", "#explore-shortest"):
        assert page.locator(link).get_attribute("href").startswith(f"/s/{SCENARIO}?v={V1}&run=")
    bar = page.locator("#stage .controls").bounding_box()
    answer = headline.bounding_box()
    assert answer["y"] >= bar["y"] + bar["height"], "the sticky control bar covers the answer"
    assert answer["y"] + answer["height"] <= 720
    page.click("#explore-shortest")
    page.wait_for_selector(".violation-report")
    assert "null-deref" in page.locator(".violation-report h2").inner_text()
