"""The explorer in a real browser: find a bad schedule from the player, step through the
counterexample to its report, and screenshot the result and the why-checks table."""

import engine
from tests.e2e.steps import wait_step

SCENARIO = "realloc-file"
V1 = "v1-pointer-check"


def test_find_a_bad_schedule_then_step_through_it_to_the_report(browser, base_url, artifacts):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(f"{base_url}/s/{SCENARIO}?v={V1}")
    page.click("#find-bad")
    page.locator("#explore-result h2").wait_for(timeout=30_000)
    headline = page.locator("#explore-result h2").inner_text()
    assert headline.startswith("Found a bad schedule:")
    kind = headline.removeprefix("Found a bad schedule: ").split(" after")[0]
    assert f"/s/{SCENARIO}?v={V1}" in page.url and "explore" not in page.url
    schedule = page.locator("#explore-fewest code.schedule").inner_text()
    assert "violation" in page.locator("#explore-result").get_attribute("class")
    page.locator("#explore-result").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "explore-in-player-1280x720.png"), caret="initial")

    page.click("#explore-start")
    wait_step(page, 0)
    tids = engine.parse_schedule(schedule)
    for n, tid in enumerate(tids, start=1):
        page.click(f"#step-{tid}")
        wait_step(page, n)
    report = page.locator(".violation-report h2").inner_text()
    assert report.startswith(f"⚠ {kind} at step {len(tids)}")
    assert f"run={schedule}&" in page.url
    assert errors == []


def test_cancel_stops_waiting_for_a_search(browser, base_url, artifacts):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    held = []
    page.route("**/explore?**", lambda route: held.append(route))  # held: the search is still running
    page.goto(f"{base_url}/s/{SCENARIO}?v={V1}")
    assert not page.locator("#explore-progress").is_visible()
    page.click("#find-bad")
    page.wait_for_selector("#explore-progress", state="visible")
    page.locator("#h-explore").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "explore-searching-1280x720.png"), caret="initial")
    page.click("#explore-cancel")
    page.wait_for_selector("#explore-result.cancelled")
    assert "within its 10 s budget" in page.locator("#explore-result").inner_text()
    assert not page.locator("#explore-progress").is_visible()
    assert len(held) == 1


def test_explore_page_and_checks_table_are_screenshot_at_projector_size(browser, base_url, artifacts):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(f"{base_url}/s/mremap-shrink/explore?v=v4.8-no-address-range&goal=any&ask=find")
    assert page.locator("#explore-headline").inner_text().startswith("Found a bad schedule: huge-pmd-outside-vma")
    page.screenshot(path=str(artifacts / "explore-1280x720.png"), caret="initial")
    page.goto(f"{base_url}/s/mremap-shrink/explore?v=v4.8&ask=prove")
    assert page.locator("#explore-headline").inner_text().startswith("Proved safe within the model")
    page.screenshot(path=str(artifacts / "explore-safe-1280x720.png"), caret="initial")
    page.goto(f"{base_url}/checks")
    # the server started every scenario's 32 searches at startup; the page polls until they are done
    page.locator(".everywhere").wait_for(timeout=180_000)
    assert page.locator(".computing").count() == 0
    v48 = [s for s in engine.catalog().values() if s.era.id == "v4.8"]
    later = [s for s in engine.catalog().values() if s.era.id != "v4.8"]
    assert later, "the catalog has a scenario of a later era, which the table leaves out"
    assert page.locator("tbody th[scope=row]").count() == len(v48)
    assert page.locator("td.cell").count() == 5 * len(v48)
    assert all(s.spec.title in page.locator("section[aria-labelledby=left-title]").inner_text() for s in later)
    assert page.locator(".everywhere").inner_text() == "Only all five checks together keep every one of these scenarios safe."
    page.screenshot(path=str(artifacts / "checks-1280x720.png"), caret="initial")
    page.screenshot(path=str(artifacts / "checks-1280-full.png"), full_page=True, caret="initial")


def test_find_a_bad_schedule_works_without_javascript(browser, base_url):
    ctx = browser.new_context(java_script_enabled=False)
    page = ctx.new_page()
    page.goto(f"{base_url}/s/{SCENARIO}?v={V1}")
    page.click("#prove-safe")
    page.wait_for_url("**/explore?**")
    assert page.locator("#explore-headline").inner_text().startswith(f"Not safe: {V1} breaks here")
    page.click("#explore-report")
    assert page.locator(".violation-report").count() == 1
    ctx.close()


def test_search_from_the_players_state_keeps_its_steps(browser, base_url, artifacts):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(f"{base_url}/s/{SCENARIO}?v={V1}&run=K16A10")
    page.check("#explore-from-here")
    page.click("#find-bad")
    page.locator("#explore-from").wait_for(timeout=30_000)
    assert "Searched from step 26" in page.locator("#explore-from").inner_text()
    schedule = page.locator("#explore-result code.schedule").first.inner_text()
    assert schedule == "K16A10"
    counterexample = page.locator("#explore-fewest code.schedule").inner_text()
    assert counterexample.startswith("K16A10")
    page.locator("#explore-result").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "explore-from-here-1280x720.png"), caret="initial")
