"""The guide as a person sees it: reached from the player's case code, at its anchor."""

from playwright.sync_api import expect


def test_the_players_case_code_opens_the_model_guide_at_that_case(browser, base_url, artifacts):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(f"{base_url}/s/realloc-file?v=v1-pointer-check")
    page.locator(".scenario-head h1 a", has_text="C2").click()
    page.wait_for_url("**/guide/model#c2")
    expect(page.locator("article.guide h1")).to_be_visible()
    expect(page.locator("#c2")).to_be_attached()
    expect(page.get_by_role("navigation", name="Site").get_by_role("link", name="Guide")).to_be_visible()
    page.screenshot(path=str(artifacts / "guide-model-1280x720.png"), caret="initial")
    assert errors == []
