"""Exercises in a browser, by keyboard: x04 (a predict question) and x06 (a schedule goal)
solved, Check's answer read from its live region, and progress kept across a reload."""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.steps import wait_step

# x06's reference answer, C$ K>down_write A$ K$, is C2 K21 A10 K2: the null-deref at step 35
X06_KEYS = "cc" + "k" * 21
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def test_x04_and_x06_solved_by_keyboard_and_progress_survives_a_reload(browser, base_url, artifacts):
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    page = ctx.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(f"{base_url}/x/x04")
    page.keyboard.press("x")                    # no choice yet: x moves to the choices
    assert page.evaluate("document.activeElement.name") == "choice"
    page.keyboard.press("Space")                # the first choice: vma == vma_orig
    page.keyboard.press("x")
    result = page.locator("#check-result")
    expect(result).to_contain_text("Right: vma == vma_orig")
    expect(result).to_have_class(re.compile(r"\bpass\b"))
    page.screenshot(path=str(artifacts / "exercise-x04-right-1280x720.png"), caret="initial")

    page.goto(f"{base_url}/x/x06")
    for n, key in enumerate(X06_KEYS, start=1):
        page.keyboard.press(key)
        wait_step(page, n, settled=True)
    expect(page).to_have_url(re.compile(r"/x/x06\?run=C2K21&h="))     # stepping keeps the exercise's URL
    page.focus("#block-A")                      # A: until it blocks or ends
    page.keyboard.press("Enter")
    wait_step(page, 33, settled=True)
    for n in (34, 35):
        page.keyboard.press("k")
        wait_step(page, n, settled=True)
    expect(page).to_have_url(re.compile(r"/x/x06\?run=C2K21A10K2&h="))
    expect(page.locator("#check-run-text")).to_have_text("C2K21A10K2")
    page.keyboard.press("x")
    expect(result).to_contain_text("Solved: the run ends at step 35 in null-deref")
    page.screenshot(path=str(artifacts / "exercise-x06-solved-1280x720.png"), caret="initial")

    page.reload()
    wait_step(page, 35, settled=True)                        # the exercise URL is the whole state
    expect(page.locator(".exercise-facts .progress")).to_have_text("✓ solved")
    page.goto(f"{base_url}/x")
    expect(page.locator('[data-progress="x04"]')).to_have_text("✓ solved")
    expect(page.locator('[data-progress="x06"]')).to_have_text("✓ solved")
    expect(page.locator('[data-progress="x05"]')).to_have_text("not started")
    expect(page.locator("#progress-summary")).to_have_text(re.compile(r"^2 of \d+ parts solved \(2 of 25 exercises\)"))
    page.screenshot(path=str(artifacts / "exercises-1280x720.png"), caret="initial")
    ctx.close()
    assert errors == []


def test_hints_come_one_at_a_time(browser, base_url):
    page = browser.new_page()
    page.goto(f"{base_url}/x/x06")
    button = page.locator("#next-hint")
    expect(button).to_have_text("Show hint 1 of 3")
    assert page.locator("details.hint:visible").count() == 0
    button.click()
    expect(page.locator("#hint-1 p")).to_be_focused()
    expect(button).to_have_text("Show hint 2 of 3")
    button.click()
    page.reload()                               # the hints shown stay shown
    expect(button).to_have_text("Show hint 3 of 3")
    assert page.locator("details.hint:visible").count() == 2
    button.click()
    expect(button).to_be_hidden()
    assert page.locator("details.hint[open]").count() == 3


def test_check_works_without_javascript(browser, base_url, artifacts):
    ctx = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = ctx.new_page()
    page.goto(f"{base_url}/x/x04")
    page.check('input[name="choice"][value="different"]')
    page.click("#check-button")
    expect(page.locator("h1")).to_have_text("x04: not yet")
    expect(page.locator(".reason")).to_contain_text("Not this time: you said vma != vma_orig")
    page.screenshot(path=str(artifacts / "exercise-result-390x844.png"), caret="initial")
    page.click("#result-back")
    assert page.locator("details.hint").count() == 2            # hints are plain <details> without JavaScript
    ctx.close()


def test_progress_is_exported_imported_and_reset(browser, base_url, tmp_path):
    ctx = browser.new_context(accept_downloads=True)
    page = ctx.new_page()
    page.goto(f"{base_url}/x")
    page.evaluate("localStorage.setItem('mmlock.progress.x06', JSON.stringify({passed: true, when: '2026-01-05T10:00:00Z'}))")
    page.reload()
    expect(page.locator('[data-progress="x06"]')).to_have_text("✓ solved")
    with page.expect_download() as download:
        page.click("#progress-export")
    exported = json.loads(Path(download.value.path()).read_text())
    assert download.value.suggested_filename == "mmlock-progress.json"
    assert exported["app"] == "mmlock" and exported["progress"] == {"x06": {"passed": True, "when": "2026-01-05T10:00:00Z"}}

    page.once("dialog", lambda dialog: dialog.accept())     # reset asks first
    page.click("#progress-reset")
    expect(page.locator('[data-progress="x06"]')).to_have_text("not started")

    exported["progress"]["x07a"] = {"passed": True, "when": "2026-01-06T10:00:00Z"}
    (tmp_path / "progress.json").write_text(json.dumps(exported))
    page.set_input_files("#progress-import", str(tmp_path / "progress.json"))
    expect(page.locator("#progress-status")).to_have_text("Imported 2 parts.")
    expect(page.locator('[data-progress="x06"]')).to_have_text("✓ solved")
    expect(page.locator('[data-progress="x07a x07b"]')).to_have_text("1 of 2 parts solved")
    (tmp_path / "bad.json").write_text("{not json")
    page.set_input_files("#progress-import", str(tmp_path / "bad.json"))
    expect(page.locator("#progress-status")).to_have_text("That file is not JSON: nothing was imported.")
    ctx.close()


def test_a_teacher_pastes_answers_and_reads_the_grades(browser, base_url, artifacts):
    axe = AXE.read_text()
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    page = ctx.new_page()
    page.goto(base_url + "/x/grade")
    page.fill("#answers", "ada,x06,C$ K>down_write A$ K$\nbob,x04,different\n")
    page.get_by_role("button", name="Grade them").click()
    expect(page.locator("#results-title")).to_have_text("2 answers: 1 passed, 1 failed")
    expect(page.locator("tbody tr").nth(1)).to_contain_text("Not this time")
    page.screenshot(path=str(artifacts / "grade-answers-390.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    page.add_script_tag(content=axe)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    ctx.close()
    assert width <= 390
    assert [v["id"] for v in result["violations"]] == []
